package messenger

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/xerochat/xerochat"
)

// Store is the durable state the workers share with other processes.
type Store interface {
	// ClaimBatch leases the oldest batch heading a lane no other worker
	// holds, nil when none is due.
	ClaimBatch(ctx context.Context, lease time.Duration) (*xerochat.WebhookBatch, error)
	// FailBatch frees the lane for a retry of the batch after delay.
	FailBatch(ctx context.Context, id int64, cause error, delay time.Duration) error
	// InBatch runs fn in the batch's transaction and, when fn returns nil,
	// marks the batch done in it: all of it commits, or none.
	InBatch(ctx context.Context, batchID int64, fn func(xerochat.BatchTx) error) error

	// ClaimMessages leases due messages, a person's in the order they are
	// to be sent; ReleaseMessages gives back those not tried.
	ClaimMessages(ctx context.Context, lease time.Duration, limit int) ([]*xerochat.OutboxMessage, error)
	ReleaseMessages(ctx context.Context, msgs []*xerochat.OutboxMessage) error
	MessagesSent(ctx context.Context, messageIDs map[int64]string) error
	RetryMessage(ctx context.Context, id int64, at time.Time, cause string) error
	MessageFailed(ctx context.Context, id int64, cause string) error
	SetPageError(ctx context.Context, pageRef int64, msg string) error
	SetSubscriberError(ctx context.Context, subscriberID int64, msg string) error

	// Prune deletes processed batches, event keys and finished messages
	// older than cutoff.
	Prune(ctx context.Context, cutoff time.Time) (batches, events, messages int64, err error)

	ClaimProfiles(ctx context.Context, lease time.Duration, limit int) ([]*xerochat.ProfileJob, error)
	SaveProfile(ctx context.Context, subscriberID int64, p xerochat.Profile) error
	RetryProfile(ctx context.Context, subscriberID int64, at time.Time) error
}

// sendTimeout bounds one Send API call.
const sendTimeout = 30 * time.Second

// MaxBatchAttempts bounds how often a failing batch is retried. On its last
// attempt the events that still fail are skipped and the rest applied, so
// that one bad event can neither stop the lane nor take others with it.
const MaxBatchAttempts = 10

// maxSendAttempts bounds retries of a message Facebook could not take for
// a passing reason (rate limits, outages).
const maxSendAttempts = 12

// Worker processes webhook batches, sends queued messages and fetches
// profiles. Any number of workers may run, in one process or many, on one
// database: leases in the database decide who does what.
type Worker struct {
	Store    Store
	Facebook xerochat.Facebook
	Logger   *slog.Logger
	// Lease is how long a claimed item is reserved; a crashed worker's
	// items are taken over after it. Default 30s.
	Lease time.Duration
	// Poll is how often an idle worker looks for work. Default 200ms.
	Poll time.Duration
	// Senders is how many people are sent to at once (a person's messages
	// go one after the other). Default 8.
	Senders int
	// Turn is how long a worker works the lanes before it sends what they
	// queued, and how long it then sends before it goes back to the lanes,
	// when both have work waiting: with as many lanes busy as workers,
	// replies would otherwise wait for the lanes' whole backlog. Default 1s.
	Turn time.Duration
	// Retention is how long processed batches, processed-event keys and
	// finished outbox messages are kept; 0 keeps them for ever. Event keys
	// are what makes a re-delivery do nothing, so it must outlast Facebook's
	// retries (about a day) by far.
	Retention time.Duration

	once      sync.Once
	wake      chan struct{}
	lastPrune time.Time
}

// pruneEvery is how often a worker prunes; several workers pruning at once
// do no harm, only the same deletes.
const pruneEvery = time.Hour

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Lease == 0 {
			w.Lease = 30 * time.Second
		}
		if w.Poll == 0 {
			w.Poll = 200 * time.Millisecond
		}
		if w.Senders == 0 {
			w.Senders = 8
		}
		if w.Turn == 0 {
			w.Turn = time.Second
		}
		if w.Logger == nil {
			w.Logger = slog.Default()
		}
	})
}

// Wake makes an idle worker look for work now, e.g. after intake.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends.
//
// A claim that finds nothing is not asked again until something may have
// changed: intake woke the worker, the poll came round, or the worker
// itself made work (a processed batch queues messages and meets people
// whose profile is wanted; a sent message frees its person's next one).
// Work another worker frees it keeps doing itself, holding the lane or the
// person. Without this, every worker busy sending would also look for
// batches at every turn, each look a statement for nothing.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	var look looks
	for ctx.Err() == nil {
		select {
		case <-w.wake:
			look = looks{}
		default:
		}
		if time.Since(look.since) >= w.Poll {
			look = looks{}
		}
		w.prune(ctx)
		busy := look.try(&look.noBatches, func() bool { return w.processBatches(ctx) })
		if busy { // the batches queued messages and met new people
			look.noMessages, look.noProfiles = false, false
		}
		busy = look.try(&look.noMessages, func() bool { return w.forTurn(ctx, w.sendMessages) }) || busy
		busy = look.try(&look.noProfiles, func() bool { return w.fetchProfiles(ctx) }) || busy
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-time.After(w.Poll):
		}
		look = looks{}
	}
}

