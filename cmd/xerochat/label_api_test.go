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
	"time"

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

// subscriberInfoKeys are the documented fields of subscriber_info, in order.
var subscriberInfoKeys = []string{"subscriber_id", "labels", "first_name", "last_name", "full_name", "gender",
	"locale", "timezone", "page_name", "page_id", "unavailable", "last_error_message",
	"last_error_message_conversation_broadcast", "refferer_source", "subscribed_at", "email", "phone_number",
	"birthdate", "last_subscriber_interaction_time"}

// subscriberInfoJSON is the success answer of subscriber_information with
// the given values of subscriberInfoKeys, all JSON strings.
func subscriberInfoJSON(values ...string) string {
	if len(values) != len(subscriberInfoKeys) {
		panic(fmt.Sprintf("subscriberInfoJSON: %d values for %d fields", len(values), len(subscriberInfoKeys)))
	}
	var b strings.Builder
	b.WriteString(`{"status":"success","subscriber_info":{`)
	for i, k := range subscriberInfoKeys {
		if i > 0 {
			b.WriteByte(',')
		}
		v, _ := json.Marshal(values[i])
		fmt.Fprintf(&b, "%q:%s", k, v)
	}
	b.WriteString("}}")
	return b.String()
}

// subscriberBareJSON is the answer for a subscriber stored with a first name
// only: every time never set.
func subscriberBareJSON(psid, first string, p *xerochat.Page, labels string) string {
	return subscriberInfoJSON(psid, labels, first, "", first, "", "", "", p.Name, p.PageID, "0", "", "", "",
		"0000-00-00 00:00:00", "", "", "0000-00-00", "0000-00-00 00:00:00")
}

