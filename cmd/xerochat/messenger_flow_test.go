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

// mfSubInfo is subscriber_info with the documented keys in their order.
type mfSubInfo struct {
	SubscriberID       string `json:"subscriber_id"`
	Labels             string `json:"labels"`
	FirstName          string `json:"first_name"`
	LastName           string `json:"last_name"`
	FullName           string `json:"full_name"`
	Gender             string `json:"gender"`
	Locale             string `json:"locale"`
	Timezone           string `json:"timezone"`
	PageName           string `json:"page_name"`
	PageID             string `json:"page_id"`
	Unavailable        string `json:"unavailable"`
	LastErrorMessage   string `json:"last_error_message"`
	LastErrorBroadcast string `json:"last_error_message_conversation_broadcast"`
	RefferrerSource    string `json:"refferer_source"`
	SubscribedAt       string `json:"subscribed_at"`
	Email              string `json:"email"`
	PhoneNumber        string `json:"phone_number"`
	Birthdate          string `json:"birthdate"`
	LastInteraction    string `json:"last_subscriber_interaction_time"`
}

func mfSubInfoBody(info mfSubInfo) string {
	return `{"status":"success","subscriber_info":` + mfJSON(info) + "}\n"
}

// mfFlow stores a campaign with keywords and payloads as triggers.
func mfFlow(ts *testServer, m *member, name string, keywords, payloads []string, completion string,
	questions ...xerochat.FlowFileQuestion) *xerochat.FlowCampaign {
	ff := xerochat.FlowFile{FlowName: name, CompletionMessage: completion, Questions: questions}
	ff.Triggers.Keywords = keywords
	ff.Triggers.Payloads = payloads
	return ts.createFlow(m, ff)
}

// mfInput is one reply of the person: typed text, a tapped quick reply (by
// title), or a photo with no text.
type mfInput struct {
	Text  string
	Tap   bool
	Photo bool
}

func mfTyped(texts ...string) []mfInput {
	var out []mfInput
	for _, s := range texts {
		out = append(out, mfInput{Text: s})
	}
	return out
}