// looks is what a worker's last claims found nothing of, since when.
type looks struct {
	noBatches, noMessages, noProfiles bool
	since                             time.Time
}

// try runs claim unless it found nothing last time (*none), and records
// whether it found anything; the poll counts from the first that did not.
func (l *looks) try(none *bool, claim func() bool) bool {
	if *none {
		return false
	}
	if claim() {
		return true
	}
	if !l.noBatches && !l.noMessages && !l.noProfiles {
		l.since = time.Now()
	}
	*none = true
	return false
}

// prune deletes what is older than the retention, at most once per
// pruneEvery.
func (w *Worker) prune(ctx context.Context) {
	if w.Retention <= 0 || time.Since(w.lastPrune) < pruneEvery {
		return
	}
	w.lastPrune = time.Now()
	batches, events, messages, err := w.Store.Prune(ctx, time.Now().Add(-w.Retention))
	if err != nil {
		w.Logger.Error("messenger: prune", "err", err)
		return
	}
	if batches+events+messages > 0 {
		w.Logger.Info("messenger: pruned", "batches", batches, "event_keys", events, "messages", messages,
			"older_than", w.Retention.String())
	}
}

// forTurn runs work until it finds nothing, the turn is over or intake
// woke the worker (new batches get the lanes' turn), and reports whether
// it did anything.
func (w *Worker) forTurn(ctx context.Context, work func(context.Context) bool) bool {
	start := time.Now()
	did := false
	for work(ctx) {
		did = true
		if ctx.Err() != nil || time.Since(start) >= w.Turn || len(w.wake) > 0 {
			break
		}
	}
	return did
}

// processBatches handles batches in order until none is due or the turn
// is over. It reports whether it did anything.
func (w *Worker) processBatches(ctx context.Context) bool {
	start := time.Now()
	did := false
	for ctx.Err() == nil && time.Since(start) < w.Turn {
		b, err := w.Store.ClaimBatch(ctx, w.Lease)
		if err != nil {
			w.Logger.Error("messenger: claim batch", "err", err)
			return did
		}
		if b == nil {
			return did
		}
		did = true
		if err := w.processBatch(ctx, b); err != nil {
			w.Logger.Error("messenger: batch failed, will retry", "batch", b.ID, "err", err)
			if err := w.Store.FailBatch(context.WithoutCancel(ctx), b.ID, err, time.Second); err != nil {
				w.Logger.Error("messenger: record batch failure", "batch", b.ID, "err", err)
			}
			return did
		}
	}
	return did
}

// processBatch applies each event once, the whole batch in one
// transaction. An event that fails for a reason of ours (the database)
// fails the batch, to be retried in order. On the batch's last attempt an
// event that still fails is logged and skipped, and the others are applied.
func (w *Worker) processBatch(ctx context.Context, b *xerochat.WebhookBatch) error {
	events, dropped, err := parseBatch(b.Body)
	if err != nil {
		// Intake checked the JSON; a batch that still does not parse can
		// never succeed, so it is logged and marked done with no event.
		w.Logger.Warn("messenger: unreadable batch dropped", "batch", b.ID, "err", err)
		events = nil
	}
	for _, err := range dropped {
		w.Logger.Warn("messenger: bad event", "batch", b.ID, "err", err)
	}
	last := b.Attempts >= MaxBatchAttempts
	return w.Store.InBatch(ctx, b.ID, func(tx xerochat.BatchTx) error {
		for _, ev := range events {
			_, err := tx.ApplyEvent(ctx, ev.Key, func(etx xerochat.EventTx) error { return Handle(ctx, etx, ev) })
			if errors.Is(err, xerochat.ErrBatchRestart) {
				return err
			}
			if err != nil && !w.skip(ctx, ev, err, last) {
				return err
			}
		}
		return nil
	})
}

// skip decides about an event that failed: one xerochat does not act on is
// dropped, and so, on the batch's last attempt, is one that keeps failing;
// any other failure gives the batch up, to be retried in order.
func (w *Worker) skip(ctx context.Context, ev xerochat.Event, err error, last bool) bool {
	switch {
	case errors.Is(err, ErrDropped):
		w.Logger.Info("messenger: event dropped", "key", ev.Key, "reason", err)
		return true
	case last && ctx.Err() == nil:
		w.Logger.Error("messenger: event skipped after repeated failures", "key", ev.Key, "err", err)
		return true
	}
	return false
}

