package main

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

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
