package main

// Whole conversations end to end: a person played by the fake Facebook writes
// to the page, the webhook takes the batch, the flow engine answers through
// the Send API of the fake, and the outcome is read back through /api like a
// client does.

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
)

// mfChat is a person talking to a page, with the list of texts the person
// is expected to have seen so far.
type mfChat struct {
	t    *testing.T
	ts   *testServer
	p    *fakegraph.Person
	seen []string
}

func mfStartChat(t *testing.T, ts *testServer, m *member, psid string, prof fakegraph.Profile) *mfChat {
	return &mfChat{t: t, ts: ts, p: ts.person(m, psid, prof)}
}

var mfMIDSeq atomic.Int64

// post sends one messaging event of the person, stamped with at, exactly as
// Facebook does (signed, non-ASCII escaped).
func (c *mfChat) post(at time.Time, event map[string]any) {
	c.t.Helper()
	event["sender"] = map[string]string{"id": c.p.PSID}
	event["recipient"] = map[string]string{"id": c.p.PageID}
	event["timestamp"] = at.UnixMilli()
	body, err := fakegraph.FacebookJSON(map[string]any{"object": "page", "entry": []any{map[string]any{
		"id": c.p.PageID, "time": at.UnixMilli(), "messaging": []any{event}}}})
	if err != nil {
		c.t.Fatal(err)
	}
	status, err := c.p.PostRaw(body, true)
	if err != nil || status != http.StatusOK {
		c.t.Fatalf("webhook: status %d, %v", status, err)
	}
}

// sayAt sends a text message with the given event time.
func (c *mfChat) sayAt(at time.Time, text string) {
	c.t.Helper()
	c.post(at, map[string]any{"message": map[string]any{"mid": fmt.Sprintf("m_mf_%d", mfMIDSeq.Add(1)), "text": text}})
}

// sendPhoto sends a message that is only an attachment, without text.
func (c *mfChat) sendPhoto() {
	c.t.Helper()
	c.post(time.Now(), map[string]any{"message": map[string]any{"mid": fmt.Sprintf("m_mf_%d", mfMIDSeq.Add(1)),
		"attachments": []any{map[string]any{"type": "image", "payload": map[string]string{"url": "https://scontent.example/photo.jpg"}}}}})
}

// send types text without waiting for an answer.
func (c *mfChat) send(text string) {
	c.t.Helper()
	if _, err := c.p.Say(text); err != nil {
		c.t.Fatal(err)
	}
}

// expect waits for replies to arrive after what the person saw so far, in
// this order, and returns them. With no replies it waits until the server is
// idle and checks that nothing more arrived.
func (c *mfChat) expect(replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	if len(replies) == 0 {
		c.ts.settle()
		if sent := c.p.Sent(); len(sent) != len(c.seen) {
			c.t.Fatalf("%s was sent %q, want no new message after %q", c.p.PSID, mfTexts(sent), c.seen)
		}
		return nil
	}
	n := len(c.seen) + len(replies)
	var sent []fakegraph.SentMessage
	eventually(c.t, fmt.Sprintf("%q to reach %s", replies, c.p.PSID), func() bool {
		sent = c.p.Sent()
		return len(sent) >= n
	})
	got := sent[len(c.seen):n]
	if texts := mfTexts(got); !slices.Equal(texts, replies) {
		c.t.Fatalf("after %q, %s was sent %q, want %q", c.seen, c.p.PSID, texts, replies)
	}
	c.seen = append(c.seen, replies...)
	return got
}

// say types text and expects the replies (none: expects silence).
func (c *mfChat) say(text string, replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	c.send(text)
	return c.expect(replies...)
}

// tapOption taps the quick reply titled title on the last message, with the
// payload the server gave it.
func (c *mfChat) tapOption(title string, replies ...string) []fakegraph.SentMessage {
	c.t.Helper()
	sent := c.p.Sent()
	if len(sent) == 0 {
		c.t.Fatalf("no message to tap a quick reply on")
	}
	for _, qr := range sent[len(sent)-1].QuickReplies {
		if qr.Title == title {
			if _, err := c.p.Tap(qr.Title, qr.Payload); err != nil {
				c.t.Fatal(err)
			}
			return c.expect(replies...)
		}
	}
	c.t.Fatalf("the last message %q has no quick reply %q", sent[len(sent)-1].Text, title)
	return nil
}

// done waits until the server is idle and checks that the person saw
// exactly the expected texts, nothing more.
func (c *mfChat) done() {
	c.t.Helper()
	c.ts.settle()
	if got := mfTexts(c.p.Sent()); !slices.Equal(got, c.seen) {
		c.t.Fatalf("%s saw\n %q\nwant\n %q", c.p.PSID, got, c.seen)
	}
}

