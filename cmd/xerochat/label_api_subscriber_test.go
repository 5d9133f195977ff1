package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// subscriberInfoKeys are the documented fields of subscriber_info, in order.
var subscriberInfoKeys = []string{"subscriber_id", "labels", "first_name", "last_name", "full_name", "gender",
	"locale", "timezone", "page_name", "page_id", "unavailable", "last_error_message",
	"last_error_message_conversation_broadcast", "refferer_source", "subscribed_at", "email", "phone_number",
	"birthdate", "last_subscriber_interaction_time"}

// subscriberInfoJSON is the success answer of subscriber_information with
// the given values of subscriberInfoKeys, all JSON strings.
func subscriberInfoJSON(values ...string) string {
	if len(values) != len(subscriberInfoKeys) {
		panic(fmt.Sprintf("subscriberInfoJSON: %d values for %d fields", len(values), len(subscriberInfoKeys)))
	}
	var b strings.Builder
	b.WriteString(`{"status":"success","subscriber_info":{`)
	for i, k := range subscriberInfoKeys {
		if i > 0 {
			b.WriteByte(',')
		}
		v, _ := json.Marshal(values[i])
		fmt.Fprintf(&b, "%q:%s", k, v)
	}
	b.WriteString("}}")
	return b.String()
}

// subscriberBareJSON is the answer for a subscriber stored with a first name
// only: every time never set.
func subscriberBareJSON(psid, first string, p *xerochat.Page, labels string) string {
	return subscriberInfoJSON(psid, labels, first, "", first, "", "", "", p.Name, p.PageID, "0", "", "", "",
		"0000-00-00 00:00:00", "", "", "0000-00-00", "0000-00-00 00:00:00")
}

func TestSubscriberInformation(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	a := ts.newMember("sub-a@example.com", "1000000000000001")
	b := ts.newMember("sub-b@example.com", "2000000000000001")
	page2 := labelAddPage(t, ts, a, "1000000000000002", true)

	const full, bare, shared = "5000000000000001", "5000000000000002", "5000000000000009"
	ts.Fake.AddUser(a.PageID, full, fakegraph.Profile{FirstName: "Ada"})
	if _, err := ts.DB.SaveSubscriber(ctx, &xerochat.Subscriber{UserID: a.ID, PageRef: a.Page.ID, PSID: full,
		FirstName: "Ada", LastName: "Lovelace", FullName: "Ada Lovelace", Gender: "female", Locale: "en_GB",
		Timezone: "-5", Unavailable: true, LastErrorMessage: "(#551) This person isn't available right now.",
		LastErrorBroadcast: "(#10) This message is sent outside of allowed window.", RefererSource: "m.me/ref",
		SubscribedAt: time.Date(2024, 3, 5, 14, 7, 9, 0, time.UTC), Email: "ada@example.com",
		PhoneNumber: "+441234567890", Birthdate: "1815-12-10",
		LastInteractionAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DB.SaveSubscriber(ctx, &xerochat.Subscriber{UserID: a.ID, PageRef: a.Page.ID, PSID: bare}); err != nil {
		t.Fatal(err)
	}
	// One PSID on both of a's pages; the first page's is the older.
	labelSubscriberOn(t, ts, a.Page, shared, "OnFirst")
	labelSubscriberOn(t, ts, page2, shared, "OnSecond")
	ts.addSubscriber(b, "6000000000000001", "Bea", "B")

	vip := labelCreate(t, ts, a, a.PageID, "VIP")
	lead := labelCreate(t, ts, a, a.PageID, "Lead")
	labelCreate(t, ts, a, a.PageID, "Unused")
	labelWant(t, "assign_label", ts.post("assign_label", vals("api_key", a.Key, "page_id", a.PageID,
		"subscriber_id", full, "label_ids", lead+","+vip)), `{"success":true,"status":"success"}`)

	// labels is a comma-separated list of exactly the assigned Facebook
	// label ids; their order is not part of the contract.
	if got, want := labelOf(t, ts, a, full, ""), labelSorted(vip, lead); !slices.Equal(got, want) {
		t.Fatalf("labels = %v, want %v", got, want)
	}
	labels := ts.get("subscriber_information", vals("api_key", a.Key, "subscriber_id", full)).JSON(t)["subscriber_info"].(map[string]any)["labels"].(string)
	fullJSON := subscriberInfoJSON(full, labels, "Ada", "Lovelace", "Ada Lovelace", "female", "en_GB", "-5",
		"Page 1000000000000001", "1000000000000001", "1", "(#551) This person isn't available right now.",
		"(#10) This message is sent outside of allowed window.", "m.me/ref", "2024-03-05 14:07:09",
		"ada@example.com", "+441234567890", "1815-12-10", "2025-01-02 03:04:05")

	const (
		noKey      = "API Key is required"
		badKey     = "Either API Key Invalid or Member Validity Expired"
		noSubField = "Provide subscriber_id field"
		noSub      = "No Matching Subscriber Found"
	)
	tests := []struct {
		name   string
		post   bool
		params url.Values
		want   string // JSON answer, or
		err    string // error message
	}{
		{name: "every field, GET", params: vals("api_key", a.Key, "subscriber_id", full), want: fullJSON},
		{name: "every field, POST with its page", post: true,
			params: vals("api_key", a.Key, "subscriber_id", full, "page_id", a.PageID), want: fullJSON},
		{name: "nothing set", params: vals("api_key", a.Key, "subscriber_id", bare),
			want: subscriberInfoJSON(bare, "", "", "", "", "", "", "", a.Page.Name, a.PageID, "0", "", "", "",
				"0000-00-00 00:00:00", "", "", "0000-00-00", "0000-00-00 00:00:00")},
		{name: "shared PSID, second page picked", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", page2.PageID),
			want: subscriberBareJSON(shared, "OnSecond", page2, "")},
		{name: "shared PSID, first page picked", params: vals("api_key", a.Key, "subscriber_id", shared, "page_id", a.PageID),
			want: subscriberBareJSON(shared, "OnFirst", a.Page, "")},
		// PageService.FindSubscriber: with several matches the oldest wins.
		{name: "shared PSID, no page: the oldest", params: vals("api_key", a.Key, "subscriber_id", shared),
			want: subscriberBareJSON(shared, "OnFirst", a.Page, "")},

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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.post {
				r = ts.post("subscriber_information", tc.params)
			} else {
				r = ts.get("subscriber_information", tc.params)
			}
			if tc.err != "" {
				labelWantError(t, tc.name, r, tc.err)
			} else {
				labelWant(t, tc.name, r, tc.want)
			}
		})
	}
}
