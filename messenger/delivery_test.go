package messenger_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestDeliveryGraphOutage: Facebook stops answering in the middle of a
// flow. The person's answers are stored at once; what the page has to say
// waits in the queue and goes out, in order and once, when Facebook is back.
func TestDeliveryGraphOutage(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("outage@example.com", "700000000000501")
	ff := xerochattest.Survey("Outage", 3)
	ff.Questions[0].Type, ff.Questions[0].Reprompt = xerochat.QuestionEmail, "Outage: not an e-mail."
	fc := s.CreateFlow(m, ff)
	p := s.Person(m, "2500000000000501", fakegraph.Profile{FirstName: "Out"})
	xerochattest.Say(t, p, "start")
	xerochattest.WaitSent(t, p, 1)
	s.Settle()

	s.Fake.Down(true)
	// Someone new writes during the outage: kept as a subscriber at once,
	// their profile fetched when Facebook is back.
	newcomer := s.Person(m, "2500000000000502", fakegraph.Profile{FirstName: "Newcomer", LastName: "Late"})
	xerochattest.Say(t, newcomer, "hello")
	xerochattest.Say(t, p, "not an address")  // re-prompt queued
	xerochattest.Say(t, p, "zoe@example.com") // stored; question 2 queued behind the re-prompt
	xerochattest.Eventually(t, "the answer stored during the outage", func() bool {
		return slices.Equal(xerochattest.Answers(t, s.URL, m.Key, fc.ID, p.PSID), []string{"zoe@example.com"})
	})
	if info := s.SubscriberInfo(m, p.PSID); info["email"] != "zoe@example.com" {
		t.Fatalf("the e-mail answered during the outage is not on the subscriber: %v", info)
	}
	// Both messages wait; the first has been tried again at least once
	// (question 1 went out, then two refused calls).
	xerochattest.Eventually(t, "a retried send", func() bool { return s.Fake.CallCount(http.MethodPost, "/me/messages") >= 3 })
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`); n != 2 {
		t.Fatalf("%d messages waiting, want the re-prompt and question 2", n)
	}
	queued := xerochattest.String(t, s.DB.SQL(), `SELECT message FROM outbox WHERE state = 'pending' ORDER BY id DESC LIMIT 1`)
	if !strings.Contains(queued, "Outage Q2?") {
		t.Fatalf("the last queued message is %s, want question 2", queued)
	}
	xerochattest.ExpectSent(t, p, "Outage Q1?")

	if info := s.SubscriberInfo(m, newcomer.PSID); info["first_name"] != "" {
		t.Fatalf("a person who wrote during the outage: subscriber_info %v, want the subscriber without a profile yet", info)
	}

	s.Fake.Down(false)
	xerochattest.Eventually(t, "the newcomer's profile", func() bool {
		info := s.SubscriberInfo(m, newcomer.PSID)
		return info["first_name"] == "Newcomer" && info["last_name"] == "Late"
	})
	xerochattest.WaitSent(t, p, 3)
	xerochattest.ExpectSent(t, p, "Outage Q1?", "Outage: not an e-mail.", "Outage Q2?")
	xerochattest.Say(t, p, "a2")
	xerochattest.WaitSent(t, p, 4)
	xerochattest.Say(t, p, "a3")
	xerochattest.WaitSent(t, p, 5)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Outage Q1?", "Outage: not an e-mail.", "Outage Q2?", "Outage Q3?", "Outage done")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, p.PSID, "zoe@example.com", "a2", "a3")
	if info := s.SubscriberInfo(m, p.PSID); info["last_error_message"] != "" {
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
			s := xerochattest.NewServer(t)
			m := s.NewMember("limited@example.com", fmt.Sprintf("70000000000060%d", i))
			fc := s.CreateFlow(m, xerochattest.Survey("Limited", 2))
			p := s.Person(m, fmt.Sprintf("250000000000060%d", i), fakegraph.Profile{FirstName: "Lim"})
			s.Fake.Fail(http.MethodPost, "/me/messages", tt.err, tt.times)
			xerochattest.Say(t, p, "start")
			xerochattest.WaitSent(t, p, 1)
			s.Settle()
			xerochattest.ExpectSent(t, p, "Limited Q1?")
			if n := s.Fake.CallCount(http.MethodPost, "/me/messages"); n != tt.times+1 {
				t.Fatalf("%d Send API calls, want %d refused and 1 accepted", n, tt.times)
			}
			xerochattest.Say(t, p, "a1")
			xerochattest.WaitSent(t, p, 2)
			s.Settle()
			xerochattest.ExpectSent(t, p, "Limited Q1?", "Limited Q2?")
			xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, p.PSID, "a1")
			if info := s.SubscriberInfo(m, p.PSID); info["last_error_message"] != "" {
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
	s := xerochattest.NewServer(t)
	m := s.NewMember("token@example.com", "700000000000701")
	fc := s.CreateFlow(m, xerochattest.Survey("Token", 2))
	p := s.Person(m, "2500000000000701", fakegraph.Profile{FirstName: "Tok"})
	s.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrInvalidToken(), 1)
	xerochattest.Say(t, p, "start")
	pageError := `SELECT error_message FROM pages WHERE page_id = '` + m.PageID + `'`
	xerochattest.Eventually(t, "the page's error", func() bool { return xerochattest.String(t, s.DB.SQL(), pageError) != "" })
	s.Settle()
	if got := xerochattest.String(t, s.DB.SQL(), pageError); got != fakegraph.ErrInvalidToken().Message {
		t.Fatalf("pages.error_message = %q, want Facebook's message %q", got, fakegraph.ErrInvalidToken().Message)
	}
	if n := s.Fake.CallCount(http.MethodPost, "/me/messages"); n != 1 {
		t.Fatalf("%d Send API calls: a refused token must not be retried", n)
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'failed'`); n != 1 {
		t.Fatalf("%d failed messages, want 1", n)
	}
	xerochattest.ExpectSent(t, p)
	if info := s.SubscriberInfo(m, p.PSID); info["last_error_message"] != "" {
		t.Fatalf("a page's token is not the subscriber's error: last_error_message %q", info["last_error_message"])
	}
	// The flow still runs on the server: the answer is kept.
	xerochattest.Say(t, p, "a1")
	xerochattest.Eventually(t, "the answer", func() bool {
		return slices.Equal(xerochattest.Answers(t, s.URL, m.Key, fc.ID, p.PSID), []string{"a1"})
	})
	s.Settle()
}

