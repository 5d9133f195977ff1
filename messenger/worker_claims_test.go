package messenger_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/xerochattest"
)

// slowSends is Facebook with a Send API that takes its time, as it does
// under load.
type slowSends struct {
	xerochat.Facebook
	delay time.Duration
}

func (s slowSends) SendMessage(ctx context.Context, token, psid string, m xerochat.Outgoing) (string, error) {
	time.Sleep(s.delay)
	return s.Facebook.SendMessage(ctx, token, psid, m)
}

// TestWorkerBusySendingTakesNewBatches: a worker that found no batch does
// not look again each round while it sends, but intake's wake makes it
// look at once, even in the middle of a long run of sends.
func TestWorkerBusySendingTakesNewBatches(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t, xerochattest.Workers(0))
	m := s.NewMember("busy@example.com", "790000000000300")
	const queued = 160
	for i := range queued {
		psid := fmt.Sprint(2590000000003000 + i)
		s.Fake.AddUser(m.PageID, psid, fakegraph.Profile{FirstName: "P"})
		queue(t, s, m, psid, xerochat.Outgoing{Text: "Hello"})
	}
	// 160 sends, 8 at a time, 50 ms each: two seconds of sending. The poll
	// never comes round in the test: only the wake can make it look.
	w := &messenger.Worker{Store: s.DB, Facebook: slowSends{graph.New(s.Fake.URL(), "v21.0"), 50 * time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(s.Logs, nil)), Poll: time.Hour}
	runWorker(t, w)
	ctx := context.Background()
	xerochattest.Eventually(t, "the sends to start", func() bool { return len(s.Fake.AllSent()) > 0 })

	body := fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"time":1,"messaging":[{"sender":{"id":"2590000000009999"},`+
		`"recipient":{"id":%q},"timestamp":1,"message":{"mid":"m_wake","text":"hi"}}]}]}`, m.PageID, m.PageID)
	if _, err := s.DB.StoreBatch(ctx, m.PageID, []byte(body)); err != nil {
		t.Fatal(err)
	}
	w.Wake()
	xerochattest.Eventually(t, "the new batch to be processed", func() bool {
		batches, _, _, err := s.DB.Backlog(ctx)
		return err == nil && batches == 0
	})
	if sent := len(s.Fake.AllSent()); sent >= queued {
		t.Errorf("the batch waited for all %d sends to end", sent)
	}
}

// TestWorkerPersonsMessagesInOrder: a person's queued messages go out one
// after the other in one claim; when one is put off (a rate limit), the
// ones after it wait for it instead of overtaking it.
func TestWorkerPersonsMessagesInOrder(t *testing.T) {
	t.Parallel()
	const psid = "2590000000003301"
	s, m := workerlessWithPerson(t, "order@example.com", "790000000000301", psid)
	queue(t, s, m, psid, xerochat.Outgoing{Text: "one"}, xerochat.Outgoing{Text: "two"}, xerochat.Outgoing{Text: "three"})
	s.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrRateLimit(), 1)
	startWorker(t, s, s.DB)
	xerochattest.Eventually(t, "the messages to go out", func() bool { return len(s.Fake.Sent(psid)) == 3 })
	if got := xerochattest.Texts(s.Fake.Sent(psid)); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("sent %q, want one, two, three", got)
	}
}

// firstSend is Facebook that, at the first message sent, notes how many
// batches were still waiting.
type firstSend struct {
	xerochat.Facebook
	backlog func() int
	once    sync.Once
	waiting chan int
}

func (f *firstSend) SendMessage(ctx context.Context, token, psid string, m xerochat.Outgoing) (string, error) {
	f.once.Do(func() { f.waiting <- f.backlog() })
	return f.Facebook.SendMessage(ctx, token, psid, m)
}

// TestWorkerRepliesDuringLanesBacklog: a worker with a backlog of batches
// sends the replies already queued after its turn on the lanes, instead
// of after the whole backlog.
func TestWorkerRepliesDuringLanesBacklog(t *testing.T) {
	t.Parallel()
	const psid = "2590000000003302"
	s, m := workerlessWithPerson(t, "turns@example.com", "790000000000302", psid)
	queue(t, s, m, psid, xerochat.Outgoing{Text: "Hello"})
	ctx := context.Background()
	const batches = 300
	for i := range batches {
		body := fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"time":1,"messaging":[{"sender":{"id":"2590000000003399"},`+
			`"recipient":{"id":%q},"timestamp":%d,"message":{"mid":"m_turn_%d","text":"hi"}}]}]}`, m.PageID, m.PageID, i+1, i)
		if _, err := s.DB.StoreBatch(ctx, m.PageID, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	fb := &firstSend{Facebook: graph.New(s.Fake.URL(), "v21.0"), waiting: make(chan int, 1), backlog: func() int {
		n, _, _, err := s.DB.Backlog(ctx)
		if err != nil {
			t.Error(err)
		}
		return n
	}}
	runWorker(t, &messenger.Worker{Store: s.DB, Facebook: fb, Logger: slog.New(slog.NewTextHandler(s.Logs, nil)),
		Poll: time.Hour, Turn: time.Millisecond})
	select {
	case n := <-fb.waiting:
		if n == 0 {
			t.Errorf("the reply went out after all %d batches", batches)
		}
	case <-time.After(time.Minute):
		t.Fatal("no reply was sent")
	}
}

// workerlessWithPerson is a server without workers (the test runs its
// own), a member with a page, and a person Facebook knows on it.
func workerlessWithPerson(t *testing.T, email, pageID, psid string) (*xerochattest.Server, *xerochattest.Member) {
	t.Helper()
	s := xerochattest.NewServer(t, xerochattest.Workers(0))
	m := s.NewMember(email, pageID)
	s.Fake.AddUser(m.PageID, psid, fakegraph.Profile{FirstName: "P"})
	return s, m
}
