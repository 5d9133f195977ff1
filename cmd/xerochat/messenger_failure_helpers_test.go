package main

// The hard cases of Messenger: webhook intake rules, re-deliveries, Graph
// failures, restarts and several processes on one database. Everything goes
// through the real server (or the real binary) and the fake Facebook.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// hcCount runs a COUNT query (no parameters: the placeholder syntax differs
// between the databases) on the server's database.
func hcCount(t testing.TB, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// hcTexts is the text of each message the person saw, in order.
func hcTexts(sent []fakegraph.SentMessage) []string {
	out := []string{}
	for _, m := range sent {
		out = append(out, m.Text)
	}
	return out
}

// hcExpectSent fails unless the person saw exactly want, in order.
func hcExpectSent(t testing.TB, p *fakegraph.Person, want ...string) {
	t.Helper()
	if got := hcTexts(p.Sent()); !slices.Equal(got, want) {
		t.Fatalf("%s saw %q, want exactly %q", p.PSID, got, want)
	}
}

// hcWaitSent waits until the person has been sent at least n messages.
func hcWaitSent(t testing.TB, p *fakegraph.Person, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d messages to %s", n, p.PSID), func() bool { return len(p.Sent()) >= n })
}

// hcSay makes the person write text, failing the test if the webhook
// refuses it.
func hcSay(t testing.TB, p *fakegraph.Person, text string) {
	t.Helper()
	if _, err := p.Say(text); err != nil {
		t.Fatalf("%s says %q: %v", p.PSID, text, err)
	}
}

// hcSurvey is a flow started by keyword "start" or payload "SURVEY" that
// asks "<name> Q1?" .. "<name> Qn?" (text) and ends with "<name> done".
func hcSurvey(name string, n int) xerochat.FlowFile {
	ff := xerochat.FlowFile{FlowName: name, CompletionMessage: name + " done"}
	ff.Triggers.Keywords = []string{"start"}
	ff.Triggers.Payloads = []string{"SURVEY"}
	for i := 1; i <= n; i++ {
		ff.Questions = append(ff.Questions, xerochat.FlowFileQuestion{Question: fmt.Sprintf("%s Q%d?", name, i)})
	}
	return ff
}

// hcAnswersAt reads a subscriber's answers through
// get_single_subscriber_flow_info of the server at base.
func hcAnswersAt(t testing.TB, base, key string, campaignID int64, psid string) []string {
	t.Helper()
	res, err := http.Get(base + "/api/get_single_subscriber_flow_info?" + vals("api_key", key,
		"flow_campaign_id", fmt.Sprint(campaignID), "subscriber_id", psid).Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v struct {
		Data []struct {
			Answer string `json:"answer"`
		} `json:"data"`
	}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("get_single_subscriber_flow_info: %v: %s", err, raw)
	}
	out := []string{}
	for _, d := range v.Data {
		out = append(out, d.Answer)
	}
	return out
}

// hcExpectAnswers fails unless the stored answers are exactly want.
func hcExpectAnswers(t testing.TB, base, key string, campaignID int64, psid string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := hcAnswersAt(t, base, key, campaignID, psid); !slices.Equal(got, want) {
		t.Fatalf("answers of %s: %q, want %q", psid, got, want)
	}
}

// hcSubscriberInfo is subscriber_information's subscriber_info, nil when
// the subscriber is not found.
func hcSubscriberInfo(ts *testServer, m *member, psid string) map[string]any {
	ts.t.Helper()
	v := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", psid, "page_id", m.PageID)).JSON(ts.t)
	info, _ := v["subscriber_info"].(map[string]any)
	return info
}