// TestDeliveryRefused: Facebook refuses a message for a reason of the
// person's (outside the 24-hour window; a person it does not know). The
// refusal is shown as the subscriber's last_error_message, the message is
// not retried, and the answers already given stay.
func TestDeliveryRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(s *xerochattest.Server, p *fakegraph.Person) // before the postback that restarts the flow
		message string
	}{
		{"outside the 24-hour window", func(s *xerochattest.Server, p *fakegraph.Person) {
			s.Fake.UserMessaged(p.PageID, p.PSID, time.Now().Add(-25*time.Hour))
		}, fakegraph.ErrOutsideWindow().Message},
		{"unknown person", func(s *xerochattest.Server, p *fakegraph.Person) {
			s.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrNoMatchingUser(), 1)
		}, fakegraph.ErrNoMatchingUser().Message},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := xerochattest.NewServer(t)
			s.Fake.SetWindow(true)
			m := s.NewMember("window@example.com", fmt.Sprintf("70000000000080%d", i))
			fc := s.CreateFlow(m, xerochattest.Survey("Window", 3))
			p := s.Person(m, fmt.Sprintf("250000000000080%d", i), fakegraph.Profile{FirstName: "Win"})
			xerochattest.Say(t, p, "start")
			xerochattest.WaitSent(t, p, 1)
			xerochattest.Say(t, p, "a1")
			xerochattest.WaitSent(t, p, 2)
			s.Settle()
			tt.setup(s, p)
			calls := s.Fake.CallCount(http.MethodPost, "/me/messages")
			// A postback does not open the window: the restarted flow's
			// question 1 is refused.
			if _, err := p.Postback("Survey", "SURVEY", "", ""); err != nil {
				t.Fatal(err)
			}
			xerochattest.Eventually(t, "last_error_message", func() bool { return s.SubscriberInfo(m, p.PSID)["last_error_message"] != "" })
			s.Settle()
			if info := s.SubscriberInfo(m, p.PSID); info["last_error_message"] != tt.message {
				t.Fatalf("last_error_message = %q, want Facebook's %q", info["last_error_message"], tt.message)
			}
			if n := s.Fake.CallCount(http.MethodPost, "/me/messages") - calls; n != 1 {
				t.Fatalf("%d Send API calls for the refused message, want 1 (no retry)", n)
			}
			xerochattest.ExpectSent(t, p, "Window Q1?", "Window Q2?")
			xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, p.PSID, "a1")
			if n := xerochattest.String(t, s.DB.SQL(), `SELECT error_message FROM pages WHERE page_id = '`+m.PageID+`'`); n != "" {
				t.Fatalf("a person's refusal set the page's error %q", n)
			}
			// The person writes again, which opens the window: the flow
			// goes on from question 1, where the restart put it.
			xerochattest.Say(t, p, "b1")
			xerochattest.WaitSent(t, p, 3)
			s.Settle()
			xerochattest.ExpectSent(t, p, "Window Q1?", "Window Q2?", "Window Q2?")
			xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, p.PSID, "b1")
		})
	}
}
