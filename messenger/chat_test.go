package messenger_test

// Whole conversations end to end: a person played by the fake Facebook
// writes to the page, the webhook takes the batch, the flow engine answers
// through the Send API of the fake, and the outcome is read back through
// /api like a client does.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// chat is a person talking to a page, with the texts the person is
// expected to have seen so far.
type chat struct {
	t    *testing.T
	s    *xerochattest.Server
	p    *fakegraph.Person
	seen []string
}

func startChat(t *testing.T, s *xerochattest.Server, m *xerochattest.Member, psid string, prof fakegraph.Profile) *chat {
	return &chat{t: t, s: s, p: s.Person(m, psid, prof)}
}

var midSeq atomic.Int64

func nextMID() string { return fmt.Sprintf("m_chat_%d", midSeq.Add(1)) }

// post sends one messaging event of the person, stamped with at, exactly
// as Facebook does (signed, non-ASCII escaped).
func (c *chat) post(at time.Time, kind string, value any) {
	c.t.Helper()
	ev := xerochattest.Event(c.p.PageID, c.p.PSID, at.UnixMilli())
	ev[kind] = value
	entry := xerochattest.Entry(c.p.PageID, "messaging", ev)
	entry["time"] = at.UnixMilli()
	status, err := c.p.PostRaw(xerochattest.Batch(c.t, entry), true)
	if err != nil || status != http.StatusOK {
		c.t.Fatalf("webhook: status %d, %v", status, err)
	}
}

// sayAt sends a text message with the given event time.
func (c *chat) sayAt(at time.Time, text string) {
	c.t.Helper()
	c.post(at, "message", map[string]any{"mid": nextMID(), "text": text})
}

// sendPhoto sends a message that is only an attachment, without text.
func (c *chat) sendPhoto() {
	c.t.Helper()
	c.post(time.Now(), "message", map[string]any{"mid": nextMID(),
		"attachments": []any{map[string]any{"type": "image", "payload": map[string]string{"url": "https://scontent.example/photo.jpg"}}}})
}

// send types text without waiting for an answer.
func (c *chat) send(text string) {
	c.t.Helper()
	xerochattest.Say(c.t, c.p, text)
}

// expect waits for replies to arrive after what the person saw so far, in
// this order, and returns them. With no replies it waits until the server
// is idle and checks that nothing more arrived.
func (c *chat) expect(replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	if len(replies) == 0 {
		c.done()
		return nil
	}
	n := len(c.seen) + len(replies)
	xerochattest.WaitSent(c.t, c.p, n)
	got := c.p.Sent()[len(c.seen):n]
	if texts := xerochattest.Texts(got); !slices.Equal(texts, replies) {
		c.t.Fatalf("after %q, %s was sent %q, want %q", c.seen, c.p.PSID, texts, replies)
	}
	c.seen = append(c.seen, replies...)
	return got
}

// say types text and expects the replies (none: expects silence).
func (c *chat) say(text string, replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	c.send(text)
	return c.expect(replies...)
}

// postback presses a button carrying payload and expects the replies.
func (c *chat) postback(payload string, replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	if _, err := c.p.Postback("Get Started", payload, "", ""); err != nil {
		c.t.Fatal(err)
	}
	return c.expect(replies...)
}

// tap taps a quick reply with that title and payload, whether or not the
// page offered it, and expects the replies.
func (c *chat) tap(title, payload string, replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	if _, err := c.p.Tap(title, payload); err != nil {
		c.t.Fatal(err)
	}
	return c.expect(replies...)
}

// tapOption taps the quick reply titled title on the last message, with
// the payload the server gave it.
func (c *chat) tapOption(title string, replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	sent := c.p.Sent()
	if len(sent) == 0 {
		c.t.Fatalf("no message to tap a quick reply on")
	}
	for _, qr := range sent[len(sent)-1].QuickReplies {
		if qr.Title == title {
			return c.tap(qr.Title, qr.Payload, replies...)
		}
	}
	c.t.Fatalf("the last message %q has no quick reply %q", sent[len(sent)-1].Text, title)
	return nil
}

// done waits until the server is idle and checks that the person saw
// exactly the expected texts, nothing more.
func (c *chat) done() {
	c.t.Helper()
	c.s.Settle()
	xerochattest.ExpectSent(c.t, c.p, c.seen...)
}

// jsonText encodes v as the server does (no HTML escaping), without the
// trailing newline.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// qa is an answer to the campaign's question at index Q (0-based).
type qa struct {
	Q int
	A string
}

// expectFlowInfo checks the exact body of get_single_subscriber_flow_info
// for the subscriber.
func expectFlowInfo(t *testing.T, s *xerochattest.Server, m *xerochattest.Member, fc *xerochat.FlowCampaign, psid string, qas ...qa) {
	t.Helper()
	items := []string{}
	for _, a := range qas {
		q := fc.Questions[a.Q]
		items = append(items, fmt.Sprintf(`{"question_id":"%d","question":%s,"answer":%s}`, q.ID, jsonText(q.Question), jsonText(a.A)))
	}
	want := fmt.Sprintf(`{"id":"%d","flow_name":%s,"data":[%s]}`+"\n", fc.ID, jsonText(fc.Name), strings.Join(items, ","))
	res := s.Get("get_single_subscriber_flow_info", xerochattest.Vals("api_key", m.Key, "flow_campaign_id", fmt.Sprint(fc.ID), "subscriber_id", psid))
	if string(res.Body) != want {
		t.Fatalf("answers of %s:\n got %s\nwant %s", psid, res.Body, want)
	}
}

// personAnswers is one subscriber's entry in get_all_subscriber_flow_info.
type personAnswers struct {
	PSID string
	QAs  []qa
}

// expectAllFlowInfo checks the exact body of get_all_subscriber_flow_info.
func expectAllFlowInfo(t *testing.T, s *xerochattest.Server, m *xerochattest.Member, fc *xerochat.FlowCampaign, people ...personAnswers) {
	t.Helper()
	var groups []string
	for _, p := range people {
		var items []string
		for _, a := range p.QAs {
			q := fc.Questions[a.Q]
			items = append(items, fmt.Sprintf(`{"question_id":"%d","id":"%d","question":%s,"answer":%s}`,
				q.ID, q.ID, jsonText(q.Question), jsonText(a.A)))
		}
		groups = append(groups, fmt.Sprintf(`%s:[%s]`, jsonText(p.PSID), strings.Join(items, ",")))
	}
	want := fmt.Sprintf(`{"id":"%d","flow_name":%s,"data":{%s}}`+"\n", fc.ID, jsonText(fc.Name), strings.Join(groups, ","))
	res := s.Get("get_all_subscriber_flow_info", xerochattest.Vals("api_key", m.Key, "flow_campaign_id", fmt.Sprint(fc.ID)))
	// This endpoint streams with json.Marshal, which escapes <, > and & as
	// \u003c, \u003e and \u0026: the same JSON strings, so they are read back.
	got := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(res.Body))
	if got != want {
		t.Fatalf("all answers:\n got %s\nwant %s", res.Body, want)
	}
}

// newFlow stores a campaign with keywords and payloads as triggers.
func newFlow(s *xerochattest.Server, m *xerochattest.Member, name string, keywords, payloads []string, completion string,
	questions ...xerochat.FlowFileQuestion) *xerochat.FlowCampaign {
	ff := xerochat.FlowFile{FlowName: name, CompletionMessage: completion, Questions: questions}
	ff.Triggers.Keywords = keywords
	ff.Triggers.Payloads = payloads
	return s.CreateFlow(m, ff)
}
