package api_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// bareInfoJSON is the answer for a subscriber who wrote once with only a
// first name in their profile: the times are those of their first message.
func bareInfoJSON(s *xerochat.Subscriber, p *xerochat.Page, labels string) string {
	return xerochattest.SubscriberInfoJSON(s.PSID, labels, s.FirstName, "", s.FirstName, "", "", "", p.Name, p.PageID, "0", "", "", "",
		s.SubscribedAt.UTC().Format(datetimeLayout), "", "", "0000-00-00", s.LastInteractionAt.UTC().Format(datetimeLayout))
}

func TestSubscriberInformation(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	ctx := context.Background()
	a := ts.NewMember("sub-a@example.com", "1000000000000001")
	b := ts.NewMember("sub-b@example.com", "2000000000000001")
	page2 := ts.ConnectPage(a, "1000000000000002", true)

	const full, bare, shared = "5000000000000001", "5000000000000002", "5000000000000009"
	// Ada writes once and her profile comes from Facebook. What no webhook
	// event or profile carries (availability, the last send errors, the
	// referer, e-mail, phone, birthdate) and fixed times are then set by an
	// UPDATE on the test's own database, so that the answer can be exact.
	tz := -5.0
	if _, err := ts.Person(a, full, fakegraph.Profile{FirstName: "Ada", LastName: "Lovelace", Gender: "female",
		Locale: "en_GB", Timezone: &tz}).Say("hi"); err != nil {
		t.Fatal(err)
	}
	xerochattest.Eventually(t, "Ada's profile", func() bool {
		s, err := ts.DB.FindSubscriber(ctx, a.ID, full, a.PageID)
		return err == nil && s.Gender == "female"
	})
	ts.Settle()
	ts.Exec(fmt.Sprintf(`UPDATE subscribers SET unavailable = 1,
		last_error_message = '(#551) This person isn''t available right now.',
		last_error_broadcast = '(#10) This message is sent outside of allowed window.', referer_source = 'm.me/ref',
		subscribed_at = 1709647629, email = 'ada@example.com', phone_number = '+441234567890',
		birthdate = '1815-12-10', last_interaction_at = 1735787045 WHERE page_ref = %d AND psid = '%s'`, a.Page.ID, full))
	// A subscriber with nothing set: a person without a profile, whose
	// times an UPDATE clears (a record no door makes, e.g. one imported).
	ts.AddSubscriber(a, bare, "", "")
	ts.Settle()
	ts.Exec(fmt.Sprintf("UPDATE subscribers SET subscribed_at = 0, last_interaction_at = 0 WHERE page_ref = %d AND psid = '%s'",
		a.Page.ID, bare))
	// One PSID on both of a's pages; the first page's is the older.
	onFirst := ts.AddSubscriber(a, shared, "OnFirst", "")
	onSecond := ts.AddSubscriber(a.On(page2), shared, "OnSecond", "")
	ts.AddSubscriber(b, "6000000000000001", "Bea", "B")

	vip := createLabel(t, ts, a, a.PageID, "VIP")
	lead := createLabel(t, ts, a, a.PageID, "Lead")
	createLabel(t, ts, a, a.PageID, "Unused")
	wantJSON(t, ts.Post("assign_label", vals("api_key", a.Key, "page_id", a.PageID,
		"subscriber_id", full, "label_ids", lead+","+vip)), `{"success":true,"status":"success"}`)

	// labels is a comma-separated list of exactly the assigned Facebook
	// label ids; their order is not part of the contract.
	if got, want := labelsOf(t, ts, a, full, ""), sorted(vip, lead); !slices.Equal(got, want) {
		t.Fatalf("labels = %v, want %v", got, want)
	}
	labels, _ := ts.SubscriberInfoOf(a.Key, full, "")["labels"].(string)
	fullJSON := xerochattest.SubscriberInfoJSON(full, labels, "Ada", "Lovelace", "Ada Lovelace", "female", "en_GB", "-5",
		"Page 1000000000000001", "1000000000000001", "1", "(#551) This person isn't available right now.",
		"(#10) This message is sent outside of allowed window.", "m.me/ref", "2024-03-05 14:07:09",
		"ada@example.com", "+441234567890", "1815-12-10", "2025-01-02 03:04:05")

	const (
		noKey      = xerochat.MsgKeyRequired
		badKey     = xerochat.MsgKeyInvalid
		noSubField = xerochat.MsgSubscriberIDRequired
		noSub      = xerochat.MsgSubscriberNotFound
	)
	wantAnswers(t, ts, "subscriber_information", []answerCase{
		{name: "every field, GET", params: vals("api_key", a.Key, "subscriber_id", full), want: fullJSON},
		{name: "every field, POST with its page", post: true,
			params: vals("api_key", a.Key, "subscriber_id", full, "page_id", a.PageID), want: fullJSON},
		{name: "nothing set", params: vals("api_key", a.Key, "subscriber_id", bare),
			want: xerochattest.SubscriberInfoJSON(bare, "", "", "", "", "", "", "", a.Page.Name, a.PageID, "0", "", "", "",
				"0000-00-00 00:00:00", "", "", "0000-00-00", "0000-00-00 00:00:00")},
		{name: "shared PSID, second page picked", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", page2.PageID),
			want: bareInfoJSON(onSecond, page2, "")},
		{name: "shared PSID, first page picked", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", a.PageID),
			want: bareInfoJSON(onFirst, a.Page, "")},
		// PageService.FindSubscriber: with several matches the oldest wins.
		{name: "shared PSID, no page: the oldest", params: vals("api_key", a.Key, "subscriber_id", shared),
			want: bareInfoJSON(onFirst, a.Page, "")},

		{name: "no key", params: vals("subscriber_id", full), err: noKey},
		{name: "bad key before missing subscriber_id", params: vals("api_key", "nope"), err: badKey},
		{name: "bad key", params: vals("api_key", "nope", "subscriber_id", full), err: badKey},
		{name: "no subscriber_id", params: vals("api_key", a.Key, "page_id", a.PageID), err: noSubField},
		{name: "blank subscriber_id", params: vals("api_key", a.Key, "subscriber_id", "  "), err: noSubField},
		{name: "unknown PSID", params: vals("api_key", a.Key, "subscriber_id", "5999999999999999"), err: noSub},
		{name: "PSID not on the page given", params: vals("api_key", a.Key, "subscriber_id", full, "page_id", page2.PageID), err: noSub},
		{name: "unknown page", params: vals("api_key", a.Key, "subscriber_id", full, "page_id", "1999999999999999"), err: noSub},
		{name: "another member's page", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", b.PageID), err: noSub},
		{name: "another member's subscriber", params: vals("api_key", b.Key, "subscriber_id", full), err: noSub},
		{name: "another member's subscriber and page", params: vals("api_key", b.Key, "subscriber_id", full, "page_id", a.PageID), err: noSub},
	})
}
