package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// labelTokens flattens a JSON text into its tokens, each tagged with its
// type, so that two texts compare equal only with the same keys in the same
// order, the same values and the same JSON types ("1" is not 1).
func labelTokens(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("not JSON (%v): %s", err, raw)
		}
		switch v := tok.(type) {
		case json.Delim:
			out = append(out, v.String())
		case string:
			out = append(out, "s:"+v)
		case json.Number:
			out = append(out, "n:"+v.String())
		case bool:
			out = append(out, fmt.Sprintf("b:%t", v))
		case nil:
			out = append(out, "null")
		}
	}
}

// labelWant checks that an answer is HTTP 200 with exactly the JSON want.
func labelWant(t *testing.T, what string, r response, want string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("%s: HTTP %d, want 200; body %s", what, r.Status, r.Body)
		return
	}
	if !slices.Equal(labelTokens(t, r.Body), labelTokens(t, []byte(want))) {
		t.Errorf("%s:\n got %s\nwant %s", what, bytes.TrimSpace(r.Body), want)
	}
}

// labelWantError checks for the error envelope with exactly msg.
func labelWantError(t *testing.T, what string, r response, msg string) {
	t.Helper()
	m, _ := json.Marshal(msg)
	labelWant(t, what, r, `{"status":"error","message":`+string(m)+`}`)
}

// labelAddPage connects another page of m, known to the fake Graph under a
// token of its own. ConnectPage on an existing page changes it.
func labelAddPage(t *testing.T, ts *testServer, m *member, pageID string, enabled bool) *xerochat.Page {
	t.Helper()
	token := "token-" + pageID
	ts.Fake.AddPage(pageID, token, "Page "+pageID)
	p, err := ts.DB.ConnectPage(context.Background(), &xerochat.Page{UserID: m.ID, PageID: pageID,
		Name: "Page " + pageID, AccessToken: token, BotEnabled: enabled})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// labelSubscriberOn stores a subscriber of page p (times never set), known
// to the fake Graph.
func labelSubscriberOn(t *testing.T, ts *testServer, p *xerochat.Page, psid, first string) *xerochat.Subscriber {
	t.Helper()
	ts.Fake.AddUser(p.PageID, psid, fakegraph.Profile{FirstName: first})
	s, err := ts.DB.SaveSubscriber(context.Background(), &xerochat.Subscriber{UserID: p.UserID, PageRef: p.ID,
		PSID: psid, FirstName: first, FullName: first})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// labelCreate makes a label through create_label and returns its id.
func labelCreate(t *testing.T, ts *testServer, m *member, pageID, name string) string {
	t.Helper()
	r := ts.post("create_label", vals("api_key", m.Key, "page_id", pageID, "label_name", name))
	v := r.JSON(t)
	id, ok := v["label_id"].(string)
	if v["status"] != "success" || !ok || id == "" {
		t.Fatalf("create_label %q: %s", name, r.Body)
	}
	return id
}

// labelOf returns the labels field of subscriber_information, sorted.
func labelOf(t *testing.T, ts *testServer, m *member, psid, pageID string) []string {
	t.Helper()
	r := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", psid, "page_id", pageID))
	var v struct {
		Info struct {
			Labels *string `json:"labels"`
		} `json:"subscriber_info"`
	}
	if err := json.Unmarshal(r.Body, &v); err != nil || v.Info.Labels == nil {
		t.Fatalf("subscriber_information %s: no labels string: %s", psid, r.Body)
	}
	if *v.Info.Labels == "" {
		return nil
	}
	ids := strings.Split(*v.Info.Labels, ",")
	slices.Sort(ids)
	return ids
}

// labelSorted returns ids sorted, for order-free comparison.
func labelSorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

func TestLabelGetAll(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	a := ts.newMember("labels-a@example.com", "1100000000000001")
	b := ts.newMember("labels-b@example.com", "2100000000000001")
	empty := labelAddPage(t, ts, a, "1100000000000002", true)
	disabled := labelAddPage(t, ts, a, "1100000000000003", true)

	// Stored straight, with ids whose numeric and text orders both differ
	// from the order they were made in.
	for _, l := range []struct{ id, name string }{{"300", "Zeta"}, {"1000", "Alpha"}, {"20", "Mid"}} {
		if _, err := ts.DB.SaveLabel(ctx, &xerochat.Label{UserID: a.ID, PageRef: a.Page.ID, LabelID: l.id, Name: l.name}); err != nil {
			t.Fatal(err)
		}
	}
	made := labelCreate(t, ts, a, a.PageID, "Made by create_label")
	labelCreate(t, ts, a, disabled.PageID, "On a page turned off")
	labelAddPage(t, ts, a, disabled.PageID, false)
	bLabel := labelCreate(t, ts, b, b.PageID, "B's")

	const (
		noLabels = "No Matching Label Found"
		noPage   = "Provide page_id field"
	)
	tests := []struct {
		name   string
		params url.Values
		want   string
		err    string
	}{
		{name: "oldest first", params: vals("api_key", a.Key, "page_id", a.PageID),
			want: `{"status":"success","label_info":[{"label_id":"300","label_name":"Zeta"},` +
				`{"label_id":"1000","label_name":"Alpha"},{"label_id":"20","label_name":"Mid"},` +
				`{"label_id":"` + made + `","label_name":"Made by create_label"}]}`},
		{name: "other member's own", params: vals("api_key", b.Key, "page_id", b.PageID),
			want: `{"status":"success","label_info":[{"label_id":"` + bLabel + `","label_name":"B's"}]}`},

		{name: "no key", params: vals("page_id", a.PageID), err: "API Key is required"},
		{name: "bad key before missing page_id", params: vals("api_key", "nope"), err: "Either API Key Invalid or Member Validity Expired"},
		{name: "no page_id", params: vals("api_key", a.Key), err: noPage},
		{name: "blank page_id", params: vals("api_key", a.Key, "page_id", " "), err: noPage},
		{name: "page without labels", params: vals("api_key", a.Key, "page_id", empty.PageID), err: noLabels},
		{name: "bot disabled", params: vals("api_key", a.Key, "page_id", disabled.PageID), err: noLabels},
		{name: "unknown page", params: vals("api_key", a.Key, "page_id", "1199999999999999"), err: noLabels},
		{name: "another member's page", params: vals("api_key", a.Key, "page_id", b.PageID), err: noLabels},
		{name: "another member's page, other way", params: vals("api_key", b.Key, "page_id", a.PageID), err: noLabels},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get("get_all_labels", tc.params)
			if tc.err != "" {
				labelWantError(t, tc.name, r, tc.err)
			} else {
				labelWant(t, tc.name, r, tc.want)
			}
		})
	}
}

