package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
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