// TestMessengerQuestionTypes answers each question type with invalid replies
// (re-prompted, not stored, the flow stays) and valid ones (stored in their
// normal form, replacing the earlier answer, the flow moves on).
func TestMessengerQuestionTypes(t *testing.T) {
	t.Parallel()
	type valid struct {
		in     mfInput
		stored string
	}
	cases := []struct {
		name     string
		q        xerochat.FlowFileQuestion
		reprompt string // what the person sees after an invalid reply
		invalid  []mfInput
		valid    []valid
	}{{
		name:     "text",
		q:        xerochat.FlowFileQuestion{Question: "What should we call you?", Type: "text"},
		reprompt: "What should we call you?",
		invalid:  []mfInput{{Text: ""}, {Text: "   "}, {Photo: true}},
		valid: []valid{
			{mfInput{Text: "Zoë"}, "Zoë"},
			{mfInput{Text: "  Captain Nemo  "}, "Captain Nemo"},
			{mfInput{Text: "🚀 Rocket <3 & \"quotes\""}, "🚀 Rocket <3 & \"quotes\""},
		},
	}, {
		name:     "email",
		q:        xerochat.FlowFileQuestion{Question: "Your e-mail?", Type: "email", Reprompt: "That is not an e-mail address."},
		reprompt: "That is not an e-mail address.",
		invalid: append(mfTyped("not an address", "zoe@", "@example.com", "zoe @example.com", "Zoe <zoe@example.com>", ""),
			mfInput{Photo: true}),
		valid: []valid{
			{mfInput{Text: "zoe@example.com"}, "zoe@example.com"},
			{mfInput{Text: " Zoe.Ng+news@Mail.Example.org "}, "Zoe.Ng+news@Mail.Example.org"},
		},
	}, {
		name:     "phone",
		q:        xerochat.FlowFileQuestion{Question: "Your phone number?", Type: "phone"},
		reprompt: "Please answer with a phone number. Your phone number?",
		invalid:  mfTyped("1234", "+1234567890123456", "555-CALL-NOW", "call me", "++44 20 7946 0958", ""),
		valid: []valid{
			{mfInput{Text: "+44 20 7946 0958"}, "+44 20 7946 0958"},
			{mfInput{Text: "555-010-0199"}, "555-010-0199"},
			{mfInput{Text: "+1 555 010 0199"}, "+1 555 010 0199"},
		},
	}, {
		name:     "number",
		q:        xerochat.FlowFileQuestion{Question: "How many cups a day?", Type: "number", Reprompt: "Just a number, please."},
		reprompt: "Just a number, please.",
		invalid:  mfTyped("12abc", "NaN", "Inf", "-Inf", "a dozen", ""),
		valid: []valid{
			{mfInput{Text: "3"}, "3"},
			{mfInput{Text: "2.5"}, "2.5"},
			{mfInput{Text: "-4"}, "-4"},
		},
	}, {
		name:     "date",
		q:        xerochat.FlowFileQuestion{Question: "When is your birthday?", Type: "date"},
		reprompt: "Please answer with a date such as 2024-12-31. When is your birthday?",
		invalid:  mfTyped("31/12/2024", "2024-02-30", "2023-02-29", "next friday", ""),
		valid: []valid{
			{mfInput{Text: "2024-02-29"}, "2024-02-29"},
			{mfInput{Text: "31 December 2024"}, "2024-12-31"},
			{mfInput{Text: "Dec 31, 2024"}, "2024-12-31"},
			{mfInput{Text: "March 5 2024"}, "2024-03-05"},
		},
	}, {
		name:     "choice",
		q:        xerochat.FlowFileQuestion{Question: "Coffee or tea?", Type: "choice", Options: []string{"Coffee", "Tea", "Hot chocolate"}},
		reprompt: "Please answer with one of the options. Coffee or tea?",
		invalid:  append(mfTyped("Water", "cof", "Coffee or tea", ""), mfInput{Photo: true}),
		valid: []valid{
			{mfInput{Text: "Tea", Tap: true}, "Tea"},
			{mfInput{Text: "hot CHOCOLATE"}, "Hot chocolate"},
			{mfInput{Text: "Coffee", Tap: true}, "Coffee"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			m := ts.newMember("types-"+tc.name+"@example.com", "710000000000001")
			fc := mfFlow(ts, m, "Type "+tc.name, []string{"go"}, nil, "All done.",
				tc.q, xerochat.FlowFileQuestion{Question: "Anything else?", Type: "text"})
			c := mfStartChat(t, ts, m, "2510000000000001", fakegraph.Profile{FirstName: "Zoë", LastName: "Ng"})
			// asked checks that the question (or its re-prompt) came with the
			// options as quick replies for a choice, and with none otherwise.
			asked := func(msgs []fakegraph.SentMessage) {
				t.Helper()
				var titles []string
				for _, qr := range msgs[0].QuickReplies {
					if qr.ContentType != "text" || qr.Payload == "" {
						t.Fatalf("quick reply %+v: want content_type text and a payload", qr)
					}
					titles = append(titles, qr.Title)
				}
				if !slices.Equal(titles, tc.q.Options) {
					t.Fatalf("%q came with quick replies %q, want %q", msgs[0].Text, titles, tc.q.Options)
				}
			}
			reply := func(in mfInput, replies ...string) []fakegraph.SentMessage {
				t.Helper()
				switch {
				case in.Photo:
					c.sendPhoto()
					return c.expect(replies...)
				case in.Tap:
					return c.tapOption(in.Text, replies...)
				}
				return c.say(in.Text, replies...)
			}

			asked(c.say("go", tc.q.Question))
			for _, in := range tc.invalid {
				asked(reply(in, tc.reprompt))
				mfAnswers(t, ts, m, fc, c.p.PSID)
			}
			for i, v := range tc.valid {
				if i > 0 {
					asked(c.say("GO", tc.q.Question))
				}
				if msgs := reply(v.in, "Anything else?"); len(msgs[0].QuickReplies) != 0 {
					t.Fatalf("a text question came with quick replies %+v", msgs[0].QuickReplies)
				}
				mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, v.stored})
			}
			last := tc.valid[len(tc.valid)-1].stored
			c.say("Nothing, thanks", "All done.")
			mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, last}, mfQA{1, "Nothing, thanks"})
			mfAllAnswers(t, ts, m, fc, mfPersonAnswers{c.p.PSID, []mfQA{{0, last}, {1, "Nothing, thanks"}}})
			// The flow is over: further messages get no answer.
			c.say("hello?")
			c.done()
		})
	}
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