func TestSubscriberInformation(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	a := ts.newMember("sub-a@example.com", "1000000000000001")
	b := ts.newMember("sub-b@example.com", "2000000000000001")
	page2 := labelAddPage(t, ts, a, "1000000000000002", true)

	const full, bare, shared = "5000000000000001", "5000000000000002", "5000000000000009"
	ts.Fake.AddUser(a.PageID, full, fakegraph.Profile{FirstName: "Ada"})
	if _, err := ts.DB.SaveSubscriber(ctx, &xerochat.Subscriber{UserID: a.ID, PageRef: a.Page.ID, PSID: full,
		FirstName: "Ada", LastName: "Lovelace", FullName: "Ada Lovelace", Gender: "female", Locale: "en_GB",
		Timezone: "-5", Unavailable: true, LastErrorMessage: "(#551) This person isn't available right now.",
		LastErrorBroadcast: "(#10) This message is sent outside of allowed window.", RefererSource: "m.me/ref",
		SubscribedAt: time.Date(2024, 3, 5, 14, 7, 9, 0, time.UTC), Email: "ada@example.com",
		PhoneNumber: "+441234567890", Birthdate: "1815-12-10",
		LastInteractionAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DB.SaveSubscriber(ctx, &xerochat.Subscriber{UserID: a.ID, PageRef: a.Page.ID, PSID: bare}); err != nil {
		t.Fatal(err)
	}
	// One PSID on both of a's pages; the first page's is the older.
	labelSubscriberOn(t, ts, a.Page, shared, "OnFirst")
	labelSubscriberOn(t, ts, page2, shared, "OnSecond")
	ts.addSubscriber(b, "6000000000000001", "Bea", "B")

	vip := labelCreate(t, ts, a, a.PageID, "VIP")
	lead := labelCreate(t, ts, a, a.PageID, "Lead")
	labelCreate(t, ts, a, a.PageID, "Unused")
	labelWant(t, "assign_label", ts.post("assign_label", vals("api_key", a.Key, "page_id", a.PageID,
		"subscriber_id", full, "label_ids", lead+","+vip)), `{"success":true,"status":"success"}`)

	// labels is a comma-separated list of exactly the assigned Facebook
	// label ids; their order is not part of the contract.
	if got, want := labelOf(t, ts, a, full, ""), labelSorted(vip, lead); !slices.Equal(got, want) {
		t.Fatalf("labels = %v, want %v", got, want)
	}
	labels := ts.get("subscriber_information", vals("api_key", a.Key, "subscriber_id", full)).JSON(t)["subscriber_info"].(map[string]any)["labels"].(string)
	fullJSON := subscriberInfoJSON(full, labels, "Ada", "Lovelace", "Ada Lovelace", "female", "en_GB", "-5",
		"Page 1000000000000001", "1000000000000001", "1", "(#551) This person isn't available right now.",
		"(#10) This message is sent outside of allowed window.", "m.me/ref", "2024-03-05 14:07:09",
		"ada@example.com", "+441234567890", "1815-12-10", "2025-01-02 03:04:05")

	const (
		noKey      = "API Key is required"
		badKey     = "Either API Key Invalid or Member Validity Expired"
		noSubField = "Provide subscriber_id field"
		noSub      = "No Matching Subscriber Found"
	)
	tests := []struct {
		name   string
		post   bool
		params url.Values
		want   string // JSON answer, or
		err    string // error message
	}{
		{name: "every field, GET", params: vals("api_key", a.Key, "subscriber_id", full), want: fullJSON},
		{name: "every field, POST with its page", post: true,
			params: vals("api_key", a.Key, "subscriber_id", full, "page_id", a.PageID), want: fullJSON},
		{name: "nothing set", params: vals("api_key", a.Key, "subscriber_id", bare),
			want: subscriberInfoJSON(bare, "", "", "", "", "", "", "", a.Page.Name, a.PageID, "0", "", "", "",
				"0000-00-00 00:00:00", "", "", "0000-00-00", "0000-00-00 00:00:00")},
		{name: "shared PSID, second page picked", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", page2.PageID),
			want: subscriberBareJSON(shared, "OnSecond", page2, "")},
		{name: "shared PSID, first page picked", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", a.PageID),
			want: subscriberBareJSON(shared, "OnFirst", a.Page, "")},
		// PageService.FindSubscriber: with several matches the oldest wins.
		{name: "shared PSID, no page: the oldest", params: vals("api_key", a.Key, "subscriber_id", shared),
			want: subscriberBareJSON(shared, "OnFirst", a.Page, "")},

		{name: "no key", params: vals("subscriber_id", full), err: noKey},
		{name: "bad key before missing subscriber_id", params: vals("api_key", "nope"), err: badKey},
		{name: "bad key", params: vals("api_key", "nope", "subscriber_id", full), err: badKey},
		{name: "no subscriber_id", params: vals("api_key", a.Key, "page_id", a.PageID), err: noSubField},
		{name: "blank subscriber_id", params: vals("api_key", a.Key, "subscriber_id", "  "), err: noSubField},
		{name: "unknown PSID", params: vals("api_key", a.Key, "subscriber_id", "5999999999999999"), err: noSub},
		{name: "PSID not on the page given", params: vals("api_key", a.Key, "subscriber_id", full, "page_id", page2.PageID), err: noSub},
		{name: "unknown page", params: vals("api_key", a.Key, "subscriber_id", full, "page_id", "1999999999999999"), err: noSub},
		{name: "another member's page", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", b.PageID), err: noSub},
		{name: "another member's subscriber", params: vals("api_key", b.Key, "subscriber_id", full), err: noSub},
		{name: "another member's subscriber and page", params: vals("api_key", b.Key, "subscriber_id", full, "page_id", a.PageID), err: noSub},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.post {
				r = ts.post("subscriber_information", tc.params)
			} else {
				r = ts.get("subscriber_information", tc.params)
			}
			if tc.err != "" {
				labelWantError(t, tc.name, r, tc.err)
			} else {
				labelWant(t, tc.name, r, tc.want)
			}
		})
	}
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