// labelCustomLabelCalls returns the fake's POST /{page}/custom_labels calls.
func labelCustomLabelCalls(ts *testServer) []fakegraph.Call {
	var out []fakegraph.Call
	for _, c := range ts.Fake.Calls() {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/custom_labels") {
			out = append(out, c)
		}
	}
	return out
}

func TestLabelCreate(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("create-a@example.com", "1200000000000001")
	b := ts.newMember("create-b@example.com", "2200000000000001")
	page2 := labelAddPage(t, ts, a, "1200000000000002", true)
	disabled := labelAddPage(t, ts, a, "1200000000000003", false)

	t.Run("check order", func(t *testing.T) {
		const noBot = "No Enabled Bot Found"
		before := ts.snapshot()
		for _, tc := range []struct {
			name   string
			params url.Values
			err    string
		}{
			{"no key", vals("page_id", a.PageID, "label_name", "X"), "API Key is required"},
			{"bad key before missing fields", vals("api_key", "nope"), "Either API Key Invalid or Member Validity Expired"},
			{"nothing", vals("api_key", a.Key), "Provide page_id field"},
			{"no page_id", vals("api_key", a.Key, "label_name", "X"), "Provide page_id field"},
			{"no label_name", vals("api_key", a.Key, "page_id", a.PageID), "Provide label_name field"},
			{"blank label_name", vals("api_key", a.Key, "page_id", a.PageID, "label_name", "  "), "Provide label_name field"},
			{"no label_name, unknown page", vals("api_key", a.Key, "page_id", "1299999999999999"), "Provide label_name field"},
			{"unknown page", vals("api_key", a.Key, "page_id", "1299999999999999", "label_name", "X"), noBot},
			{"bot disabled", vals("api_key", a.Key, "page_id", disabled.PageID, "label_name", "X"), noBot},
			{"another member's page", vals("api_key", a.Key, "page_id", b.PageID, "label_name", "X"), noBot},
		} {
			labelWantError(t, tc.name, ts.post("create_label", tc.params), tc.err)
		}
		if n := len(labelCustomLabelCalls(ts)); n != 0 {
			t.Errorf("rejected calls reached Graph %d times", n)
		}
		if after := ts.snapshot(); after != before {
			t.Errorf("rejected calls changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	var vip string
	t.Run("creates on Facebook with the page token", func(t *testing.T) {
		ts.Fake.ResetCalls()
		r := ts.post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", "VIP"))
		vip, _ = r.JSON(t)["label_id"].(string)
		if vip == "" {
			t.Fatalf("no string label_id: %s", r.Body)
		}
		labelWant(t, "create_label", r, `{"status":"success","label_id":"`+vip+`"}`)
		calls := labelCustomLabelCalls(ts)
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
		labelWant(t, "get_all_labels", ts.get("get_all_labels", vals("api_key", a.Key, "page_id", a.PageID)),
			`{"status":"success","label_info":[{"label_id":"`+vip+`","label_name":"VIP"}]}`)
	})

	t.Run("same name again: same id, no Graph call", func(t *testing.T) {
		before, calls := ts.snapshot(), len(ts.Fake.Calls())
		for _, name := range []string{"VIP", "  VIP  "} {
			labelWant(t, name, ts.post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", name)),
				`{"status":"success","label_id":"`+vip+`"}`)
		}
		if n := len(ts.Fake.Calls()); n != calls {
			t.Errorf("Graph got %d calls, want none", n-calls)
		}
		if after := ts.snapshot(); after != before {
			t.Errorf("a repeated create changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("same name on another page is another label", func(t *testing.T) {
		id := labelCreate(t, ts, a, page2.PageID, "VIP")
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
			before, calls := ts.snapshot(), ts.Fake.CallCount(http.MethodPost, "/custom_labels")
			ts.Fake.Fail(http.MethodPost, "/custom_labels", fe.err, 1)
			defer ts.Fake.ClearFailures()
			name := "Fails " + fe.name
			labelWantError(t, name, ts.post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", name)), fe.err.Message)
			if n := ts.Fake.CallCount(http.MethodPost, "/custom_labels") - calls; n != 1 {
				t.Errorf("Graph got %d create calls, want 1", n)
			}
			if after := ts.snapshot(); after != before {
				t.Errorf("a failed create stored something:\nbefore %s\nafter  %s", before, after)
			}
			// Nothing was kept, so the next try asks Facebook again.
			labelCreate(t, ts, a, a.PageID, name)
			if n := ts.Fake.CallCount(http.MethodPost, "/custom_labels") - calls; n != 2 {
				t.Errorf("Graph got %d create calls after a retry, want 2", n)
			}
		})
	}

	t.Run("Graph down", func(t *testing.T) {
		before := ts.snapshot()
		ts.Fake.Down(true)
		r := ts.post("create_label", vals("api_key", a.Key, "page_id", a.PageID, "label_name", "While down"))
		ts.Fake.Down(false)
		labelWantClearOutage(t, ts, r, "token-"+a.PageID)
		if after := ts.snapshot(); after != before {
			t.Errorf("a create while Graph was down stored something:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// labelWantClearOutage checks the answer to a call made while Graph was down:
// HTTP 200 with an error envelope whose message names Facebook and gives away
// neither the token nor Graph's address.
func labelWantClearOutage(t *testing.T, ts *testServer, r response, token string) {
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
	ts := startServer(t)
	a := ts.newMember("ten-a@example.com", "1400000000000001")
	b := ts.newMember("ten-b@example.com", "2400000000000001")
	const aSub, bSub, nowhere = "5400000000000001", "6400000000000001", "9400000000000009"
	ts.addSubscriber(a, aSub, "Ann", "A")
	ts.addSubscriber(b, bSub, "Bea", "B")
	aLabel := labelCreate(t, ts, a, a.PageID, "A's")
	bLabel := labelCreate(t, ts, b, b.PageID, "B's")
	labelWant(t, "assign", ts.post("assign_label", vals("api_key", a.Key, "page_id", a.PageID, "subscriber_id", aSub,
		"label_ids", aLabel)), `{"success":true,"status":"success"}`)
	ts.Fake.ResetCalls()
	before := ts.snapshot()

	// Each case is sent twice, with a's value and with one that exists
	// nowhere (the ? in params); both must answer msg.
	for _, tc := range []struct {
		name, endpoint string
		params         []string
		aValue         string
		msg            string
	}{
		{"subscriber_information PSID", "subscriber_information", []string{"subscriber_id", "?"}, aSub, "No Matching Subscriber Found"},
		{"subscriber_information page", "subscriber_information", []string{"subscriber_id", aSub, "page_id", "?"}, a.PageID, "No Matching Subscriber Found"},
		{"get_all_labels page", "get_all_labels", []string{"page_id", "?"}, a.PageID, "No Matching Label Found"},
		{"create_label page", "create_label", []string{"page_id", "?", "label_name", "A's"}, a.PageID, "No Enabled Bot Found"},
		{"assign_label page", "assign_label", []string{"page_id", "?", "subscriber_id", aSub, "label_ids", aLabel}, a.PageID, "No Enabled Bot Found"},
		{"assign_label label", "assign_label", []string{"page_id", b.PageID, "subscriber_id", bSub, "label_ids", "?"}, aLabel, "No Label Found"},
		{"assign_label label among own", "assign_label", []string{"page_id", b.PageID, "subscriber_id", bSub, "label_ids", bLabel + ",?"}, aLabel, "No Label Found"},
		{"assign_label PSID", "assign_label", []string{"page_id", b.PageID, "subscriber_id", "?", "label_ids", bLabel}, aSub, "No Matching Subscriber Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{tc.aValue, nowhere} {
				params := vals("api_key", b.Key)
				for i := 0; i+1 < len(tc.params); i += 2 {
					params.Set(tc.params[i], strings.ReplaceAll(tc.params[i+1], "?", v))
				}
				labelWantError(t, tc.endpoint+" "+params.Encode(), ts.post(tc.endpoint, params), tc.msg)
			}
		})
	}
	if calls := ts.Fake.Calls(); len(calls) != 0 {
		t.Errorf("another member's calls reached Graph: %+v", calls)
	}
	if after := ts.snapshot(); after != before {
		t.Errorf("another member's calls changed the database:\nbefore %s\nafter  %s", before, after)
	}
	if got := labelOf(t, ts, a, aSub, a.PageID); !slices.Equal(got, []string{aLabel}) {
		t.Errorf("a's subscriber has labels %v, want [%s]", got, aLabel)
	}
}