// sendMessages sends due messages: a person's one after the other, in
// the order queued, and several people at once. The ones Facebook took are
// marked sent together once all are done: one commit instead of one per
// message. It reports whether it sent or retried any.
func (w *Worker) sendMessages(ctx context.Context) bool {
	claimed := time.Now()
	msgs, err := w.Store.ClaimMessages(ctx, w.Lease, w.Senders*4)
	if err != nil {
		w.Logger.Error("messenger: claim messages", "err", err)
		return false
	}
	var people [][]*xerochat.OutboxMessage
	person := map[int64]int{}
	for _, m := range msgs {
		i, ok := person[m.SubscriberID]
		if !ok {
			i = len(people)
			person[m.SubscriberID] = i
			people = append(people, nil)
		}
		people[i] = append(people[i], m)
	}
	sem := make(chan struct{}, w.Senders)
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := map[int64]string{}
	var unsent []*xerochat.OutboxMessage
	for _, queue := range people {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			for i, m := range queue {
				// The messages after one that did not go out wait for it;
				// so do those the lease may no longer cover (another worker
				// could take them over) and those of a worker stopping.
				if i > 0 && (ctx.Err() != nil || time.Since(claimed) > w.Lease/2) {
					giveBack(&mu, &unsent, queue[i:])
					return
				}
				id, ok := w.send(ctx, m)
				if !ok {
					giveBack(&mu, &unsent, queue[i+1:])
					return
				}
				mu.Lock()
				sent[m.ID] = id
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	store := context.WithoutCancel(ctx)
	if err := w.Store.MessagesSent(store, sent); err != nil {
		w.Logger.Error("messenger: record sent messages", "messages", len(sent), "err", err)
	}
	if err := w.Store.ReleaseMessages(store, unsent); err != nil {
		// They come back when their lease runs out.
		w.Logger.Error("messenger: give back unsent messages", "messages", len(unsent), "err", err)
	}
	return len(msgs) > 0
}

// giveBack adds msgs to the messages to give back unsent, under mu.
func giveBack(mu *sync.Mutex, unsent *[]*xerochat.OutboxMessage, msgs []*xerochat.OutboxMessage) {
	mu.Lock()
	defer mu.Unlock()
	*unsent = append(*unsent, msgs...)
}

// send sends one message. When Facebook took it, it returns the id
// Facebook gave it, for the caller to record; any other outcome it records
// itself.
func (w *Worker) send(ctx context.Context, m *xerochat.OutboxMessage) (messageID string, ok bool) {
	// Once started, a send completes even if the worker is stopping:
	// cancelling it after Facebook took the message would send it again
	// after a restart. Close waits for it.
	store := context.WithoutCancel(ctx)
	sendCtx, cancel := context.WithTimeout(store, sendTimeout)
	defer cancel()
	id, err := w.Facebook.SendMessage(sendCtx, m.PageToken, m.PSID, m.Message)
	msg := xerochat.ErrorMessage(err)
	kind := xerochat.FacebookErrorKind(err)
	switch {
	case err == nil:
		return id, true
	case kind == xerochat.FacebookInvalidToken:
		// Nothing will go out on this page until it is connected again.
		w.Logger.Warn("messenger: page token refused", "page", m.PageRef, "err", err)
		err = errors.Join(w.Store.SetPageError(store, m.PageRef, msg), w.Store.MessageFailed(store, m.ID, msg))
	case kind == xerochat.FacebookOutsideWindow:
		err = errors.Join(w.Store.SetSubscriberError(store, m.SubscriberID, msg), w.Store.MessageFailed(store, m.ID, msg))
	case (kind == xerochat.FacebookRateLimited || kind == xerochat.FacebookUnreachable || kind == "") && m.Attempts < maxSendAttempts:
		// Throttled, or Facebook unreachable: try again later, backing off.
		at := time.Now().Add(backoff(m.Attempts))
		w.Logger.Warn("messenger: send postponed", "message", m.ID, "attempt", m.Attempts, "retry_at", at, "err", err)
		err = w.Store.RetryMessage(store, m.ID, at, msg)
	default:
		w.Logger.Warn("messenger: send failed", "message", m.ID, "err", err)
		err = errors.Join(w.Store.SetSubscriberError(store, m.SubscriberID, msg), w.Store.MessageFailed(store, m.ID, msg))
	}
	if err != nil {
		w.Logger.Error("messenger: record send outcome", "message", m.ID, "err", err)
	}
	return "", false
}

// backoff doubles from one second up to five minutes.
func backoff(attempt int) time.Duration {
	d := time.Second << min(max(attempt-1, 0), 9)
	return min(d, 5*time.Minute)
}

// fetchProfiles fills in new subscribers' names from Graph. A failed fetch
// keeps the subscriber and tries again later.
func (w *Worker) fetchProfiles(ctx context.Context) bool {
	jobs, err := w.Store.ClaimProfiles(ctx, w.Lease, 10)
	if err != nil {
		w.Logger.Error("messenger: claim profiles", "err", err)
		return false
	}
	store := context.WithoutCancel(ctx)
	for _, j := range jobs {
		p, err := w.Facebook.UserProfile(ctx, j.PageToken, j.PSID)
		if err != nil {
			w.Logger.Warn("messenger: profile fetch failed, will retry", "subscriber", j.SubscriberID, "err", err)
			if err := w.Store.RetryProfile(store, j.SubscriberID, time.Now().Add(backoff(j.Attempts))); err != nil {
				w.Logger.Error("messenger: schedule profile retry", "err", err)
			}
			continue
		}
		if err := w.Store.SaveProfile(store, j.SubscriberID, *p); err != nil {
			w.Logger.Error("messenger: save profile", "err", err)
		}
	}
	return len(jobs) > 0
}
