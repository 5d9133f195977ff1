package main

// The restart and cluster tests run a survey: a person writes to the page,
// the server asks its questions through the fake Facebook and stores the
// answers, while the test stops, kills or doubles the server.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// survey is a flow started by keyword "start" or payload "SURVEY" that
// asks "<name> Q1?" .. "<name> Qn?" (text) and ends with "<name> done".
func survey(name string, n int) xerochat.FlowFile {
	ff := xerochat.FlowFile{FlowName: name, CompletionMessage: name + " done"}
	ff.Triggers.Keywords = []string{"start"}
	ff.Triggers.Payloads = []string{"SURVEY"}
	for i := 1; i <= n; i++ {
		ff.Questions = append(ff.Questions, xerochat.FlowFileQuestion{Question: fmt.Sprintf("%s Q%d?", name, i)})
	}
	return ff
}

// say makes the person write text, failing the test if the webhook
// refuses it.
func say(t testing.TB, p *fakegraph.Person, text string) {
	t.Helper()
	if _, err := p.Say(text); err != nil {
		t.Fatalf("%s says %q: %v", p.PSID, text, err)
	}
}

// texts is the text of each message the person saw, in order.
func texts(p *fakegraph.Person) []string {
	out := []string{}
	for _, m := range p.Sent() {
		out = append(out, m.Text)
	}
	return out
}

// waitSent waits until the person has been sent at least n messages.
func waitSent(t testing.TB, p *fakegraph.Person, n int) {
	t.Helper()
	xerochattest.Eventually(t, fmt.Sprintf("%d messages to %s", n, p.PSID), func() bool { return len(p.Sent()) >= n })
}

// expectSent fails unless the person saw exactly want, in order.
func expectSent(t testing.TB, p *fakegraph.Person, want ...string) {
	t.Helper()
	if got := texts(p); !slices.Equal(got, want) {
		t.Fatalf("%s saw %q, want exactly %q", p.PSID, got, want)
	}
}

// expectAnswers fails unless get_single_subscriber_flow_info of the server
// at base lists exactly want as the subscriber's answers.
func expectAnswers(t testing.TB, base, key string, campaignID int64, psid string, want ...string) {
	t.Helper()
	r := xerochattest.Get(t, base, "get_single_subscriber_flow_info", xerochattest.Vals("api_key", key,
		"flow_campaign_id", fmt.Sprint(campaignID), "subscriber_id", psid))
	var v struct {
		Data []struct {
			Answer string `json:"answer"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("get_single_subscriber_flow_info: %v: %s", err, r.Body)
	}
	got := []string{}
	for _, d := range v.Data {
		got = append(got, d.Answer)
	}
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("answers of %s: %q, want %q", psid, got, want)
	}
}

// count runs a COUNT query (no parameters: the placeholder syntax differs
// between the databases).
func count(t testing.TB, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitCount polls a count closely until it reaches n, to act at (or just
// after) a moment of the server's work; Eventually's pace would act too
// late. Counts only grow, so it cannot miss.
func waitCount(t testing.TB, db *sql.DB, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for count(t, db, query) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s to reach %d", query, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// until is Eventually for goroutines other than the test's: it returns the
// time-out instead of failing the test.
func until(what string, cond func() bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
