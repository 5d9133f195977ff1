package main

import (
	"slices"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

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