func mfTexts(sent []fakegraph.SentMessage) []string {
	out := []string{}
	for _, s := range sent {
		out = append(out, s.Text)
	}
	return out
}

// mfJSON encodes v as the server does (no HTML escaping), without the
// trailing newline.
func mfJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// mfQA is an answer to the campaign's question at index Q (0-based).
type mfQA struct {
	Q int
	A string
}

// mfSingleWant is the exact body of get_single_subscriber_flow_info.
func mfSingleWant(fc *xerochat.FlowCampaign, qas ...mfQA) string {
	items := []string{}
	for _, qa := range qas {
		q := fc.Questions[qa.Q]
		items = append(items, fmt.Sprintf(`{"question_id":"%d","question":%s,"answer":%s}`, q.ID, mfJSON(q.Question), mfJSON(qa.A)))
	}
	return fmt.Sprintf(`{"id":"%d","flow_name":%s,"data":[%s]}`+"\n", fc.ID, mfJSON(fc.Name), strings.Join(items, ","))
}

// mfAnswers checks the subscriber's stored answers to the campaign.
func mfAnswers(t *testing.T, ts *testServer, m *member, fc *xerochat.FlowCampaign, psid string, qas ...mfQA) {
	t.Helper()
	res := ts.get("get_single_subscriber_flow_info", vals("api_key", m.Key, "flow_campaign_id", fmt.Sprint(fc.ID), "subscriber_id", psid))
	if want := mfSingleWant(fc, qas...); string(res.Body) != want {
		t.Fatalf("answers of %s:\n got %s\nwant %s", psid, res.Body, want)
	}
}

// mfPersonAnswers is one subscriber's entry in get_all_subscriber_flow_info.
type mfPersonAnswers struct {
	PSID string
	QAs  []mfQA
}

// mfAllWant is the exact body of get_all_subscriber_flow_info.
func mfAllWant(fc *xerochat.FlowCampaign, people ...mfPersonAnswers) string {
	var groups []string
	for _, p := range people {
		var items []string
		for _, qa := range p.QAs {
			q := fc.Questions[qa.Q]
			items = append(items, fmt.Sprintf(`{"question_id":"%d","id":"%d","question":%s,"answer":%s}`,
				q.ID, q.ID, mfJSON(q.Question), mfJSON(qa.A)))
		}
		groups = append(groups, fmt.Sprintf(`%s:[%s]`, mfJSON(p.PSID), strings.Join(items, ",")))
	}
	return fmt.Sprintf(`{"id":"%d","flow_name":%s,"data":{%s}}`+"\n", fc.ID, mfJSON(fc.Name), strings.Join(groups, ","))
}

func mfAllAnswers(t *testing.T, ts *testServer, m *member, fc *xerochat.FlowCampaign, people ...mfPersonAnswers) {
	t.Helper()
	res := ts.get("get_all_subscriber_flow_info", vals("api_key", m.Key, "flow_campaign_id", fmt.Sprint(fc.ID)))
	// This endpoint streams with json.Marshal, which escapes <, > and & as
	// \u003c, \u003e and \u0026: the same JSON strings, so they are read back.
	got := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(res.Body))
	if want := mfAllWant(fc, people...); got != want {
		t.Fatalf("all answers:\n got %s\nwant %s", res.Body, want)
	}
}

// mfInfo returns subscriber_info of the member's subscriber, nil when the
// call does not succeed.
func mfInfo(t *testing.T, ts *testServer, m *member, psid string) map[string]any {
	t.Helper()
	v := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", psid)).JSON(t)
	if v["status"] != "success" {
		return nil
	}
	info, _ := v["subscriber_info"].(map[string]any)
	return info
}

// mfMustInfo is mfInfo for a subscriber that must exist.
func mfMustInfo(t *testing.T, ts *testServer, m *member, psid string) map[string]any {
	t.Helper()
	info := mfInfo(t, ts, m, psid)
	if info == nil {
		t.Fatalf("subscriber %s not found", psid)
	}
	return info
}

// mfFlow stores a campaign with keywords and payloads as triggers.
func mfFlow(ts *testServer, m *member, name string, keywords, payloads []string, completion string,
	questions ...xerochat.FlowFileQuestion) *xerochat.FlowCampaign {
	ff := xerochat.FlowFile{FlowName: name, CompletionMessage: completion, Questions: questions}
	ff.Triggers.Keywords = keywords
	ff.Triggers.Payloads = payloads
	return ts.createFlow(m, ff)
}

