package messenger_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/xerochattest"
)

// apply handles one event as the worker does, in a batch transaction of the
// real store: a savepoint per event that records its key first. The batch
// commits whatever the event's outcome, as on a batch's last attempt.
func apply(t *testing.T, s *xerochattest.Server, ev xerochat.Event) (applied bool, err error) {
	t.Helper()
	ctx := context.Background()
	id, serr := s.DB.StoreBatch(ctx, "", []byte(`{"object":"page","entry":[]}`))
	if serr != nil {
		t.Fatal(serr)
	}
	if serr := s.DB.InBatch(ctx, id, func(tx xerochat.BatchTx) error {
		applied, err = tx.ApplyEvent(ctx, ev.Key, func(etx xerochat.EventTx) error { return messenger.Handle(ctx, etx, ev) })
		return nil
	}); serr != nil {
		t.Fatal(serr)
	}
	// With no worker running, the profiles of new subscribers are asked for
	// here, as a worker would (without names: this test is about events).
	jobs, serr := s.DB.ClaimProfiles(ctx, time.Minute, 100)
	if serr != nil {
		t.Fatal(serr)
	}
	for _, j := range jobs {
		if serr := s.DB.SaveProfile(ctx, j.SubscriberID, xerochat.Profile{}); serr != nil {
			t.Fatal(serr)
		}
	}
	return applied, err
}

