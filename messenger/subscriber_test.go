package messenger_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestSubscribers checks the subscribers Messenger creates: owner,
// profile, times, referral source, and profile fetches that fail at first.
func TestSubscribers(t *testing.T) {
	t.Parallel()

	t.Run("first message creates the owner's subscriber, in the server's zone", func(t *testing.T) {
		t.Parallel()
		s := xerochattest.NewServer(t, xerochattest.Timezone("Asia/Kolkata")) // UTC+05:30
		m := s.NewMember("owner@example.com", "740000000000001")
		other := s.NewMember("other@example.com", "740000000000002")
		tz := 5.5
		c := startChat(t, s, m, "2540000000000001", fakegraph.Profile{FirstName: "Zoë", LastName: "Ng",
			ProfilePic: "https://example.com/zoe.jpg", Locale: "en_GB", Gender: "female", Timezone: &tz})
		t0 := time.Date(2024, 3, 5, 10, 20, 30, 0, time.UTC)
		c.sayAt(t0, "hi")
		c.expect()
		xerochattest.Eventually(t, "the profile", func() bool { return s.SubscriberInfo(m, c.p.PSID)["first_name"] == "Zoë" })
		// The exact answer, with the documented keys in their order.
		want := func(lastInteraction string) string {
			return `{"status":"success","subscriber_info":{"subscriber_id":"` + c.p.PSID + `","labels":"",` +
				`"first_name":"Zoë","last_name":"Ng","full_name":"Zoë Ng","gender":"female","locale":"en_GB","timezone":"5.5",` +
				`"page_name":"Page ` + m.PageID + `","page_id":"` + m.PageID + `","unavailable":"0","last_error_message":"",` +
				`"last_error_message_conversation_broadcast":"","refferer_source":"","subscribed_at":"2024-03-05 15:50:30",` +
				`"email":"","phone_number":"","birthdate":"0000-00-00","last_subscriber_interaction_time":"` + lastInteraction + `"}}` + "\n"
		}
		res := s.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", c.p.PSID))
		if string(res.Body) != want("2024-03-05 15:50:30") {
			t.Fatalf("subscriber_information:\n got %s\nwant %s", res.Body, want("2024-03-05 15:50:30"))
		}
		// Another member does not see the owner's subscriber.
		res = s.Get("subscriber_information", xerochattest.Vals("api_key", other.Key, "subscriber_id", c.p.PSID))
		if msg := res.Message(t); msg != xerochat.MsgSubscriberNotFound {
			t.Fatalf("another member's view: %s", res.Body)
		}

		// A later message moves the last interaction forward; a late
		// delivery of an older one does not move it back.
		c.sayAt(t0.Add(65*time.Minute), "still there?")
		c.expect()
		c.sayAt(t0.Add(30*time.Minute), "an older message")
		c.expect()
		res = s.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", c.p.PSID))
		if string(res.Body) != want("2024-03-05 16:55:30") {
			t.Fatalf("after later messages:\n got %s\nwant %s", res.Body, want("2024-03-05 16:55:30"))
		}
		if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
			t.Fatalf("%d subscribers stored, want 1", n)
		}
	})

	t.Run("profile with only a name", func(t *testing.T) {
		t.Parallel()
		s := xerochattest.NewServer(t)
		m := s.NewMember("nameonly@example.com", "740000000000003")
		cases := []struct{ psid, name, first, last string }{
			{"2540000000000002", "Madonna Louise Ciccone", "Madonna", "Louise Ciccone"},
			{"2540000000000003", "Cher", "Cher", ""},
		}
		for _, tc := range cases {
			c := startChat(t, s, m, tc.psid, fakegraph.Profile{Name: tc.name})
			c.say("hello")
		}
		for _, tc := range cases {
			var info map[string]any
			xerochattest.Eventually(t, "the profile of "+tc.name, func() bool {
				info = s.SubscriberInfo(m, tc.psid)
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
		s := xerochattest.NewServer(t)
		m := s.NewMember("ref@example.com", "740000000000004")
		source := func(psid string) any { return s.SubscriberInfo(m, psid)["refferer_source"] }

		a := startChat(t, s, m, "2540000000000004", fakegraph.Profile{FirstName: "Ari"})
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
		b := startChat(t, s, m, "2540000000000005", fakegraph.Profile{FirstName: "Bea"})
		if _, err := b.p.Postback("Get Started", "GET_STARTED", "ADS", "ad-42"); err != nil {
			t.Fatal(err)
		}
		b.expect()
		if got := source(b.p.PSID); got != "ADS:ad-42" {
			t.Fatalf("after Get Started with a referral: refferer_source = %q", got)
		}
		xerochattest.Eventually(t, "Bea's profile", func() bool { return s.SubscriberInfo(m, b.p.PSID)["first_name"] == "Bea" })
		a.done()
		b.done()
	})

	t.Run("profile fetch fails, then succeeds", func(t *testing.T) {
		t.Parallel()
		s := xerochattest.NewServer(t)
		m := s.NewMember("retry@example.com", "740000000000005")
		psid := "2540000000000006"
		s.Fake.Fail(http.MethodGet, "/"+psid, fakegraph.FBError{HTTPStatus: 500, Code: 2, Type: "OAuthException",
			Message: "An unexpected error has occurred. Please retry your request later."}, 2)
		c := startChat(t, s, m, psid, fakegraph.Profile{FirstName: "Rita", LastName: "Retry"})
		c.say("hi")
		info := s.SubscriberInfo(m, psid)
		if calls := s.Fake.CallCount(http.MethodGet, "/"+psid); calls < 3 && info["first_name"] != "" {
			t.Fatalf("a name arrived (%v) while the profile calls failed", info["first_name"])
		}
		xerochattest.Eventually(t, "the profile after retries", func() bool { return s.SubscriberInfo(m, psid)["full_name"] == "Rita Retry" })
		if calls := s.Fake.CallCount(http.MethodGet, "/"+psid); calls != 3 {
			t.Fatalf("%d profile calls, want 2 failed and 1 good", calls)
		}
		c.done()
	})

	t.Run("profile fetch during an outage", func(t *testing.T) {
		t.Parallel()
		s := xerochattest.NewServer(t)
		m := s.NewMember("outage@example.com", "740000000000006")
		psid := "2540000000000007"
		c := startChat(t, s, m, psid, fakegraph.Profile{FirstName: "Otto", LastName: "Outage"})
		s.Fake.Down(true)
		c.say("hi")
		xerochattest.Eventually(t, "a profile call during the outage", func() bool { return s.Fake.CallCount(http.MethodGet, "/"+psid) >= 1 })
		if info := s.SubscriberInfo(m, psid); info["first_name"] != "" || info["subscriber_id"] != psid {
			t.Fatalf("during the outage: %v", info)
		}
		s.Fake.Down(false)
		xerochattest.Eventually(t, "the profile after the outage", func() bool { return s.SubscriberInfo(m, psid)["full_name"] == "Otto Outage" })
		c.done()
	})
}