// TestMessengerTriggers starts flows by keyword, postback and quick reply,
// leaves other messages unanswered, and restarts a running flow.
func TestMessengerTriggers(t *testing.T) {
	t.Parallel()
	questions := []xerochat.FlowFileQuestion{
		{Question: "Your name?", Type: "text"},
		{Question: "Your e-mail?", Type: "email", Reprompt: "That is not an e-mail address."},
	}
	setup := func(t *testing.T, email string) (*testServer, *member, *xerochat.FlowCampaign) {
		ts := startServer(t)
		m := ts.newMember(email, "720000000000001")
		fc := mfFlow(ts, m, "Club", []string{"Join Club"}, []string{"GET_STARTED", "JOIN_CLUB"}, "Welcome to the club!", questions...)
		return ts, m, fc
	}

	t.Run("keyword is the whole message, any case", func(t *testing.T) {
		t.Parallel()
		ts, m, fc := setup(t, "kw@example.com")
		c := mfStartChat(t, ts, m, "2520000000000001", fakegraph.Profile{FirstName: "Ann"})
		for _, text := range []string{"I want to join club please", "join club!", "join", "Join-Club", "club"} {
			c.say(text)
		}
		c.say("  jOIN cLUB \n", "Your name?")
		c.say("Ann", "Your e-mail?")
		c.say("ann@example.com", "Welcome to the club!")
		mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Ann"}, mfQA{1, "ann@example.com"})
		c.done()
	})

	t.Run("postback payload", func(t *testing.T) {
		t.Parallel()
		ts, m, fc := setup(t, "pb@example.com")
		c := mfStartChat(t, ts, m, "2520000000000002", fakegraph.Profile{FirstName: "Bob"})
		if _, err := c.p.Postback("Get Started", "SOMETHING_ELSE", "", ""); err != nil {
			t.Fatal(err)
		}
		c.expect()
		// A payload typed as text is not a postback.
		c.say("GET_STARTED")
		if _, err := c.p.Postback("Get Started", "GET_STARTED", "", ""); err != nil {
			t.Fatal(err)
		}
		c.expect("Your name?")
		c.say("Bob", "Your e-mail?")
		mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Bob"})
		c.done()
	})

	t.Run("quick reply payload", func(t *testing.T) {
		t.Parallel()
		ts, m, fc := setup(t, "qr@example.com")
		c := mfStartChat(t, ts, m, "2520000000000003", fakegraph.Profile{FirstName: "Cid"})
		if _, err := c.p.Tap("Sure!", "NOT_A_CAMPAIGN"); err != nil {
			t.Fatal(err)
		}
		c.expect()
		if _, err := c.p.Tap("Sure!", "JOIN_CLUB"); err != nil {
			t.Fatal(err)
		}
		c.expect("Your name?")
		c.say("Cid", "Your e-mail?")
		c.say("cid@example.com", "Welcome to the club!")
		mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Cid"}, mfQA{1, "cid@example.com"})
		c.done()
	})

	t.Run("no trigger and no flow: no reply, subscriber kept current", func(t *testing.T) {
		t.Parallel()
		ts, m, fc := setup(t, "quiet@example.com")
		c := mfStartChat(t, ts, m, "2520000000000004", fakegraph.Profile{FirstName: "Dee", LastName: "Quiet"})
		t0 := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
		c.sayAt(t0, "hello there")
		c.expect()
		info := mfMustInfo(t, ts, m, c.p.PSID)
		if info["subscribed_at"] != "2024-06-01 08:00:00" || info["last_subscriber_interaction_time"] != "2024-06-01 08:00:00" {
			t.Fatalf("new subscriber: subscribed_at %v, last interaction %v", info["subscribed_at"], info["last_subscriber_interaction_time"])
		}
		c.sayAt(t0.Add(10*time.Minute), "anyone?")
		c.expect()
		info = mfMustInfo(t, ts, m, c.p.PSID)
		if info["subscribed_at"] != "2024-06-01 08:00:00" || info["last_subscriber_interaction_time"] != "2024-06-01 08:10:00" {
			t.Fatalf("after a second message: subscribed_at %v, last interaction %v", info["subscribed_at"], info["last_subscriber_interaction_time"])
		}
		mfAnswers(t, ts, m, fc, c.p.PSID)
		mfAllAnswers(t, ts, m, fc)
		c.done()
	})

	t.Run("triggering again restarts; a later answer replaces", func(t *testing.T) {
		t.Parallel()
		ts, m, fc := setup(t, "again@example.com")
		c := mfStartChat(t, ts, m, "2520000000000005", fakegraph.Profile{FirstName: "Eve"})
		c.say("join club", "Your name?")
		// The keyword typed as the answer to a text question restarts the
		// flow rather than being stored.
		c.say("JOIN CLUB", "Your name?")
		mfAnswers(t, ts, m, fc, c.p.PSID)
		c.say("Ann", "Your e-mail?")
		mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Ann"})
		// Mid-flow, a postback trigger starts over at question 1.
		if _, err := c.p.Postback("Get Started", "GET_STARTED", "", ""); err != nil {
			t.Fatal(err)
		}
		c.expect("Your name?")
		c.say("Anna", "Your e-mail?")
		mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Anna"})
		c.say("anna@example.com", "Welcome to the club!")
		mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Anna"}, mfQA{1, "anna@example.com"})
		// After the end, triggering again runs it once more; the new answer
		// to question 1 replaces the old one, question 2's answer stays.
		c.say("Join Club", "Your name?")
		c.say("Annie", "Your e-mail?")
		mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Annie"}, mfQA{1, "anna@example.com"})
		mfAllAnswers(t, ts, m, fc, mfPersonAnswers{c.p.PSID, []mfQA{{0, "Annie"}, {1, "anna@example.com"}}})
		var rows int
		if err := ts.DB.SQL().QueryRow(`SELECT COUNT(*) FROM flow_answers`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 2 {
			t.Fatalf("%d answer rows stored, want one per question (2)", rows)
		}
		c.done()
	})
}

// TestMessengerTwoCampaignsTwoPeople runs two campaigns of one page with
// three people whose messages interleave.
func TestMessengerTwoCampaignsTwoPeople(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("two@example.com", "730000000000001")
	coffee := mfFlow(ts, m, "Coffee order", []string{"coffee"}, nil, "Your coffee is on its way.",
		xerochat.FlowFileQuestion{Question: "Espresso or latte?", Type: "choice", Options: []string{"Espresso", "Latte"}},
		xerochat.FlowFileQuestion{Question: "How many shots?", Type: "number"})
	feedback := mfFlow(ts, m, "Feedback", []string{"feedback"}, nil, "Thank you for your feedback!",
		xerochat.FlowFileQuestion{Question: "How would you rate us from 1 to 5?", Type: "number"},
		xerochat.FlowFileQuestion{Question: "Anything we could do better?", Type: "text"})
	ana := mfStartChat(t, ts, m, "2530000000000001", fakegraph.Profile{FirstName: "Ana"})
	ben := mfStartChat(t, ts, m, "2530000000000002", fakegraph.Profile{FirstName: "Ben"})
	cid := mfStartChat(t, ts, m, "2530000000000003", fakegraph.Profile{FirstName: "Cid"})

	// Each round, everyone writes before anyone's reply is awaited.
	ana.send("coffee")
	ben.send("Feedback")
	cid.send("COFFEE")
	ana.expect("Espresso or latte?")
	ben.expect("How would you rate us from 1 to 5?")
	cid.expect("Espresso or latte?")

	if _, err := cid.p.Tap("Latte", "Latte"); err != nil {
		t.Fatal(err)
	}
	ben.send("five")
	ana.send("espresso")
	cid.expect("How many shots?")
	ben.expect("Please answer with a number. How would you rate us from 1 to 5?")
	ana.expect("How many shots?")

	ana.send("2")
	ben.send("4")
	cid.send("1")
	ana.expect("Your coffee is on its way.")
	ben.expect("Anything we could do better?")
	cid.expect("Your coffee is on its way.")

	ben.say("More oat milk", "Thank you for your feedback!")
	for _, c := range []*mfChat{ana, ben, cid} {
		c.done()
	}

	// Cid answered first, though Ana started first and has the lower PSID.
	mfAllAnswers(t, ts, m, coffee,
		mfPersonAnswers{cid.p.PSID, []mfQA{{0, "Latte"}, {1, "1"}}},
		mfPersonAnswers{ana.p.PSID, []mfQA{{0, "Espresso"}, {1, "2"}}})
	mfAllAnswers(t, ts, m, feedback, mfPersonAnswers{ben.p.PSID, []mfQA{{0, "4"}, {1, "More oat milk"}}})
	mfAnswers(t, ts, m, coffee, ana.p.PSID, mfQA{0, "Espresso"}, mfQA{1, "2"})
	mfAnswers(t, ts, m, coffee, ben.p.PSID)
	mfAnswers(t, ts, m, feedback, ana.p.PSID)
	mfAnswers(t, ts, m, feedback, ben.p.PSID, mfQA{0, "4"}, mfQA{1, "More oat milk"})
}

// TestMessengerDemoSurvey plays a whole survey of every question type from
// Get Started to the completion message and checks everything the person
// saw, in order, and everything stored.
func TestMessengerDemoSurvey(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("demo-survey@example.com", "770000000000001")
	options := []string{"Espresso", "Flat white", "Cold brew"}
	fc := mfFlow(ts, m, "Coffee survey", []string{"survey"}, []string{"GET_STARTED"}, "Thanks! See you at Demo Coffee.",
		xerochat.FlowFileQuestion{Question: "Hi! What is your name?"},
		xerochat.FlowFileQuestion{Question: "Your e-mail for the loyalty card?", Type: "email", Reprompt: "Hmm, that does not look like an e-mail address. Try again?"},
		xerochat.FlowFileQuestion{Question: "A phone number for order updates?", Type: "phone"},
		xerochat.FlowFileQuestion{Question: "How many cups a day?", Type: "number"},
		xerochat.FlowFileQuestion{Question: "When is your birthday?", Type: "date", Reprompt: "Please write it like 1990-04-21."},
		xerochat.FlowFileQuestion{Question: "Your favourite coffee?", Type: "choice", Options: options})
	c := mfStartChat(t, ts, m, "2570000000000001", fakegraph.Profile{FirstName: "Ada", LastName: "Lovelace"})

	if _, err := c.p.Postback("Get Started", "GET_STARTED", "", ""); err != nil {
		t.Fatal(err)
	}
	c.expect("Hi! What is your name?")
	c.say("Ada", "Your e-mail for the loyalty card?")
	c.say("ada at example dot com", "Hmm, that does not look like an e-mail address. Try again?")
	c.say("ada@example.com", "A phone number for order updates?")
	c.say("+44 20 7946 0000", "How many cups a day?")
	c.say("three", "Please answer with a number. How many cups a day?")
	c.say("3", "When is your birthday?")
	c.say("10/12/1815", "Please write it like 1990-04-21.")
	c.say("10 December 1815", "Your favourite coffee?")
	c.say("Tea", "Please answer with one of the options. Your favourite coffee?")
	c.tapOption("Flat white", "Thanks! See you at Demo Coffee.")
	c.done()

	want := []string{
		"Hi! What is your name?",
		"Your e-mail for the loyalty card?",
		"Hmm, that does not look like an e-mail address. Try again?",
		"A phone number for order updates?",
		"How many cups a day?",
		"Please answer with a number. How many cups a day?",
		"When is your birthday?",
		"Please write it like 1990-04-21.",
		"Your favourite coffee?",
		"Please answer with one of the options. Your favourite coffee?",
		"Thanks! See you at Demo Coffee.",
	}
	sent := c.p.Sent()
	if got := mfTexts(sent); !slices.Equal(got, want) {
		t.Fatalf("the person saw\n %q\nwant\n %q", got, want)
	}
	for _, s := range sent {
		var titles []string
		for _, qr := range s.QuickReplies {
			titles = append(titles, qr.Title)
		}
		wantTitles := []string(nil)
		if strings.HasSuffix(s.Text, "Your favourite coffee?") {
			wantTitles = options
		}
		if !slices.Equal(titles, wantTitles) {
			t.Errorf("%q came with quick replies %q, want %q", s.Text, titles, wantTitles)
		}
		if s.MessagingType != "RESPONSE" || s.PageID != m.PageID || s.PageToken != m.Page.AccessToken {
			t.Errorf("%q was sent as %s from page %s with token %s", s.Text, s.MessagingType, s.PageID, s.PageToken)
		}
	}

	answers := []mfQA{{0, "Ada"}, {1, "ada@example.com"}, {2, "+44 20 7946 0000"}, {3, "3"}, {4, "1815-12-10"}, {5, "Flat white"}}
	mfAnswers(t, ts, m, fc, c.p.PSID, answers...)
	mfAllAnswers(t, ts, m, fc, mfPersonAnswers{c.p.PSID, answers})
	info := mfMustInfo(t, ts, m, c.p.PSID)
	if info["email"] != "ada@example.com" || info["phone_number"] != "+44 20 7946 0000" {
		t.Fatalf("subscriber contact: email %q, phone %q", info["email"], info["phone_number"])
	}
	eventually(t, "the profile", func() bool { return mfMustInfo(t, ts, m, c.p.PSID)["full_name"] == "Ada Lovelace" })
}
