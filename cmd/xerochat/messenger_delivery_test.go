package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// hcString reads one text value from the database.
func hcString(t testing.TB, db *sql.DB, query string) string {
	t.Helper()
	var s string
	if err := db.QueryRow(query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

// TestDeliveryGraphOutage: Facebook stops answering in the middle of a
// flow. The person's answers are stored at once; what the page has to say
// waits in the queue and goes out, in order and once, when Facebook is back.
func TestDeliveryGraphOutage(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("outage@example.com", "700000000000501")
	ff := hcSurvey("Outage", 3)
	ff.Questions[0].Type, ff.Questions[0].Reprompt = xerochat.QuestionEmail, "Outage: not an e-mail."
	fc := ts.createFlow(m, ff)
	p := ts.person(m, "2500000000000501", fakegraph.Profile{FirstName: "Out"})
	hcSay(t, p, "start")
	hcWaitSent(t, p, 1)
	ts.settle()

	ts.Fake.Down(true)
	// Someone new writes during the outage: kept as a subscriber at once,
	// their profile fetched when Facebook is back.
	newcomer := ts.person(m, "2500000000000502", fakegraph.Profile{FirstName: "Newcomer", LastName: "Late"})
	hcSay(t, newcomer, "hello")
	hcSay(t, p, "not an address")  // re-prompt queued
	hcSay(t, p, "zoe@example.com") // stored; question 2 queued behind the re-prompt
	eventually(t, "the answer stored during the outage", func() bool {
		return slices.Equal(hcAnswersAt(t, ts.URL(), m.Key, fc.ID, p.PSID), []string{"zoe@example.com"})
	})
	if info := hcSubscriberInfo(ts, m, p.PSID); info["email"] != "zoe@example.com" {
		t.Fatalf("the e-mail answered during the outage is not on the subscriber: %v", info)
	}
	// Both messages wait; the first has been tried again at least once
	// (question 1 went out, then two refused calls).
	eventually(t, "a retried send", func() bool { return ts.Fake.CallCount(http.MethodPost, "/me/messages") >= 3 })
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`); n != 2 {
		t.Fatalf("%d messages waiting, want the re-prompt and question 2", n)
	}
	queued := hcString(t, ts.DB.SQL(), `SELECT message FROM outbox WHERE state = 'pending' ORDER BY id DESC LIMIT 1`)
	if !strings.Contains(queued, "Outage Q2?") {
		t.Fatalf("the last queued message is %s, want question 2", queued)
	}
	hcExpectSent(t, p, "Outage Q1?")

	if info := hcSubscriberInfo(ts, m, newcomer.PSID); info == nil || info["first_name"] != "" {
		t.Fatalf("a person who wrote during the outage: subscriber_info %v, want the subscriber without a profile yet", info)
	}

	ts.Fake.Down(false)
	eventually(t, "the newcomer's profile", func() bool {
		info := hcSubscriberInfo(ts, m, newcomer.PSID)
		return info["first_name"] == "Newcomer" && info["last_name"] == "Late"
	})
	hcWaitSent(t, p, 3)
	hcExpectSent(t, p, "Outage Q1?", "Outage: not an e-mail.", "Outage Q2?")
	hcSay(t, p, "a2")
	hcWaitSent(t, p, 4)
	hcSay(t, p, "a3")
	hcWaitSent(t, p, 5)
	ts.settle()
	hcExpectSent(t, p, "Outage Q1?", "Outage: not an e-mail.", "Outage Q2?", "Outage Q3?", "Outage done")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "zoe@example.com", "a2", "a3")
	if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != "" {
		t.Fatalf("an outage is not the subscriber's error: last_error_message %q", info["last_error_message"])
	}
}

// TestDeliveryRateLimited: a throttled send is tried again later and
// reaches the person once; nothing is recorded against the subscriber.
func TestDeliveryRateLimited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		err   fakegraph.FBError
		times int
	}{
		{"application limit twice", fakegraph.ErrRateLimit(), 2},
		{"user limit", fakegraph.FBError{HTTPStatus: 400, Code: 17, Message: "(#17) User request limit reached"}, 1},
		{"page limit", fakegraph.FBError{HTTPStatus: 400, Code: 32, Message: "(#32) Page request limit reached"}, 1},
		{"call rate", fakegraph.FBError{HTTPStatus: 400, Code: 613, Message: "(#613) Calls to this api have exceeded the rate limit."}, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			m := ts.newMember("limited@example.com", fmt.Sprintf("70000000000060%d", i))
			fc := ts.createFlow(m, hcSurvey("Limited", 2))
			p := ts.person(m, fmt.Sprintf("250000000000060%d", i), fakegraph.Profile{FirstName: "Lim"})
			ts.Fake.Fail(http.MethodPost, "/me/messages", tt.err, tt.times)
			hcSay(t, p, "start")
			hcWaitSent(t, p, 1)
			ts.settle()
			hcExpectSent(t, p, "Limited Q1?")
			if n := ts.Fake.CallCount(http.MethodPost, "/me/messages"); n != tt.times+1 {
				t.Fatalf("%d Send API calls, want %d refused and 1 accepted", n, tt.times)
			}
			hcSay(t, p, "a1")
			hcWaitSent(t, p, 2)
			ts.settle()
			hcExpectSent(t, p, "Limited Q1?", "Limited Q2?")
			hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "a1")
			if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != "" {
				t.Fatalf("a rate limit is not the subscriber's error: last_error_message %q", info["last_error_message"])
			}
		})
	}
}

// TestDeliveryInvalidToken: Facebook refuses the page's token (code 190).
// The page's error is recorded, the message is failed rather than retried,
// and the person's answers are still taken.
func TestDeliveryInvalidToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("token@example.com", "700000000000701")
	fc := ts.createFlow(m, hcSurvey("Token", 2))
	p := ts.person(m, "2500000000000701", fakegraph.Profile{FirstName: "Tok"})
	ts.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrInvalidToken(), 1)
	hcSay(t, p, "start")
	pageError := `SELECT error_message FROM pages WHERE page_id = '` + m.PageID + `'`
	eventually(t, "the page's error", func() bool { return hcString(t, ts.DB.SQL(), pageError) != "" })
	ts.settle()
	if got := hcString(t, ts.DB.SQL(), pageError); got != fakegraph.ErrInvalidToken().Message {
		t.Fatalf("pages.error_message = %q, want Facebook's message %q", got, fakegraph.ErrInvalidToken().Message)
	}
	if n := ts.Fake.CallCount(http.MethodPost, "/me/messages"); n != 1 {
		t.Fatalf("%d Send API calls: a refused token must not be retried", n)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'failed'`); n != 1 {
		t.Fatalf("%d failed messages, want 1", n)
	}
	hcExpectSent(t, p)
	if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != "" {
		t.Fatalf("a page's token is not the subscriber's error: last_error_message %q", info["last_error_message"])
	}
	// The flow still runs on the server: the answer is kept.
	hcSay(t, p, "a1")
	eventually(t, "the answer", func() bool {
		return slices.Equal(hcAnswersAt(t, ts.URL(), m.Key, fc.ID, p.PSID), []string{"a1"})
	})
	ts.settle()
}

// TestDeliveryRefused: Facebook refuses a message for a reason of the
// person's (outside the 24-hour window; a person it does not know). The
// refusal is shown as the subscriber's last_error_message, the message is
// not retried, and the answers already given stay.
func TestDeliveryRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(ts *testServer, p *fakegraph.Person) // before the postback that restarts the flow
		message string
	}{
		{"outside the 24-hour window", func(ts *testServer, p *fakegraph.Person) {
			ts.Fake.UserMessaged(p.PageID, p.PSID, time.Now().Add(-25*time.Hour))
		}, fakegraph.ErrOutsideWindow().Message},
		{"unknown person", func(ts *testServer, p *fakegraph.Person) {
			ts.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrNoMatchingUser(), 1)
		}, fakegraph.ErrNoMatchingUser().Message},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			ts.Fake.SetWindow(true)
			m := ts.newMember("window@example.com", fmt.Sprintf("70000000000080%d", i))
			fc := ts.createFlow(m, hcSurvey("Window", 3))
			p := ts.person(m, fmt.Sprintf("250000000000080%d", i), fakegraph.Profile{FirstName: "Win"})
			hcSay(t, p, "start")
			hcWaitSent(t, p, 1)
			hcSay(t, p, "a1")
			hcWaitSent(t, p, 2)
			ts.settle()
			tt.setup(ts, p)
			calls := ts.Fake.CallCount(http.MethodPost, "/me/messages")
			// A postback does not open the window: the restarted flow's
			// question 1 is refused.
			if _, err := p.Postback("Survey", "SURVEY", "", ""); err != nil {
				t.Fatal(err)
			}
			eventually(t, "last_error_message", func() bool {
				info := hcSubscriberInfo(ts, m, p.PSID)
				return info != nil && info["last_error_message"] != ""
			})
			ts.settle()
			if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != tt.message {
				t.Fatalf("last_error_message = %q, want Facebook's %q", info["last_error_message"], tt.message)
			}
			if n := ts.Fake.CallCount(http.MethodPost, "/me/messages") - calls; n != 1 {
				t.Fatalf("%d Send API calls for the refused message, want 1 (no retry)", n)
			}
			hcExpectSent(t, p, "Window Q1?", "Window Q2?")
			hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "a1")
			if n := hcString(t, ts.DB.SQL(), `SELECT error_message FROM pages WHERE page_id = '`+m.PageID+`'`); n != "" {
				t.Fatalf("a person's refusal set the page's error %q", n)
			}
			// The person writes again, which opens the window: the flow
			// goes on from question 1, where the restart put it.
			hcSay(t, p, "b1")
			hcWaitSent(t, p, 3)
			ts.settle()
			hcExpectSent(t, p, "Window Q1?", "Window Q2?", "Window Q2?")
			hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "b1")
		})
	}
}
