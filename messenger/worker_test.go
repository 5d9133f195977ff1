package messenger_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/xerochattest"
)

// startWorker runs a worker on store, talking to the server's fake
// Facebook over HTTP, until the test ends. The server itself runs none
// (xerochattest.Workers(0)), so that this worker makes every decision.
func startWorker(t *testing.T, s *xerochattest.Server, store messenger.Store) {
	t.Helper()
	runWorker(t, &messenger.Worker{Store: store, Facebook: graph.New(s.Fake.URL(), "v21.0"),
		Logger: slog.New(slog.NewTextHandler(s.Logs, nil)), Lease: 2 * time.Second, Poll: 20 * time.Millisecond})
}

// runWorker runs w until the test ends.
func runWorker(t *testing.T, w *messenger.Worker) {
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); done.Wait() })
}

// errBroken is the failure of an event that fails for a reason of ours.
var errBroken = errors.New("broken by the test")

// failingStore is the real store, except that the event with key fails
// after its handler ran: a failure inside the event's savepoint, on every
// attempt.
type failingStore struct {
	*sqlstore.DB
	key string
}

func (f failingStore) InBatch(ctx context.Context, id int64, fn func(xerochat.BatchTx) error) error {
	return f.DB.InBatch(ctx, id, func(tx xerochat.BatchTx) error { return fn(failingTx{tx, f.key}) })
}

type failingTx struct {
	xerochat.BatchTx
	key string
}

func (f failingTx) ApplyEvent(ctx context.Context, key string, fn func(xerochat.EventTx) error) (bool, error) {
	if key != f.key {
		return f.BatchTx.ApplyEvent(ctx, key, fn)
	}
	return f.BatchTx.ApplyEvent(ctx, key, func(etx xerochat.EventTx) error {
		if err := fn(etx); err != nil {
			return err
		}
		return errBroken
	})
}

// TestWorkerFailingEvent: an event that keeps failing fails its whole batch,
// which is retried later with none of its events applied; on the batch's
// last attempt that event is skipped and the others are applied.
func TestWorkerFailingEvent(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t, xerochattest.Workers(0))
	m := s.NewMember("failing@example.com", "790000000000001")
	s.CreateFlow(m, xerochattest.Survey("Failing", 1))
	bad := s.Person(m, "2590000000000001", fakegraph.Profile{FirstName: "Bad"})
	good := s.Person(m, "2590000000000002", fakegraph.Profile{FirstName: "Good"})
	xerochattest.PostSigned(t, s.URL, xerochattest.Batch(t, xerochattest.Entry(m.PageID, "messaging",
		xerochattest.Message(m.PageID, bad.PSID, "m_failing_bad", "start"),
		xerochattest.Message(m.PageID, good.PSID, "m_failing_good", "start"))))
	startWorker(t, s, failingStore{s.DB, "m:m_failing_bad"})

	db := s.DB.SQL()
	xerochattest.Eventually(t, "the first attempt to fail", func() bool {
		return xerochattest.Count(t, db, `SELECT COUNT(*) FROM webhook_batches WHERE last_error <> ''`) == 1
	})
	if got := xerochattest.String(t, db, `SELECT last_error FROM webhook_batches`); !strings.Contains(got, errBroken.Error()) {
		t.Fatalf("last_error %q, want the event's failure", got)
	}
	for _, table := range []string{"subscribers", "outbox", "processed_events"} {
		if n := xerochattest.Count(t, db, `SELECT COUNT(*) FROM `+table); n != 0 {
			t.Fatalf("after a failed attempt: %d rows in %s, want none of the batch applied", n, table)
		}
	}
	if n := xerochattest.Count(t, db, `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0`); n != 1 {
		t.Fatalf("the failed batch is done after its first attempt")
	}

	// Skip ahead to the last attempt rather than wait through the retries.
	if _, err := db.Exec(`UPDATE webhook_batches SET attempts = ` + strconv.Itoa(messenger.MaxBatchAttempts-1)); err != nil {
		t.Fatal(err)
	}
	xerochattest.WaitSent(t, good, 1)
	s.Settle()
	xerochattest.ExpectSent(t, good, "Failing Q1?")
	xerochattest.ExpectSent(t, bad)
	if n := xerochattest.Count(t, db, `SELECT COUNT(*) FROM webhook_batches WHERE done_at <> 0 AND attempts = `+strconv.Itoa(messenger.MaxBatchAttempts)); n != 1 {
		t.Fatalf("the batch was not done on attempt %d", messenger.MaxBatchAttempts)
	}
	if n := xerochattest.Count(t, db, `SELECT COUNT(*) FROM subscribers WHERE psid = '`+bad.PSID+`'`); n != 0 {
		t.Fatalf("the skipped event left its subscriber")
	}
	if n := xerochattest.Count(t, db, `SELECT COUNT(*) FROM processed_events WHERE event_key = 'm:m_failing_bad'`); n != 0 {
		t.Fatalf("the skipped event's key was recorded")
	}
}

