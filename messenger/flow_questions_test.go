package messenger_test

import (
	"slices"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// input is one reply of the person: typed text, a tapped quick reply (by
// title), or a photo with no text.
type input struct {
	Text  string
	Tap   bool
	Photo bool
}

func typed(texts ...string) []input {
	var out []input
	for _, s := range texts {
		out = append(out, input{Text: s})
	}
	return out
}

// TestFlowQuestionTypes answers each question type with invalid replies
// (re-prompted, not stored, the flow stays) and valid ones (stored in their
// normal form, replacing the earlier answer, the flow moves on).
func TestFlowQuestionTypes(t *testing.T) {
	t.Parallel()
	type valid struct {
		in     input
		stored string
	}
	cases := []struct {
		name     string
		q        xerochat.FlowFileQuestion
		reprompt string // what the person sees after an invalid reply
		invalid  []input
		valid    []valid
	}{{
		name:     "text",
		q:        xerochat.FlowFileQuestion{Question: "What should we call you?", Type: "text"},
		reprompt: "What should we call you?",
		invalid:  []input{{Text: ""}, {Text: "   "}, {Photo: true}},
		valid: []valid{
			{input{Text: "Zoë"}, "Zoë"},
			{input{Text: "  Captain Nemo  "}, "Captain Nemo"},
			{input{Text: "🚀 Rocket <3 & \"quotes\""}, "🚀 Rocket <3 & \"quotes\""},
		},
	}, {
		name:     "email",
		q:        xerochat.FlowFileQuestion{Question: "Your e-mail?", Type: "email", Reprompt: "That is not an e-mail address."},
		reprompt: "That is not an e-mail address.",
		invalid: append(typed("not an address", "zoe@", "@example.com", "zoe @example.com", "Zoe <zoe@example.com>", ""),
			input{Photo: true}),
		valid: []valid{
			{input{Text: "zoe@example.com"}, "zoe@example.com"},
			{input{Text: " Zoe.Ng+news@Mail.Example.org "}, "Zoe.Ng+news@Mail.Example.org"},
		},
	}, {
		name:     "phone",
		q:        xerochat.FlowFileQuestion{Question: "Your phone number?", Type: "phone"},
		reprompt: "Please answer with a phone number. Your phone number?",
		invalid:  typed("1234", "+1234567890123456", "555-CALL-NOW", "call me", "++44 20 7946 0958", ""),
		valid: []valid{
			{input{Text: "+44 20 7946 0958"}, "+44 20 7946 0958"},
			{input{Text: "555-010-0199"}, "555-010-0199"},
			{input{Text: "+1 555 010 0199"}, "+1 555 010 0199"},
		},
	}, {
		name:     "number",
		q:        xerochat.FlowFileQuestion{Question: "How many cups a day?", Type: "number", Reprompt: "Just a number, please."},
		reprompt: "Just a number, please.",
		invalid:  typed("12abc", "NaN", "Inf", "-Inf", "a dozen", ""),
		valid: []valid{
			{input{Text: "3"}, "3"},
			{input{Text: "2.5"}, "2.5"},
			{input{Text: "-4"}, "-4"},
		},
	}, {
		name:     "date",
		q:        xerochat.FlowFileQuestion{Question: "When is your birthday?", Type: "date"},
		reprompt: "Please answer with a date such as 2024-12-31. When is your birthday?",
		invalid:  typed("31/12/2024", "2024-02-30", "2023-02-29", "next friday", ""),
		valid: []valid{
			{input{Text: "2024-02-29"}, "2024-02-29"},
			{input{Text: "31 December 2024"}, "2024-12-31"},
			{input{Text: "Dec 31, 2024"}, "2024-12-31"},
			{input{Text: "March 5 2024"}, "2024-03-05"},
		},
	}, {
		name:     "choice",
		q:        xerochat.FlowFileQuestion{Question: "Coffee or tea?", Type: "choice", Options: []string{"Coffee", "Tea", "Hot chocolate"}},
		reprompt: "Please answer with one of the options. Coffee or tea?",
		invalid:  append(typed("Water", "cof", "Coffee or tea", ""), input{Photo: true}),
		valid: []valid{
			{input{Text: "Tea", Tap: true}, "Tea"},
			{input{Text: "hot CHOCOLATE"}, "Hot chocolate"},
			{input{Text: "Coffee", Tap: true}, "Coffee"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := xerochattest.NewServer(t)
			m := s.NewMember("types-"+tc.name+"@example.com", "710000000000001")
			fc := newFlow(s, m, "Type "+tc.name, []string{"go"}, nil, "All done.",
				tc.q, xerochat.FlowFileQuestion{Question: "Anything else?", Type: "text"})
			c := startChat(t, s, m, "2510000000000001", fakegraph.Profile{FirstName: "Zoë", LastName: "Ng"})
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
			reply := func(in input, replies ...string) []fakegraph.SentMessage {
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
				expectFlowInfo(t, s, m, fc, c.p.PSID)
			}
			for i, v := range tc.valid {
				if i > 0 {
					asked(c.say("GO", tc.q.Question))
				}
				if msgs := reply(v.in, "Anything else?"); len(msgs[0].QuickReplies) != 0 {
					t.Fatalf("a text question came with quick replies %+v", msgs[0].QuickReplies)
				}
				expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, v.stored})
			}
			last := tc.valid[len(tc.valid)-1].stored
			c.say("Nothing, thanks", "All done.")
			expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, last}, qa{1, "Nothing, thanks"})
			expectAllFlowInfo(t, s, m, fc, personAnswers{c.p.PSID, []qa{{0, last}, {1, "Nothing, thanks"}}})
			// The flow is over: further messages get no answer.
			c.say("hello?")
			c.done()
		})
	}
}

// TestFlowContactAnswers fills the subscriber's e-mail and phone number
// from valid answers to e-mail and phone questions.
func TestFlowContactAnswers(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("contact@example.com", "760000000000001")
	fc := newFlow(s, m, "Contact details", []string{"contact"}, nil, "Saved.",
		xerochat.FlowFileQuestion{Question: "Your nickname?", Type: "text"},
		xerochat.FlowFileQuestion{Question: "Your e-mail?", Type: "email"},
		xerochat.FlowFileQuestion{Question: "Your phone?", Type: "phone"})
	c := startChat(t, s, m, "2560000000000001", fakegraph.Profile{FirstName: "Kim"})
	contact := func() (email, phone any) {
		info := s.SubscriberInfo(m, c.p.PSID)
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
	expectFlowInfo(t, s, m, fc, c.p.PSID, qa{0, "Kimmy"}, qa{1, "kimmy@example.org"}, qa{2, "+49 30 8765 4321"})
	c.done()
}
