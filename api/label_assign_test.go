package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// assignCalls returns the fake's POST /{label}/label calls as "label
// user=PSID token" strings, in order.
func assignCalls(ts *xerochattest.Server) []string {
	var out []string
	for _, c := range callsTo(ts, "/label") {
		tok := "no token"
		if c.Values.Get("access_token") != "" {
			tok = "token"
		}
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(c.Path, "/"), "/label")+" user="+c.Values.Get("user")+" "+tok)
	}
	return out
}

func TestLabelAssign(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("assign-a@example.com", "1300000000000001")
	b := ts.NewMember("assign-b@example.com", "2300000000000001")
	page2 := ts.ConnectPage(a, "1300000000000002", true)
	disabled := ts.ConnectPage(a, "1300000000000003", false)
	const s1, s2, s3, onPage2, bSub = "5300000000000001", "5300000000000002", "5300000000000003", "5300000000000004", "6300000000000001"
	ts.AddSubscriber(a, s1, "One", "A")
	ts.AddSubscriber(a, s2, "Two", "A")
	// s3 is stored here but unknown to Facebook. No door makes that state:
	// a person writes under another PSID, and an UPDATE on the test's own
	// database gives the record a PSID the fake Facebook never saw.
	unknown := ts.AddSubscriber(a, "5300000000000099", "Three", "A")
	ts.Exec(fmt.Sprintf("UPDATE subscribers SET psid = '%s' WHERE id = %d", s3, unknown.ID))
	ts.AddSubscriber(a.On(page2), onPage2, "Second", "")
	ts.AddSubscriber(b, bSub, "Bea", "B")
	l1 := createLabel(t, ts, a, a.PageID, "L1")
	l2 := createLabel(t, ts, a, a.PageID, "L2")
	l3 := createLabel(t, ts, a, a.PageID, "L3")
	p2Label := createLabel(t, ts, a, page2.PageID, "On page 2")
	bLabel := createLabel(t, ts, b, b.PageID, "B's")
	const success = `{"success":true,"status":"success"}`

	t.Run("check order", func(t *testing.T) {
		ts := ts.For(t)
		const (
			noBot   = xerochat.MsgNoEnabledBot
			noLabel = xerochat.MsgLabelNotFound
			noSub   = xerochat.MsgSubscriberNotFound
		)
		ts.Fake.ResetCalls()
		before := ts.Snapshot()
		for _, tc := range []struct {
			name   string
			params url.Values
			err    string
		}{
			{"no key", vals("page_id", a.PageID, "subscriber_id", s1, "label_ids", l1), xerochat.MsgKeyRequired},
			{"bad key before missing fields", vals("api_key", "nope"), xerochat.MsgKeyInvalid},
			{"nothing", vals("api_key", a.Key), xerochat.MsgPageIDRequired},
			{"no page_id", vals("api_key", a.Key, "subscriber_id", s1, "label_ids", l1), xerochat.MsgPageIDRequired},
			{"no subscriber_id", vals("api_key", a.Key, "page_id", a.PageID, "label_ids", l1), xerochat.MsgSubscriberIDRequired},
			{"no label_ids", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s1), xerochat.MsgLabelIDsRequired},
			{"no label_ids, unknown page", vals("api_key", a.Key, "page_id", "1399999999999999", "subscriber_id", "1"), xerochat.MsgLabelIDsRequired},
			{"unknown page", vals("api_key", a.Key, "page_id", "1399999999999999", "subscriber_id", "1", "label_ids", "1"), noBot},
			{"bot disabled", vals("api_key", a.Key, "page_id", disabled.PageID, "subscriber_id", s1, "label_ids", l1), noBot},
			{"another member's page", vals("api_key", a.Key, "page_id", b.PageID, "subscriber_id", bSub, "label_ids", bLabel), noBot},
			{"unknown label before unknown subscriber", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", "1", "label_ids", "999"), noLabel},
			{"another member's label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s1, "label_ids", bLabel), noLabel},
			{"label of the caller's other page", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s1, "label_ids", p2Label), noLabel},
			{"one good label, one unknown", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s1, "label_ids", l1+",999"), noLabel},
			{"unknown subscriber", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", "5399999999999999", "label_ids", l1), noSub},
			{"subscriber of the caller's other page", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", onPage2, "label_ids", l1), noSub},
			{"another member's subscriber", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", bSub, "label_ids", l1), noSub},
		} {
			t.Run(tc.name, func(t *testing.T) { wantError(t, ts.For(t).Post("assign_label", tc.params), tc.err) })
		}
		if calls := assignCalls(ts); len(calls) != 0 {
			t.Errorf("rejected calls reached Graph: %v", calls)
		}
		if after := ts.Snapshot(); after != before {
			t.Errorf("rejected calls changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("assigns each label in order", func(t *testing.T) {
		ts := ts.For(t)
		ts.Fake.ResetCalls()
		wantJSON(t, ts.Post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s1,
			"label_ids", l3+", "+l1)), success)
		if got, want := assignCalls(ts), []string{l3 + " user=" + s1 + " token", l1 + " user=" + s1 + " token"}; !slices.Equal(got, want) {
			t.Errorf("Graph calls %v, want %v", got, want)
		}
		if got, want := sorted(ts.Fake.UserLabels(a.PageID, s1)...), sorted(l1, l3); !slices.Equal(got, want) {
			t.Errorf("Facebook has labels %v on the subscriber, want %v", got, want)
		}
		if got, want := labelsOf(t, ts, a, s1, ""), sorted(l1, l3); !slices.Equal(got, want) {
			t.Errorf("subscriber_information labels %v, want %v", got, want)
		}
		// Again, by JSON body with an array: still one record per label.
		wantJSON(t, ts.PostJSON("assign_label", map[string]any{"api_key": a.Key, "page_id": a.PageID,
			"subscriber_id": s1, "label_ids": []string{l1}}), success)
		if got, want := labelsOf(t, ts, a, s1, a.PageID), sorted(l1, l3); !slices.Equal(got, want) {
			t.Errorf("subscriber_information labels %v after a repeat, want %v", got, want)
		}
	})

	t.Run("Graph fails on the second label", func(t *testing.T) {
		ts := ts.For(t)
		ts.Fake.ResetCalls()
		ts.Fake.Fail(http.MethodPost, "/"+l2+"/label", fakegraph.ErrInvalidPSID(), 1)
		defer ts.Fake.ClearFailures()
		wantError(t, ts.Post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s2,
			"label_ids", l1+","+l2+","+l3)), "(#100) The user ID is not valid.")
		if got, want := assignCalls(ts), []string{l1 + " user=" + s2 + " token", l2 + " user=" + s2 + " token"}; !slices.Equal(got, want) {
			t.Errorf("Graph calls %v, want %v (nothing after the failure)", got, want)
		}
		if got, want := ts.Fake.UserLabels(a.PageID, s2), []string{l1}; !slices.Equal(got, want) {
			t.Errorf("Facebook has labels %v on the subscriber, want %v", got, want)
		}
		if got, want := labelsOf(t, ts, a, s2, ""), []string{l1}; !slices.Equal(got, want) {
			t.Errorf("subscriber_information labels %v, want %v: the label assigned before the failure stays recorded", got, want)
		}
	})

	t.Run("person unknown to Facebook", func(t *testing.T) {
		ts := ts.For(t)
		before := ts.Snapshot()
		wantError(t, ts.Post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s3,
			"label_ids", l1)), "(#100) The user ID is not valid.")
		if after := ts.Snapshot(); after != before {
			t.Errorf("a refused assign stored something:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("Graph down", func(t *testing.T) {
		ts := ts.For(t)
		before := ts.Snapshot()
		ts.Fake.Down(true)
		r := ts.Post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s2, "label_ids", l3))
		ts.Fake.Down(false)
		wantOutage(t, ts, r, "token-"+a.PageID)
		if after := ts.Snapshot(); after != before {
			t.Errorf("an assign while Graph was down stored something:\nbefore %s\nafter  %s", before, after)
		}
	})
}