// TestMessengerSubscribers checks the subscribers Messenger creates: owner,
// profile, times, referral source, and profile fetches that fail at first.
func TestMessengerSubscribers(t *testing.T) {
	t.Parallel()

	t.Run("first message creates the owner's subscriber, in the server's zone", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, withTimezone("Asia/Kolkata")) // UTC+05:30
		m := ts.newMember("owner@example.com", "740000000000001")
		other := ts.newMember("other@example.com", "740000000000002")
		tz := 5.5
		c := mfStartChat(t, ts, m, "2540000000000001", fakegraph.Profile{FirstName: "Zoë", LastName: "Ng",
			ProfilePic: "https://example.com/zoe.jpg", Locale: "en_GB", Gender: "female", Timezone: &tz})
		t0 := time.Date(2024, 3, 5, 10, 20, 30, 0, time.UTC)
		c.sayAt(t0, "hi")
		c.expect()
		eventually(t, "the profile", func() bool { return mfMustInfo(t, ts, m, c.p.PSID)["first_name"] == "Zoë" })
		want := mfSubInfo{SubscriberID: c.p.PSID, FirstName: "Zoë", LastName: "Ng", FullName: "Zoë Ng", Gender: "female",
			Locale: "en_GB", Timezone: "5.5", PageName: "Page " + m.PageID, PageID: m.PageID, Unavailable: "0",
			SubscribedAt: "2024-03-05 15:50:30", Birthdate: "0000-00-00", LastInteraction: "2024-03-05 15:50:30"}
		res := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", c.p.PSID))
		if string(res.Body) != mfSubInfoBody(want) {
			t.Fatalf("subscriber_information:\n got %s\nwant %s", res.Body, mfSubInfoBody(want))
		}
		// Another member does not see the owner's subscriber.
		res = ts.get("subscriber_information", vals("api_key", other.Key, "subscriber_id", c.p.PSID))
		if msg := res.Message(t); msg != "No Matching Subscriber Found" {
			t.Fatalf("another member's view: %s", res.Body)
		}

		// A later message moves the last interaction forward; a late
		// delivery of an older one does not move it back.
		c.sayAt(t0.Add(65*time.Minute), "still there?")
		c.expect()
		c.sayAt(t0.Add(30*time.Minute), "an older message")
		c.expect()
		want.LastInteraction = "2024-03-05 16:55:30"
		res = ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", c.p.PSID))
		if string(res.Body) != mfSubInfoBody(want) {
			t.Fatalf("after later messages:\n got %s\nwant %s", res.Body, mfSubInfoBody(want))
		}
		var n int
		if err := ts.DB.SQL().QueryRow(`SELECT COUNT(*) FROM subscribers`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d subscribers stored, want 1", n)
		}
	})

	t.Run("profile with only a name", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t)
		m := ts.newMember("nameonly@example.com", "740000000000003")
		cases := []struct{ psid, name, first, last string }{
			{"2540000000000002", "Madonna Louise Ciccone", "Madonna", "Louise Ciccone"},
			{"2540000000000003", "Cher", "Cher", ""},
		}
		for _, tc := range cases {
			c := mfStartChat(t, ts, m, tc.psid, fakegraph.Profile{Name: tc.name})
			c.say("hello")
		}
		for _, tc := range cases {
			var info map[string]any
			eventually(t, "the profile of "+tc.name, func() bool {
				info = mfMustInfo(t, ts, m, tc.psid)
				return info["full_name"] != ""
			})
			if info["first_name"] != tc.first || info["last_name"] != tc.last || info["full_name"] != tc.name {
				t.Errorf("%s: first %q, last %q, full %q; want %q, %q, %q", tc.psid, info["first_name"], info["last_name"],
					info["full_name"], tc.first, tc.last, tc.name)
			}
		}
	})

	t.Run("referrals", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t)
		m := ts.newMember("ref@example.com", "740000000000004")
		source := func(psid string) any { return mfMustInfo(t, ts, m, psid)["refferer_source"] }

		a := mfStartChat(t, ts, m, "2540000000000004", fakegraph.Profile{FirstName: "Ari"})
		a.say("hi")
		if got := source(a.p.PSID); got != "" {
			t.Fatalf("refferer_source before any referral = %q", got)
		}
		if err := a.p.Refer("SHORTLINK", "summer-sale"); err != nil {
			t.Fatal(err)
		}
		a.expect()
		if got := source(a.p.PSID); got != "SHORTLINK:summer-sale" {
			t.Fatalf("after an m.me referral: refferer_source = %q", got)
		}
		if err := a.p.Refer("ADS", ""); err != nil {
			t.Fatal(err)
		}
		a.expect()
		if got := source(a.p.PSID); got != "ADS" {
			t.Fatalf("after an ad referral without ref: refferer_source = %q", got)
		}
		a.say("thanks")
		if got := source(a.p.PSID); got != "ADS" {
			t.Fatalf("a plain message changed refferer_source to %q", got)
		}

		// Get Started with a referral, from someone not known yet.
		b := mfStartChat(t, ts, m, "2540000000000005", fakegraph.Profile{FirstName: "Bea"})
		if _, err := b.p.Postback("Get Started", "GET_STARTED", "ADS", "ad-42"); err != nil {
			t.Fatal(err)
		}
		b.expect()
		if got := source(b.p.PSID); got != "ADS:ad-42" {
			t.Fatalf("after Get Started with a referral: refferer_source = %q", got)
		}
		eventually(t, "Bea's profile", func() bool { return mfMustInfo(t, ts, m, b.p.PSID)["first_name"] == "Bea" })
		a.done()
		b.done()
	})

	t.Run("profile fetch fails, then succeeds", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t)
		m := ts.newMember("retry@example.com", "740000000000005")
		psid := "2540000000000006"
		ts.Fake.Fail(http.MethodGet, "/"+psid, fakegraph.FBError{HTTPStatus: 500, Code: 2, Type: "OAuthException",
			Message: "An unexpected error has occurred. Please retry your request later."}, 2)
		c := mfStartChat(t, ts, m, psid, fakegraph.Profile{FirstName: "Rita", LastName: "Retry"})
		c.say("hi")
		info := mfMustInfo(t, ts, m, psid)
		if calls := ts.Fake.CallCount(http.MethodGet, "/"+psid); calls < 3 && info["first_name"] != "" {
			t.Fatalf("a name arrived (%v) while the profile calls failed", info["first_name"])
		}
		eventually(t, "the profile after retries", func() bool { return mfMustInfo(t, ts, m, psid)["full_name"] == "Rita Retry" })
		if calls := ts.Fake.CallCount(http.MethodGet, "/"+psid); calls != 3 {
			t.Fatalf("%d profile calls, want 2 failed and 1 good", calls)
		}
		c.done()
	})

	t.Run("profile fetch during an outage", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t)
		m := ts.newMember("outage@example.com", "740000000000006")
		psid := "2540000000000007"
		c := mfStartChat(t, ts, m, psid, fakegraph.Profile{FirstName: "Otto", LastName: "Outage"})
		ts.Fake.Down(true)
		c.say("hi")
		eventually(t, "a profile call during the outage", func() bool { return ts.Fake.CallCount(http.MethodGet, "/"+psid) >= 1 })
		if info := mfMustInfo(t, ts, m, psid); info["first_name"] != "" || info["subscriber_id"] != psid {
			t.Fatalf("during the outage: %v", info)
		}
		ts.Fake.Down(false)
		eventually(t, "the profile after the outage", func() bool { return mfMustInfo(t, ts, m, psid)["full_name"] == "Otto Outage" })
		c.done()
	})
}

