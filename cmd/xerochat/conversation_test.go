package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/sqlstore"
)

// eventually polls cond until it holds, failing after a generous limit.
// Workers are asynchronous by design; this waits for them, it does not time
// them.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until every webhook batch is processed and every queued
// message has left the outbox.
func (ts *testServer) settle() {
	ts.t.Helper()
	eventually(ts.t, "the workers to finish", func() bool {
		batches, messages, _, err := ts.DB.Backlog(context.Background())
		return err == nil && batches == 0 && messages == 0
	})
}

// person starts someone writing to the member's page through the webhook.
func (ts *testServer) person(m *member, psid string, p fakegraph.Profile) *fakegraph.Person {
	return ts.Fake.Person(m.PageID, psid, p, ts.URL()+"/webhook", testAppSecret)
}

// createFlow stores a flow campaign from a flow file on the member's page.
func (ts *testServer) createFlow(m *member, ff xerochat.FlowFile) *xerochat.FlowCampaign {
	ts.t.Helper()
	fc, err := ff.Campaign(m.ID, m.Page.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	if _, err := ts.DB.CreateFlowCampaign(context.Background(), fc); err != nil {
		ts.t.Fatal(err)
	}
	return fc
}

func TestConversationWholeFlow(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("flow@example.com", "700000000000001")
	ff := xerochat.FlowFile{FlowName: "Survey", CompletionMessage: "Thanks!"}
	ff.Triggers.Keywords = []string{"Start Survey"}
	ff.Questions = []xerochat.FlowFileQuestion{
		{Question: "Your e-mail?", Type: "email", Reprompt: "That is not an e-mail address."},
		{Question: "Favourite colour?", Type: "choice", Options: []string{"Red", "Blue"}},
	}
	fc := ts.createFlow(m, ff)
	p := ts.person(m, "2500000000000001", fakegraph.Profile{FirstName: "Zoë", LastName: "Ng"})

	texts := func() []string {
		var out []string
		for _, s := range p.Sent() {
			out = append(out, s.Text)
		}
		return out
	}
	waitSent := func(n int) {
		eventually(t, fmt.Sprintf("%d messages to the person", n), func() bool { return len(p.Sent()) >= n })
	}
	if _, err := p.Say("  start SURVEY "); err != nil {
		t.Fatal(err)
	}
	waitSent(1)
	if _, err := p.Say("not an address"); err != nil {
		t.Fatal(err)
	}
	waitSent(2)
	if _, err := p.Say("zoe@example.com"); err != nil {
		t.Fatal(err)
	}
	waitSent(3)
	if got := p.Sent()[2].QuickReplies; len(got) != 2 || got[0].Title != "Red" {
		t.Fatalf("choice question quick replies = %+v", got)
	}
	if _, err := p.Tap("Blue", "Blue"); err != nil {
		t.Fatal(err)
	}
	waitSent(4)
	want := []string{"Your e-mail?", "That is not an e-mail address.", "Favourite colour?", "Thanks!"}
	if got := texts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the person saw %q, want %q", got, want)
	}
	res := ts.get("get_single_subscriber_flow_info", vals("api_key", m.Key, "flow_campaign_id", fmt.Sprint(fc.ID), "subscriber_id", p.PSID))
	wantBody := fmt.Sprintf(`{"id":"%d","flow_name":"Survey","data":[{"question_id":"%d","question":"Your e-mail?","answer":"zoe@example.com"},{"question_id":"%d","question":"Favourite colour?","answer":"Blue"}]}`+"\n",
		fc.ID, fc.Questions[0].ID, fc.Questions[1].ID)
	if string(res.Body) != wantBody {
		t.Fatalf("flow info:\n got %s\nwant %s", res.Body, wantBody)
	}
	eventually(t, "the profile", func() bool {
		v := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", p.PSID)).JSON(t)
		info, _ := v["subscriber_info"].(map[string]any)
		return info != nil && info["first_name"] == "Zoë" && info["email"] == "zoe@example.com"
	})
	// Facebook re-delivers the last event: nothing changes, nothing is sent.
	if err := p.Redeliver(); err != nil {
		t.Fatal(err)
	}
	before := ts.snapshot()
	ts.settle()
	if len(p.Sent()) != 4 || ts.snapshot() != before {
		t.Fatalf("a re-delivered event took effect again")
	}
}

// TestConversationFailingEventSkippedAlone makes one event fail on every
// attempt (a trigger refuses its subscriber): the batch is retried, then
// applied without that event — the other person's event in the same batch
// takes effect, and the lane moves on to later batches.
func TestConversationFailingEventSkippedAlone(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("poison@example.com", "700000000000009")
	ff := xerochat.FlowFile{FlowName: "F"}
	ff.Triggers.Keywords = []string{"start"}
	ff.Questions = []xerochat.FlowFileQuestion{{Question: "Q1?"}}
	ts.createFlow(m, ff)
	refuse := []string{`CREATE TRIGGER refuse_poison BEFORE INSERT ON subscribers
		WHEN NEW.psid = '2600000000000666' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`}
	if ts.DB.Dialect() == sqlstore.Postgres {
		refuse = []string{`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.psid = '2600000000000666' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER refuse_poison BEFORE INSERT ON subscribers FOR EACH ROW EXECUTE FUNCTION refuse_poison()`}
	}
	for _, q := range refuse {
		if _, err := ts.DB.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UnixMilli()
	event := func(psid, mid string) map[string]any {
		return map[string]any{"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": m.PageID},
			"timestamp": now, "message": map[string]string{"mid": mid, "text": "start"}}
	}
	ts.Fake.AddUser(m.PageID, "2600000000000001", fakegraph.Profile{FirstName: "Good"})
	body, _ := fakegraph.FacebookJSON(map[string]any{"object": "page", "entry": []any{map[string]any{
		"id": m.PageID, "time": now, "messaging": []any{event("2600000000000666", "m_bad"), event("2600000000000001", "m_good")}}}})
	p := ts.person(m, "2600000000000002", fakegraph.Profile{FirstName: "Later"})
	if status, err := p.PostRaw(body, true); err != nil || status != 200 {
		t.Fatalf("webhook: %d %v", status, err)
	}
	if _, err := p.Say("start"); err != nil {
		t.Fatal(err)
	}
	ts.settle()
	if got := ts.Fake.Sent("2600000000000001"); len(got) != 1 || got[0].Text != "Q1?" {
		t.Fatalf("the good event of the failing batch: sent %+v, want Q1?", got)
	}
	if got := p.Sent(); len(got) != 1 {
		t.Fatalf("the later batch: sent %+v, want Q1?", got)
	}
	var attempts int
	var lastError string
	if err := ts.DB.SQL().QueryRow(`SELECT attempts, last_error FROM webhook_batches ORDER BY id LIMIT 1`).Scan(&attempts, &lastError); err != nil {
		t.Fatal(err)
	}
	if attempts != messenger.MaxBatchAttempts || !strings.Contains(lastError, "refused by test") {
		t.Fatalf("failing batch: %d attempts, last error %q", attempts, lastError)
	}
	if res := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", "2600000000000666")); res.Message(t) != "No Matching Subscriber Found" {
		t.Fatalf("the refused subscriber exists: %s", res.Body)
	}
}