// drain claims every queued message, oldest first, marking each sent, and
// returns them: what the engine asked to send.
func drain(t *testing.T, s *xerochattest.Server) []xerochat.Outgoing {
	t.Helper()
	ctx := context.Background()
	var out []xerochat.Outgoing
	for {
		msgs, err := s.DB.ClaimMessages(ctx, time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, m := range msgs {
			out = append(out, m.Message)
			if err := s.DB.MessagesSent(ctx, map[int64]string{m.ID: "m_sent"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// sessionPosition is the position of the subscriber's running flow, 0 when
// none runs.
func sessionPosition(t *testing.T, s *xerochattest.Server, psid string) int {
	t.Helper()
	return xerochattest.Count(t, s.DB.SQL(), `SELECT COALESCE(MAX(f.position), 0) FROM flow_sessions f
		JOIN subscribers s ON s.id = f.subscriber_id WHERE s.psid = '`+psid+`'`)
}

// TestHandle plays one person's events through Handle on a real store,
// step by step, and checks after each what was queued, where the flow
// stands, and what was stored.
func TestHandle(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t, xerochattest.Workers(0))
	m := s.NewMember("engine@example.com", "780000000000001")
	ff := xerochat.FlowFile{FlowName: "Engine", CompletionMessage: "Thanks"}
	ff.Triggers.Keywords = []string{"start"}
	ff.Triggers.Payloads = []string{"SURVEY"}
	ff.Questions = []xerochat.FlowFileQuestion{
		{Question: "Your e-mail?", Type: xerochat.QuestionEmail, Reprompt: "Not an e-mail."},
		{Question: "Colour?", Type: xerochat.QuestionChoice, Options: []string{"Red", "Blue"}},
	}
	fc := s.CreateFlow(m, ff)
	const psid = "2580000000000001"
	t0 := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	event := func(key, kind string) xerochat.Event {
		return xerochat.Event{Key: key, Kind: kind, PageID: m.PageID, PSID: psid, Time: t0}
	}
	text := func(key, body string) xerochat.Event {
		ev := event(key, xerochat.EventMessage)
		ev.Text = body
		return ev
	}
	tapped := text("m_tap", "Blue")
	tapped.QuickReplyPayload = "Blue"
	postback := event("p_survey", xerochat.EventPostback)
	postback.Payload = "SURVEY"
	referral := event("r_ads", xerochat.EventReferral)
	referral.RefererSource = "ADS"
	label := func(key string, added bool) xerochat.Event {
		ev := event(key, xerochat.EventLabel)
		ev.LabelID, ev.LabelName, ev.LabelAdded = "9100", "VIP", added
		return ev
	}
	colour := xerochat.Outgoing{Text: "Colour?", QuickReplies: []xerochat.QuickReply{{Title: "Red", Payload: "Red"}, {Title: "Blue", Payload: "Blue"}}}

	steps := []struct {
		name     string
		ev       xerochat.Event
		applied  bool
		sent     []xerochat.Outgoing
		position int
		answers  []string
		info     map[string]string // fields of subscriber_info
	}{
		{"a message that starts nothing keeps the subscriber", text("m_hello", "hello"), true, nil, 0, nil,
			map[string]string{"subscribed_at": "2024-06-01 08:00:00"}},
		{"the keyword starts the flow", text("m_start", " START "), true, []xerochat.Outgoing{{Text: "Your e-mail?"}}, 1, nil, nil},
		{"an invalid answer is re-prompted, not stored", text("m_bad", "nope"), true, []xerochat.Outgoing{{Text: "Not an e-mail."}}, 1, nil,
			map[string]string{"email": ""}},
		{"a valid answer is stored and the choice asked with quick replies", text("m_mail", "zoe@example.com"), true,
			[]xerochat.Outgoing{colour}, 2, []string{"zoe@example.com"}, map[string]string{"email": "zoe@example.com"}},
		{"the same key again is not applied", text("m_mail", "zoe@example.com"), false, nil, 2, []string{"zoe@example.com"}, nil},
		{"a tapped quick reply answers the choice and completes the flow", tapped, true, []xerochat.Outgoing{{Text: "Thanks"}}, 0,
			[]string{"zoe@example.com", "Blue"}, nil},
		{"a postback payload starts the flow again", postback, true, []xerochat.Outgoing{{Text: "Your e-mail?"}}, 1,
			[]string{"zoe@example.com", "Blue"}, nil},
		{"a referral records the source and leaves the flow", referral, true, nil, 1, []string{"zoe@example.com", "Blue"},
			map[string]string{"refferer_source": "ADS"}},
		{"an inbox label is stored and put on the subscriber", label("l_add", true), true, nil, 1, []string{"zoe@example.com", "Blue"},
			map[string]string{"labels": "9100"}},
		{"an inbox label taken off", label("l_remove", false), true, nil, 1, []string{"zoe@example.com", "Blue"},
			map[string]string{"labels": ""}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			applied, err := apply(t, s, st.ev)
			if err != nil || applied != st.applied {
				t.Fatalf("applied %t, %v; want %t, no error", applied, err, st.applied)
			}
			if got := drain(t, s); !slices.EqualFunc(got, st.sent, equalOutgoing) {
				t.Errorf("queued %+v, want %+v", got, st.sent)
			}
			if got := sessionPosition(t, s, psid); got != st.position {
				t.Errorf("flow at question %d, want %d", got, st.position)
			}
			xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, psid, st.answers...)
			info := s.SubscriberInfo(m, psid)
			for k, want := range st.info {
				if info[k] != want {
					t.Errorf("subscriber_info %s = %q, want %q", k, info[k], want)
				}
			}
		})
	}
}

func equalOutgoing(a, b xerochat.Outgoing) bool {
	return a.Text == b.Text && a.Tag == b.Tag && slices.Equal(a.QuickReplies, b.QuickReplies)
}

// TestHandleDropped: events of a page that is not connected, or whose bot
// is disabled, are ErrDropped and leave no trace.
func TestHandleDropped(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t, xerochattest.Workers(0))
	m := s.NewMember("dropped@example.com", "780000000000011")
	off := &xerochattest.Member{ID: m.ID, Key: m.Key, PageID: "780000000000012"}
	off.Page = s.ConnectPage(off, off.PageID, false)
	s.CreateFlow(off, xerochattest.Survey("Off", 1))
	tests := []struct{ name, pageID string }{
		{"page not connected", "780000000000013"},
		{"bot disabled", off.PageID},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := xerochat.Event{Key: fmt.Sprintf("m_dropped_%d", i), Kind: xerochat.EventMessage, PageID: tt.pageID,
				PSID: "2580000000000011", Time: time.Now(), Text: "start"}
			applied, err := apply(t, s, ev)
			if !errors.Is(err, messenger.ErrDropped) || applied {
				t.Fatalf("applied %t, %v; want not applied, ErrDropped", applied, err)
			}
			for _, table := range []string{"subscribers", "outbox", "flow_sessions", "processed_events"} {
				if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM `+table); n != 0 {
					t.Errorf("%d rows in %s, want none", n, table)
				}
			}
		})
	}
}