// TestMessengerLabels keeps labels in step with the page's inbox.
func TestMessengerLabels(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("labels@example.com", "750000000000001")
	c := mfStartChat(t, ts, m, "2550000000000001", fakegraph.Profile{FirstName: "Lee"})
	c.say("hi")
	labels := func() any { return mfMustInfo(t, ts, m, c.p.PSID)["labels"] }
	allLabels := func() string {
		return string(ts.get("get_all_labels", vals("api_key", m.Key, "page_id", m.PageID)).Body)
	}

	res := ts.post("create_label", vals("api_key", m.Key, "page_id", m.PageID, "label_name", "VIP"))
	vip, _ := res.JSON(t)["label_id"].(string)
	if vip == "" {
		t.Fatalf("create_label: %s", res.Body)
	}
	if err := c.p.Label(vip, "VIP", true); err != nil {
		t.Fatal(err)
	}
	addVIP := bytes.Clone(c.p.LastBody)
	c.expect()
	if got := labels(); got != vip {
		t.Fatalf("after the inbox added VIP: labels = %q, want %q", got, vip)
	}

	// A label made in the page's inbox, unknown here until now.
	churn := ts.Fake.AddLabel(m.PageID, "Churn risk")
	if err := c.p.Label(churn, "Churn risk", true); err != nil {
		t.Fatal(err)
	}
	addChurn := bytes.Clone(c.p.LastBody)
	c.expect()
	if got := labels(); got != vip+","+churn {
		t.Fatalf("after the inbox added a new label: labels = %q, want %q", got, vip+","+churn)
	}
	wantAll := fmt.Sprintf(`{"status":"success","label_info":[{"label_id":%q,"label_name":"VIP"},{"label_id":%q,"label_name":"Churn risk"}]}`+"\n", vip, churn)
	if got := allLabels(); got != wantAll {
		t.Fatalf("get_all_labels:\n got %s\nwant %s", got, wantAll)
	}

	if err := c.p.Label(vip, "VIP", false); err != nil {
		t.Fatal(err)
	}
	c.expect()
	if got := labels(); got != churn {
		t.Fatalf("after the inbox removed VIP: labels = %q, want %q", got, churn)
	}

	// Facebook re-delivers both additions: neither takes effect again, so
	// VIP stays removed and no label is stored twice.
	for _, body := range [][]byte{addVIP, addChurn} {
		if status, err := c.p.PostRaw(body, true); err != nil || status != http.StatusOK {
			t.Fatalf("re-delivery: status %d, %v", status, err)
		}
	}
	c.expect()
	if got := labels(); got != churn {
		t.Fatalf("after re-delivered additions: labels = %q, want %q", got, churn)
	}
	if got := allLabels(); got != wantAll {
		t.Fatalf("get_all_labels after re-delivery:\n got %s\nwant %s", got, wantAll)
	}
	c.done()
}