// TestWorkerSendOutcomes: what the worker does with each answer of the
// Send API, for one queued message.
func TestWorkerSendOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fail   fakegraph.FBError
		state  string // the message's state in the end
		calls  int    // Send API calls in all
		page   string // the page's error
		person string // the subscriber's last_error_message
	}{
		{"invalid token fails the message and marks the page", fakegraph.ErrInvalidToken(), "failed", 1,
			fakegraph.ErrInvalidToken().Message, ""},
		{"outside the window fails the message and marks the subscriber", fakegraph.ErrOutsideWindow(), "failed", 1,
			"", fakegraph.ErrOutsideWindow().Message},
		{"an unknown person fails the message and marks the subscriber", fakegraph.ErrNoMatchingUser(), "failed", 1,
			"", fakegraph.ErrNoMatchingUser().Message},
		{"a rate limit is retried later and the message goes out", fakegraph.ErrRateLimit(), "sent", 2, "", ""},
		{"a temporary server error is retried later and the message goes out", fakegraph.FBError{HTTPStatus: 500, Code: 2,
			Message: "An unexpected error has occurred. Please retry your request later."}, "sent", 2, "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := xerochattest.NewServer(t, xerochattest.Workers(0))
			m := s.NewMember("send@example.com", "79000000000010"+strconv.Itoa(i))
			psid := "259000000000010" + strconv.Itoa(i)
			s.Fake.AddUser(m.PageID, psid, fakegraph.Profile{FirstName: "Sam"})
			queue(t, s, m, psid, xerochat.Outgoing{Text: "Hello"})
			s.Fake.Fail(http.MethodPost, "/me/messages", tt.fail, 1)
			startWorker(t, s, s.DB)

			db := s.DB.SQL()
			xerochattest.Eventually(t, "the message to leave the queue and the profile to be asked", func() bool {
				return xerochattest.Count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`) == 0 &&
					xerochattest.Count(t, db, `SELECT COUNT(*) FROM subscribers WHERE profile_fetched = 0`) == 0
			})
			if got := xerochattest.String(t, db, `SELECT state FROM outbox`); got != tt.state {
				t.Errorf("message %s, want %s", got, tt.state)
			}
			// A failed message keeps Facebook's reason, and so does a sent
			// one that was retried: it proves the retry.
			if got := xerochattest.String(t, db, `SELECT last_error FROM outbox`); got != tt.fail.Message {
				t.Errorf("message's last_error %q, want %q", got, tt.fail.Message)
			}
			if got := xerochattest.Count(t, db, `SELECT attempts FROM outbox`); got != tt.calls {
				t.Errorf("%d attempts recorded, want %d", got, tt.calls)
			}
			if got := s.Fake.CallCount(http.MethodPost, "/me/messages"); got != tt.calls {
				t.Errorf("%d Send API calls, want %d", got, tt.calls)
			}
			if got := xerochattest.String(t, db, `SELECT error_message FROM pages WHERE page_id = '`+m.PageID+`'`); got != tt.page {
				t.Errorf("page error %q, want %q", got, tt.page)
			}
			if got := s.SubscriberInfo(m, psid)["last_error_message"]; got != tt.person {
				t.Errorf("subscriber's last_error_message %q, want %q", got, tt.person)
			}
			wantSent := []string{}
			if tt.state == "sent" {
				wantSent = []string{"Hello"}
			}
			if got := xerochattest.Texts(s.Fake.Sent(psid)); !slices.Equal(got, wantSent) {
				t.Errorf("the person saw %q, want %q", got, wantSent)
			}
		})
	}
}

// queue makes the person a subscriber of the member's page and queues
// msgs to them, an event each, in a batch transaction as the engine does.
func queue(t *testing.T, s *xerochattest.Server, mb *xerochattest.Member, psid string, msgs ...xerochat.Outgoing) {
	t.Helper()
	ctx := context.Background()
	id, err := s.DB.StoreBatch(ctx, "", []byte(`{"object":"page","entry":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = s.DB.InBatch(ctx, id, func(tx xerochat.BatchTx) error {
		for i, m := range msgs {
			if _, err := tx.ApplyEvent(ctx, fmt.Sprintf("m_queue_%s_%d", psid, i), func(etx xerochat.EventTx) error {
				page, err := etx.Page(ctx, mb.PageID)
				if err != nil {
					return err
				}
				sid, err := etx.Subscriber(ctx, page, psid, time.Now(), true)
				if err != nil {
					return err
				}
				return etx.Send(ctx, page, sid, m)
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkerSkipsEventFailingEveryAttempt makes one event fail on every
// attempt through the whole server (a database trigger refuses its
// subscriber): the batch is retried, then applied without that event — the
// other person's event in the same batch takes effect, and the lane moves
// on to later batches.
func TestWorkerSkipsEventFailingEveryAttempt(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("poison@example.com", "700000000000009")
	ff := xerochat.FlowFile{FlowName: "F"}
	ff.Triggers.Keywords = []string{"start"}
	ff.Questions = []xerochat.FlowFileQuestion{{Question: "Q1?"}}
	s.CreateFlow(m, ff)
	refuse := []string{`CREATE TRIGGER refuse_poison BEFORE INSERT ON subscribers
		WHEN NEW.psid = '2600000000000666' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`}
	if s.DB.Dialect() == sqlstore.Postgres {
		refuse = []string{`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.psid = '2600000000000666' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER refuse_poison BEFORE INSERT ON subscribers FOR EACH ROW EXECUTE FUNCTION refuse_poison()`}
	}
	for _, q := range refuse {
		if _, err := s.DB.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UnixMilli()
	event := func(psid, mid string) map[string]any {
		ev := xerochattest.Event(m.PageID, psid, now)
		ev["message"] = map[string]string{"mid": mid, "text": "start"}
		return ev
	}
	s.Fake.AddUser(m.PageID, "2600000000000001", fakegraph.Profile{FirstName: "Good"})
	xerochattest.PostSigned(t, s.URL, xerochattest.Batch(t, xerochattest.Entry(m.PageID, "messaging",
		event("2600000000000666", "m_bad"), event("2600000000000001", "m_good"))))
	p := s.Person(m, "2600000000000002", fakegraph.Profile{FirstName: "Later"})
	xerochattest.Say(t, p, "start")
	s.Settle()
	if got := s.Fake.Sent("2600000000000001"); len(got) != 1 || got[0].Text != "Q1?" {
		t.Fatalf("the good event of the failing batch: sent %+v, want Q1?", got)
	}
	if got := p.Sent(); len(got) != 1 {
		t.Fatalf("the later batch: sent %+v, want Q1?", got)
	}
	var attempts int
	var lastError string
	if err := s.DB.SQL().QueryRow(`SELECT attempts, last_error FROM webhook_batches ORDER BY id LIMIT 1`).Scan(&attempts, &lastError); err != nil {
		t.Fatal(err)
	}
	if attempts != messenger.MaxBatchAttempts || !strings.Contains(lastError, "refused by test") {
		t.Fatalf("failing batch: %d attempts, last error %q", attempts, lastError)
	}
	if res := s.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", "2600000000000666")); res.Message(t) != xerochat.MsgSubscriberNotFound {
		t.Fatalf("the refused subscriber exists: %s", res.Body)
	}
}
