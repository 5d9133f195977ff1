package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// labelAssignCalls returns the fake's POST /{label}/label calls as
// "label user" strings, in order.
func labelAssignCalls(ts *testServer) []string {
	var out []string
	for _, c := range ts.Fake.Calls() {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/label") {
			tok := "no token"
			if c.Values.Get("access_token") != "" {
				tok = "token"
			}
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(c.Path, "/"), "/label")+" user="+c.Values.Get("user")+" "+tok)
		}
	}
	return out
}

func TestLabelAssign(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("assign-a@example.com", "1300000000000001")
	b := ts.newMember("assign-b@example.com", "2300000000000001")
	page2 := labelAddPage(t, ts, a, "1300000000000002", true)
	disabled := labelAddPage(t, ts, a, "1300000000000003", false)
	const s1, s2, s3, onPage2, bSub = "5300000000000001", "5300000000000002", "5300000000000003", "5300000000000004", "6300000000000001"
	ts.addSubscriber(a, s1, "One", "A")
	ts.addSubscriber(a, s2, "Two", "A")
	// s3 is stored here but unknown to Facebook.
	if _, err := ts.DB.SaveSubscriber(context.Background(), &xerochat.Subscriber{UserID: a.ID, PageRef: a.Page.ID, PSID: s3}); err != nil {
		t.Fatal(err)
	}
	labelSubscriberOn(t, ts, page2, onPage2, "Second")
	ts.addSubscriber(b, bSub, "Bea", "B")
	l1 := labelCreate(t, ts, a, a.PageID, "L1")
	l2 := labelCreate(t, ts, a, a.PageID, "L2")
	l3 := labelCreate(t, ts, a, a.PageID, "L3")
	p2Label := labelCreate(t, ts, a, page2.PageID, "On page 2")
	bLabel := labelCreate(t, ts, b, b.PageID, "B's")
	const success = `{"success":true,"status":"success"}`

	t.Run("check order", func(t *testing.T) {
		const (
			noBot   = "No Enabled Bot Found"
			noLabel = "No Label Found"
			noSub   = "No Matching Subscriber Found"
		)
		ts.Fake.ResetCalls()
		before := ts.snapshot()
		for _, tc := range []struct {
			name   string
			params url.Values
			err    string
		}{
			{"no key", vals("page_id", a.PageID, "subscriber_id", s1, "label_ids", l1), "API Key is required"},
			{"bad key before missing fields", vals("api_key", "nope"), "Either API Key Invalid or Member Validity Expired"},
			{"nothing", vals("api_key", a.Key), "Provide page_id field"},
			{"no page_id", vals("api_key", a.Key, "subscriber_id", s1, "label_ids", l1), "Provide page_id field"},
			{"no subscriber_id", vals("api_key", a.Key, "page_id", a.PageID, "label_ids", l1), "Provide subscriber_id field"},
			{"no label_ids", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s1), "Provide label_ids field"},
			{"no label_ids, unknown page", vals("api_key", a.Key, "page_id", "1399999999999999", "subscriber_id", "1"), "Provide label_ids field"},
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
			labelWantError(t, tc.name, ts.post("assign_label", tc.params), tc.err)
		}
		if calls := labelAssignCalls(ts); len(calls) != 0 {
			t.Errorf("rejected calls reached Graph: %v", calls)
		}
		if after := ts.snapshot(); after != before {
			t.Errorf("rejected calls changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("assigns each label in order", func(t *testing.T) {
		ts.Fake.ResetCalls()
		labelWant(t, "assign", ts.post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s1,
			"label_ids", l3+", "+l1)), success)
		if got, want := labelAssignCalls(ts), []string{l3 + " user=" + s1 + " token", l1 + " user=" + s1 + " token"}; !slices.Equal(got, want) {
			t.Errorf("Graph calls %v, want %v", got, want)
		}
		if got, want := labelSorted(ts.Fake.UserLabels(a.PageID, s1)...), labelSorted(l1, l3); !slices.Equal(got, want) {
			t.Errorf("Facebook has labels %v on the subscriber, want %v", got, want)
		}
		if got, want := labelOf(t, ts, a, s1, ""), labelSorted(l1, l3); !slices.Equal(got, want) {
			t.Errorf("subscriber_information labels %v, want %v", got, want)
		}
		// Again, by JSON body with an array: still one record per label.
		labelWant(t, "assign again", ts.postJSON("assign_label", map[string]any{"api_key": a.Key, "page_id": a.PageID,
			"subscriber_id": s1, "label_ids": []string{l1}}), success)
		if got, want := labelOf(t, ts, a, s1, a.PageID), labelSorted(l1, l3); !slices.Equal(got, want) {
			t.Errorf("subscriber_information labels %v after a repeat, want %v", got, want)
		}
	})

	t.Run("Graph fails on the second label", func(t *testing.T) {
		ts.Fake.ResetCalls()
		ts.Fake.Fail(http.MethodPost, "/"+l2+"/label", fakegraph.ErrInvalidPSID(), 1)
		defer ts.Fake.ClearFailures()
		labelWantError(t, "assign", ts.post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s2,
			"label_ids", l1+","+l2+","+l3)), "(#100) The user ID is not valid.")
		if got, want := labelAssignCalls(ts), []string{l1 + " user=" + s2 + " token", l2 + " user=" + s2 + " token"}; !slices.Equal(got, want) {
			t.Errorf("Graph calls %v, want %v (nothing after the failure)", got, want)
		}
		if got, want := ts.Fake.UserLabels(a.PageID, s2), []string{l1}; !slices.Equal(got, want) {
			t.Errorf("Facebook has labels %v on the subscriber, want %v", got, want)
		}
		if got, want := labelOf(t, ts, a, s2, ""), []string{l1}; !slices.Equal(got, want) {
			t.Errorf("subscriber_information labels %v, want %v: the label assigned before the failure stays recorded", got, want)
		}
	})

	t.Run("person unknown to Facebook", func(t *testing.T) {
		before := ts.snapshot()
		labelWantError(t, "assign", ts.post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s3,
			"label_ids", l1)), "(#100) The user ID is not valid.")
		if after := ts.snapshot(); after != before {
			t.Errorf("a refused assign stored something:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("Graph down", func(t *testing.T) {
		before := ts.snapshot()
		ts.Fake.Down(true)
		r := ts.post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", s2, "label_ids", l3))
		ts.Fake.Down(false)
		labelWantClearOutage(t, ts, r, "token-"+a.PageID)
		if after := ts.snapshot(); after != before {
			t.Errorf("an assign while Graph was down stored something:\nbefore %s\nafter  %s", before, after)
		}
	})
}