// TestMessengerContactAnswers fills the subscriber's e-mail and phone number
// from valid answers to e-mail and phone questions.
func TestMessengerContactAnswers(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("contact@example.com", "760000000000001")
	fc := mfFlow(ts, m, "Contact details", []string{"contact"}, nil, "Saved.",
		xerochat.FlowFileQuestion{Question: "Your nickname?", Type: "text"},
		xerochat.FlowFileQuestion{Question: "Your e-mail?", Type: "email"},
		xerochat.FlowFileQuestion{Question: "Your phone?", Type: "phone"})
	c := mfStartChat(t, ts, m, "2560000000000001", fakegraph.Profile{FirstName: "Kim"})
	contact := func() (email, phone any) {
		info := mfMustInfo(t, ts, m, c.p.PSID)
		return info["email"], info["phone_number"]
	}

	c.say("contact", "Your nickname?")
	// A text answer is not an e-mail address, whatever it looks like.
	c.say("kim@example.net", "Your e-mail?")
	c.say("kim at example", "Please answer with an e-mail address. Your e-mail?")
	if e, p := contact(); e != "" || p != "" {
		t.Fatalf("before any valid answer: email %q, phone %q", e, p)
	}
	c.say("kim@example.com", "Your phone?")
	if e, p := contact(); e != "kim@example.com" || p != "" {
		t.Fatalf("after the e-mail answer: email %q, phone %q", e, p)
	}
	c.say("12", "Please answer with a phone number. Your phone?")
	if e, p := contact(); e != "kim@example.com" || p != "" {
		t.Fatalf("after an invalid phone: email %q, phone %q", e, p)
	}
	c.say("+49 30 1234-5678", "Saved.")
	if e, p := contact(); e != "kim@example.com" || p != "+49 30 1234-5678" {
		t.Fatalf("after the phone answer: email %q, phone %q", e, p)
	}
	// Answering again replaces both.
	c.say("CONTACT", "Your nickname?")
	c.say("Kimmy", "Your e-mail?")
	c.say("kimmy@example.org", "Your phone?")
	c.say("+49 30 8765 4321", "Saved.")
	if e, p := contact(); e != "kimmy@example.org" || p != "+49 30 8765 4321" {
		t.Fatalf("after answering again: email %q, phone %q", e, p)
	}
	mfAnswers(t, ts, m, fc, c.p.PSID, mfQA{0, "Kimmy"}, mfQA{1, "kimmy@example.org"}, mfQA{2, "+49 30 8765 4321"})
	c.done()
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
