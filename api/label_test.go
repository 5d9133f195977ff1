package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// createLabel makes a label through create_label and returns its id.
func createLabel(t testing.TB, ts *xerochattest.Server, m *xerochattest.Member, pageID, name string) string {
	t.Helper()
	r := ts.For(t).Post("create_label", vals("api_key", m.Key, "page_id", pageID, "label_name", name))
	v := r.JSON(t)
	id, ok := v["label_id"].(string)
	if v["status"] != "success" || !ok || id == "" {
		t.Fatalf("create_label %q: %s", name, r.Body)
	}
	return id
}

// labelsOf returns the labels field of subscriber_information, sorted.
func labelsOf(t testing.TB, ts *xerochattest.Server, m *xerochattest.Member, psid, pageID string) []string {
	t.Helper()
	labels, ok := ts.For(t).SubscriberInfoOf(m.Key, psid, pageID)["labels"].(string)
	if !ok {
		t.Fatalf("subscriber_information %s: no labels string", psid)
	}
	if labels == "" {
		return nil
	}
	return sorted(strings.Split(labels, ",")...)
}

// sorted returns ids sorted, for order-free comparison.
func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// callsTo returns the fake's POST calls whose path ends in suffix.
func callsTo(ts *xerochattest.Server, suffix string) []fakegraph.Call {
	var out []fakegraph.Call
	for _, c := range ts.Fake.Calls() {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

func TestLabelGetAll(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	ctx := context.Background()
	a := ts.NewMember("labels-a@example.com", "1100000000000001")
	b := ts.NewMember("labels-b@example.com", "2100000000000001")
	empty := ts.ConnectPage(a, "1100000000000002", true)
	disabled := ts.ConnectPage(a, "1100000000000003", true)

	// Stored straight, with ids whose numeric and text orders both differ
	// from the order they were made in.
	for _, l := range []struct{ id, name string }{{"300", "Zeta"}, {"1000", "Alpha"}, {"20", "Mid"}} {
		if _, err := ts.DB.SaveLabel(ctx, &xerochat.Label{UserID: a.ID, PageRef: a.Page.ID, LabelID: l.id, Name: l.name}); err != nil {
			t.Fatal(err)
		}
	}
	made := createLabel(t, ts, a, a.PageID, "Made by create_label")
	createLabel(t, ts, a, disabled.PageID, "On a page turned off")
	ts.ConnectPage(a, disabled.PageID, false)
	bLabel := createLabel(t, ts, b, b.PageID, "B's")

	const (
		noLabels = xerochat.MsgNoLabels
		noPage   = xerochat.MsgPageIDRequired
	)
	wantAnswers(t, ts, "get_all_labels", []answerCase{
		{name: "oldest first", params: vals("api_key", a.Key, "page_id", a.PageID),
			want: `{"status":"success","label_info":[{"label_id":"300","label_name":"Zeta"},` +
				`{"label_id":"1000","label_name":"Alpha"},{"label_id":"20","label_name":"Mid"},` +
				`{"label_id":"` + made + `","label_name":"Made by create_label"}]}`},
		{name: "other member's own", params: vals("api_key", b.Key, "page_id", b.PageID),
			want: `{"status":"success","label_info":[{"label_id":"` + bLabel + `","label_name":"B's"}]}`},

		{name: "no key", params: vals("page_id", a.PageID), err: xerochat.MsgKeyRequired},
		{name: "bad key before missing page_id", params: vals("api_key", "nope"), err: xerochat.MsgKeyInvalid},
		{name: "no page_id", params: vals("api_key", a.Key), err: noPage},
		{name: "blank page_id", params: vals("api_key", a.Key, "page_id", " "), err: noPage},
		{name: "page without labels", params: vals("api_key", a.Key, "page_id", empty.PageID), err: noLabels},
		{name: "bot disabled", params: vals("api_key", a.Key, "page_id", disabled.PageID), err: noLabels},
		{name: "unknown page", params: vals("api_key", a.Key, "page_id", "1199999999999999"), err: noLabels},
		{name: "another member's page", params: vals("api_key", a.Key, "page_id", b.PageID), err: noLabels},
		{name: "another member's page, other way", params: vals("api_key", b.Key, "page_id", a.PageID), err: noLabels},
	})
}

func TestLabelCreate(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("create-a@example.com", "1200000000000001")
	b := ts.NewMember("create-b@example.com", "2200000000000001")
	page2 := ts.ConnectPage(a, "1200000000000002", true)
	disabled := ts.ConnectPage(a, "1200000000000003", false)

	t.Run("check order", func(t *testing.T) {
		ts := ts.For(t)
		const noBot = xerochat.MsgNoEnabledBot
		before := ts.Snapshot()
		for _, tc := range []struct {
			name   string
			params url.Values
			err    string
		}{
			{"no key", vals("page_id", a.PageID, "label_name", "X"), xerochat.MsgKeyRequired},
			{"bad key before missing fields", vals("api_key", "nope"), xerochat.MsgKeyInvalid},
			{"nothing", vals("api_key", a.Key), xerochat.MsgPageIDRequired},
			{"no page_id", vals("api_key", a.Key, "label_name", "X"), xerochat.MsgPageIDRequired},
			{"no label_name", vals("api_key", a.Key, "page_id", a.PageID), xerochat.MsgLabelNameRequired},
			{"blank label_name", vals("api_key", a.Key, "page_id", a.PageID, "label_name", "  "), xerochat.MsgLabelNameRequired},
			{"no label_name, unknown page", vals("api_key", a.Key, "page_id", "1299999999999999"), xerochat.MsgLabelNameRequired},
			{"unknown page", vals("api_key", a.Key, "page_id", "1299999999999999", "label_name", "X"), noBot},
			{"bot disabled", vals("api_key", a.Key, "page_id", disabled.PageID, "label_name", "X"), noBot},
			{"another member's page", vals("api_key", a.Key, "page_id", b.PageID, "label_name", "X"), noBot},
		} {
			t.Run(tc.name, func(t *testing.T) { wantError(t, ts.For(t).Post("create_label", tc.params), tc.err) })
		}
		if n := len(callsTo(ts, "/custom_labels")); n != 0 {
			t.Errorf("rejected calls reached Graph %d times", n)
		}
		if after := ts.Snapshot(); after != before {
			t.Errorf("rejected calls changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	var vip string
	t.Run("creates on Facebook with the page token", func(t *testing.T) {
		ts := ts.For(t)
		ts.Fake.ResetCalls()
		r := ts.Post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", "VIP"))
		vip, _ = r.JSON(t)["label_id"].(string)
		if vip == "" {
			t.Fatalf("no string label_id: %s", r.Body)
		}
		wantJSON(t, r, `{"status":"success","label_id":"`+vip+`"}`)
		calls := callsTo(ts, "/custom_labels")
		if len(calls) != 1 {
			t.Fatalf("Graph got %d custom_labels calls, want 1: %+v", len(calls), calls)
		}
		c := calls[0]
		if c.Path != "/"+a.PageID+"/custom_labels" || c.Values.Get("page_label_name") != "VIP" || c.Values.Get("access_token") == "" {
			t.Errorf("Graph call %s %s %v, want POST /%s/custom_labels with page_label_name=VIP and a token", c.Method, c.Path, c.Values, a.PageID)
		}
		// The fake finds the page by its token: the label landing there
		// proves the page's own token was sent.
		if got, want := ts.Fake.Labels(a.PageID), []fakegraph.Label{{ID: vip, Name: "VIP"}}; !slices.Equal(got, want) {
			t.Errorf("Facebook's labels %v, want %v", got, want)
		}
		wantJSON(t, ts.Get("get_all_labels", vals("api_key", a.Key, "page_id", a.PageID)),
			`{"status":"success","label_info":[{"label_id":"`+vip+`","label_name":"VIP"}]}`)
	})

	t.Run("same name again: same id, no Graph call", func(t *testing.T) {
		ts := ts.For(t)
		before, calls := ts.Snapshot(), len(ts.Fake.Calls())
		for _, name := range []string{"VIP", "  VIP  "} {
			wantJSON(t, ts.Post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", name)),
				`{"status":"success","label_id":"`+vip+`"}`)
		}
		if n := len(ts.Fake.Calls()); n != calls {
			t.Errorf("Graph got %d calls, want none", n-calls)
		}
		if after := ts.Snapshot(); after != before {
			t.Errorf("a repeated create changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("same name on another page is another label", func(t *testing.T) {
		id := createLabel(t, ts, a, page2.PageID, "VIP")
		if id == vip {
			t.Errorf("label on the second page has the first page's id %s", id)
		}
		if got, want := ts.Fake.Labels(page2.PageID), []fakegraph.Label{{ID: id, Name: "VIP"}}; !slices.Equal(got, want) {
			t.Errorf("Facebook's labels of the second page %v, want %v", got, want)
		}
	})

	for _, fe := range []struct {
		name string
		err  fakegraph.FBError
	}{
		{"invalid token", fakegraph.ErrInvalidToken()},
		{"rate limit", fakegraph.ErrRateLimit()},
		{"label terms", fakegraph.ErrLabelTerms()},
	} {
		t.Run("Graph error: "+fe.name, func(t *testing.T) {
			ts := ts.For(t)
			before, calls := ts.Snapshot(), ts.Fake.CallCount(http.MethodPost, "/custom_labels")
			ts.Fake.Fail(http.MethodPost, "/custom_labels", fe.err, 1)
			defer ts.Fake.ClearFailures()
			name := "Fails " + fe.name
			wantError(t, ts.Post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", name)), fe.err.Message)
			if n := ts.Fake.CallCount(http.MethodPost, "/custom_labels") - calls; n != 1 {
				t.Errorf("Graph got %d create calls, want 1", n)
			}
			if after := ts.Snapshot(); after != before {
				t.Errorf("a failed create stored something:\nbefore %s\nafter  %s", before, after)
			}
			// Nothing was kept, so the next try asks Facebook again.
			createLabel(t, ts, a, a.PageID, name)
			if n := ts.Fake.CallCount(http.MethodPost, "/custom_labels") - calls; n != 2 {
				t.Errorf("Graph got %d create calls after a retry, want 2", n)
			}
		})
	}

	t.Run("Graph down", func(t *testing.T) {
		ts := ts.For(t)
		before := ts.Snapshot()
		ts.Fake.Down(true)
		r := ts.Post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", "While down"))
		ts.Fake.Down(false)
		wantOutage(t, ts, r, "token-"+a.PageID)
		if after := ts.Snapshot(); after != before {
			t.Errorf("a create while Graph was down stored something:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// wantOutage checks the answer to a call made while Graph was down:
// HTTP 200 with an error envelope whose message names Facebook and gives away
// neither the token nor Graph's address.
func wantOutage(t *testing.T, ts *xerochattest.Server, r xerochattest.Response, token string) {
	t.Helper()
	msg := r.Message(t)
	if r.Status != http.StatusOK || msg == "" {
		t.Fatalf("HTTP %d %s, want 200 with an error message", r.Status, r.Body)
	}
	if !strings.Contains(strings.ToLower(msg), "facebook") {
		t.Errorf("message %q does not say Facebook failed", msg)
	}
	host := strings.TrimPrefix(ts.Fake.URL(), "http://")
	if strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), host) {
		t.Errorf("answer leaks the token or Graph's address: %s", r.Body)
	}
}

// TestLabelTenancy proves that member b learns nothing of member a's pages,
// labels and subscribers: each of a's answers the same as a value that
// exists nowhere, and nothing of a changes.
func TestLabelTenancy(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("ten-a@example.com", "1400000000000001")
	b := ts.NewMember("ten-b@example.com", "2400000000000001")
	const aSub, bSub, nowhere = "5400000000000001", "6400000000000001", "9400000000000009"
	ts.AddSubscriber(a, aSub, "Ann", "A")
	ts.AddSubscriber(b, bSub, "Bea", "B")
	aLabel := createLabel(t, ts, a, a.PageID, "A's")
	bLabel := createLabel(t, ts, b, b.PageID, "B's")
	wantJSON(t, ts.Post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", aSub,
		"label_ids", aLabel)), `{"success":true,"status":"success"}`)
	ts.Fake.ResetCalls()
	before := ts.Snapshot()

	// Each case is sent twice, with a's value and with one that exists
	// nowhere (the ? in params); both must answer msg.
	for _, tc := range []struct {
		name, endpoint string
		params         []string
		aValue         string
		msg            string
	}{
		{"subscriber_information PSID", "subscriber_information", []string{"subscriber_id", "?"}, aSub, xerochat.MsgSubscriberNotFound},
		{"subscriber_information page", "subscriber_information", []string{"subscriber_id", aSub, "page_id", "?"}, a.PageID, xerochat.MsgSubscriberNotFound},
		{"get_all_labels page", "get_all_labels", []string{"page_id", "?"}, a.PageID, xerochat.MsgNoLabels},
		{"create_label page", "create_label", []string{"page_id", "?", "label_name", "A's"}, a.PageID, xerochat.MsgNoEnabledBot},
		{"assign_label page", "assign_label", []string{"page_id", "?", "subscriber_id", aSub, "label_ids", aLabel}, a.PageID, xerochat.MsgNoEnabledBot},
		{"assign_label label", "assign_label", []string{"page_id", b.PageID, "subscriber_id", bSub, "label_ids", "?"}, aLabel, xerochat.MsgLabelNotFound},
		{"assign_label label among own", "assign_label", []string{"page_id", b.PageID, "subscriber_id", bSub, "label_ids", bLabel + ",?"}, aLabel, xerochat.MsgLabelNotFound},
		{"assign_label PSID", "assign_label", []string{"page_id", b.PageID, "subscriber_id", "?", "label_ids", bLabel}, aSub, xerochat.MsgSubscriberNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			for _, v := range []string{tc.aValue, nowhere} {
				params := vals("api_key", b.Key)
				for i := 0; i+1 < len(tc.params); i += 2 {
					params.Set(tc.params[i], strings.ReplaceAll(tc.params[i+1], "?", v))
				}
				wantError(t, ts.Post(tc.endpoint, params), tc.msg)
			}
		})
	}
	if calls := ts.Fake.Calls(); len(calls) != 0 {
		t.Errorf("another member's calls reached Graph: %+v", calls)
	}
	if after := ts.Snapshot(); after != before {
		t.Errorf("another member's calls changed the database:\nbefore %s\nafter  %s", before, after)
	}
	if got := labelsOf(t, ts, a, aSub, a.PageID); !slices.Equal(got, []string{aLabel}) {
		t.Errorf("a's subscriber has labels %v, want [%s]", got, aLabel)
	}
}
