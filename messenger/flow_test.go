package messenger_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestFlowTriggers starts flows by keyword, postback and quick reply,
// leaves other messages unanswered, and restarts a running flow.
func TestFlowTriggers(t *testing.T) {
	t.Parallel()
	questions := []xerochat.FlowFileQuestion{
		{Question: "Your name?", Type: "text"},
		{Question: "Your e-mail?", Type: "email", Reprompt: "That is not an e-mail address."},
	}
	setup := func(t *testing.T, email string) (*xerochattest.Server, *xerochattest.Member, *xerochat.FlowCampaign) {
		s := xerochattest.NewServer(t)
		m := s.NewMember(email, "720000000000001")
		fc := newFlow(s, m, "Club", []string{"Join Club"}, []string{"GET_STARTED", "JOIN_CLUB"}, "Welcome to the club!", questions...)
		return s, m, fc
	}

	t.Run("keyword is the whole message, any case", func(t *testing.T) {
		t.Parallel()
		s, m, fc := setup(t, "kw@example.com")
		c := startChat(t, s, m, "2520000000000001", fakegraph.Profile{FirstName: "Ann"})
		for _, text := range []string{"I want to join club please", "join club!", "join", "Join-Club", "club"} {
			c.say(text)
		}
		c.say("  jOIN cLUB \n", "Your name?")
		c.say("Ann", "Your e-mail?")
		c.say("ann@example.com", "Welcome to the club!")
		expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Ann"}, qa{1, "ann@example.com"})
		c.done()
	})

	t.Run("postback payload", func(t *testing.T) {
		t.Parallel()
		s, m, fc := setup(t, "pb@example.com")
		c := startChat(t, s, m, "2520000000000002", fakegraph.Profile{FirstName: "Bob"})
		c.postback("SOMETHING_ELSE")
		// A payload typed as text is not a postback.
		c.say("GET_STARTED")
		c.postback("GET_STARTED", "Your name?")
		c.say("Bob", "Your e-mail?")
		expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Bob"})
		c.done()
	})

	t.Run("quick reply payload", func(t *testing.T) {
		t.Parallel()
		s, m, fc := setup(t, "qr@example.com")
		c := startChat(t, s, m, "2520000000000003", fakegraph.Profile{FirstName: "Cid"})
		c.tap("Sure!", "NOT_A_CAMPAIGN")
		c.tap("Sure!", "JOIN_CLUB", "Your name?")
		c.say("Cid", "Your e-mail?")
		c.say("cid@example.com", "Welcome to the club!")
		expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Cid"}, qa{1, "cid@example.com"})
		c.done()
	})

	t.Run("no trigger and no flow: no reply, subscriber kept current", func(t *testing.T) {
		t.Parallel()
		s, m, fc := setup(t, "quiet@example.com")
		c := startChat(t, s, m, "2520000000000004", fakegraph.Profile{FirstName: "Dee", LastName: "Quiet"})
		t0 := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
		c.sayAt(t0, "hello there")
		c.expect()
		info := s.SubscriberInfo(m, c.p.PSID)
		if info["subscribed_at"] != "2024-06-01 08:00:00" || info["last_subscriber_interaction_time"] != "2024-06-01 08:00:00" {
			t.Fatalf("new subscriber: subscribed_at %v, last interaction %v", info["subscribed_at"], info["last_subscriber_interaction_time"])
		}
		c.sayAt(t0.Add(10*time.Minute), "anyone?")
		c.expect()
		info = s.SubscriberInfo(m, c.p.PSID)
		if info["subscribed_at"] != "2024-06-01 08:00:00" || info["last_subscriber_interaction_time"] != "2024-06-01 08:10:00" {
			t.Fatalf("after a second message: subscribed_at %v, last interaction %v", info["subscribed_at"], info["last_subscriber_interaction_time"])
		}
		expectFlowInfo(t, s, m, fc, c.p.PSID)
		expectAllFlowInfo(t, s, m, fc)
		c.done()
	})

	t.Run("triggering again restarts; a later answer replaces", func(t *testing.T) {
		t.Parallel()
		s, m, fc := setup(t, "again@example.com")
		c := startChat(t, s, m, "2520000000000005", fakegraph.Profile{FirstName: "Eve"})
		c.say("join club", "Your name?")
		// The keyword typed as the answer to a text question restarts the
		// flow rather than being stored.
		c.say("JOIN CLUB", "Your name?")
		expectFlowInfo(t, s, m, fc, c.p.PSID)
		c.say("Ann", "Your e-mail?")
		expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Ann"})
		// Mid-flow, a postback trigger starts over at question 1.
		c.postback("GET_STARTED", "Your name?")
		c.say("Anna", "Your e-mail?")
		expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Anna"})
		c.say("anna@example.com", "Welcome to the club!")
		expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Anna"}, qa{1, "anna@example.com"})
		// After the end, triggering again runs it once more; the new answer
		// to question 1 replaces the old one, question 2's answer stays.
		c.say("Join Club", "Your name?")
		c.say("Annie", "Your e-mail?")
		expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Annie"}, qa{1, "anna@example.com"})
		expectAllFlowInfo(t, s, m, fc, personAnswers{c.p.PSID, []qa{{0, "Annie"}, {1, "anna@example.com"}}})
		if rows := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM flow_answers`); rows != 2 {
			t.Fatalf("%d answer rows stored, want one per question (2)", rows)
		}
		c.done()
	})
}

// TestFlowTwoCampaignsThreePeople runs two campaigns of one page with
// three people whose messages interleave.
func TestFlowTwoCampaignsThreePeople(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("two@example.com", "730000000000001")
	coffee := newFlow(s, m, "Coffee order", []string{"coffee"}, nil, "Your coffee is on its way.",
		xerochat.FlowFileQuestion{Question: "Espresso or latte?", Type: "choice", Options: []string{"Espresso", "Latte"}},
		xerochat.FlowFileQuestion{Question: "How many shots?", Type: "number"})
	feedback := newFlow(s, m, "Feedback", []string{"feedback"}, nil, "Thank you for your feedback!",
		xerochat.FlowFileQuestion{Question: "How would you rate us from 1 to 5?", Type: "number"},
		xerochat.FlowFileQuestion{Question: "Anything we could do better?", Type: "text"})
	ana := startChat(t, s, m, "2530000000000001", fakegraph.Profile{FirstName: "Ana"})
	ben := startChat(t, s, m, "2530000000000002", fakegraph.Profile{FirstName: "Ben"})
	cid := startChat(t, s, m, "2530000000000003", fakegraph.Profile{FirstName: "Cid"})

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
	for _, c := range []*chat{ana, ben, cid} {
		c.done()
	}

	// Cid answered first, though Ana started first and has the lower PSID.
	expectAllFlowInfo(t, s, m, coffee,
		personAnswers{cid.p.PSID, []qa{{0, "Latte"}, {1, "1"}}},
		personAnswers{ana.p.PSID, []qa{{0, "Espresso"}, {1, "2"}}})
	expectAllFlowInfo(t, s, m, feedback, personAnswers{ben.p.PSID, []qa{{0, "4"}, {1, "More oat milk"}}})
	expectFlowInfo(t, s, m, coffee, ana.p.PSID, qa{0, "Espresso"}, qa{1, "2"})
	expectFlowInfo(t, s, m, coffee, ben.p.PSID)
	expectFlowInfo(t, s, m, feedback, ana.p.PSID)
	expectFlowInfo(t, s, m, feedback, ben.p.PSID, qa{0, "4"}, qa{1, "More oat milk"})
}

// TestFlowDemoSurvey plays a whole survey of every question type from
// Get Started to the completion message and checks everything the person
// saw, in order, and everything stored.
func TestFlowDemoSurvey(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("demo-survey@example.com", "770000000000001")
	options := []string{"Espresso", "Flat white", "Cold brew"}
	fc := newFlow(s, m, "Coffee survey", []string{"survey"}, []string{"GET_STARTED"}, "Thanks! See you at Demo Coffee.",
		xerochat.FlowFileQuestion{Question: "Hi! What is your name?"},
		xerochat.FlowFileQuestion{Question: "Your e-mail for the loyalty card?", Type: "email", Reprompt: "Hmm, that does not look like an e-mail address. Try again?"},
		xerochat.FlowFileQuestion{Question: "A phone number for order updates?", Type: "phone"},
		xerochat.FlowFileQuestion{Question: "How many cups a day?", Type: "number"},
		xerochat.FlowFileQuestion{Question: "When is your birthday?", Type: "date", Reprompt: "Please write it like 1990-04-21."},
		xerochat.FlowFileQuestion{Question: "Your favourite coffee?", Type: "choice", Options: options})
	c := startChat(t, s, m, "2570000000000001", fakegraph.Profile{FirstName: "Ada", LastName: "Lovelace"})

	c.postback("GET_STARTED", "Hi! What is your name?")
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
	if got := xerochattest.Texts(sent); !slices.Equal(got, want) {
		t.Fatalf("the person saw\n %q\nwant\n %q", got, want)
	}
	for _, msg := range sent {
		var titles []string
		for _, qr := range msg.QuickReplies {
			titles = append(titles, qr.Title)
		}
		wantTitles := []string(nil)
		if strings.HasSuffix(msg.Text, "Your favourite coffee?") {
			wantTitles = options
		}
		if !slices.Equal(titles, wantTitles) {
			t.Errorf("%q came with quick replies %q, want %q", msg.Text, titles, wantTitles)
		}
		if msg.MessagingType != "RESPONSE" || msg.PageID != m.PageID || msg.PageToken != m.Page.AccessToken {
			t.Errorf("%q was sent as %s from page %s with token %s", msg.Text, msg.MessagingType, msg.PageID, msg.PageToken)
		}
	}

	answers := []qa{{0, "Ada"}, {1, "ada@example.com"}, {2, "+44 20 7946 0000"}, {3, "3"}, {4, "1815-12-10"}, {5, "Flat white"}}
	expectFlowInfo(t, s, m, fc, c.p.PSID, answers...)
	expectAllFlowInfo(t, s, m, fc, personAnswers{c.p.PSID, answers})
	info := s.SubscriberInfo(m, c.p.PSID)
	if info["email"] != "ada@example.com" || info["phone_number"] != "+44 20 7946 0000" {
		t.Fatalf("subscriber contact: email %q, phone %q", info["email"], info["phone_number"])
	}
	xerochattest.Eventually(t, "the profile", func() bool { return s.SubscriberInfo(m, c.p.PSID)["full_name"] == "Ada Lovelace" })
}

// TestFlowWholeConversation runs a flow from its keyword to its completion
// message, reads the answers back exactly, and shows that a re-delivered
// event changes nothing.
func TestFlowWholeConversation(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("flow@example.com", "700000000000001")
	fc := newFlow(s, m, "Survey", []string{"Start Survey"}, nil, "Thanks!",
		xerochat.FlowFileQuestion{Question: "Your e-mail?", Type: "email", Reprompt: "That is not an e-mail address."},
		xerochat.FlowFileQuestion{Question: "Favourite colour?", Type: "choice", Options: []string{"Red", "Blue"}})
	c := startChat(t, s, m, "2500000000000001", fakegraph.Profile{FirstName: "Zoë", LastName: "Ng"})

	c.say("  start SURVEY ", "Your e-mail?")
	c.say("not an address", "That is not an e-mail address.")
	msgs := c.say("zoe@example.com", "Favourite colour?")
	if got := msgs[0].QuickReplies; len(got) != 2 || got[0].Title != "Red" {
		t.Fatalf("choice question quick replies = %+v", got)
	}
	c.tap("Blue", "Blue", "Thanks!")
	expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "zoe@example.com"}, qa{1, "Blue"})
	xerochattest.Eventually(t, "the profile", func() bool {
		info := s.SubscriberInfo(m, c.p.PSID)
		return info["first_name"] == "Zoë" && info["email"] == "zoe@example.com"
	})
	// Facebook re-delivers the last event: nothing changes, nothing is sent.
	if err := c.p.Redeliver(); err != nil {
		t.Fatal(err)
	}
	before := s.Snapshot()
	c.done()
	if s.Snapshot() != before {
		t.Fatalf("a re-delivered event took effect again")
	}
}
