package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// clock is a time the test moves on by hand, so that leases run out
// without waiting for them.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openTwice opens one fresh database twice, as two processes would, both
// on the clock.
func openTwice(t *testing.T, c *clock) (a, b *sqlstore.DB) {
	t.Helper()
	url := sqlstoretest.URL(t)
	open := func() *sqlstore.DB {
		db, err := sqlstore.Open(context.Background(), url, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Now = c.Now
		return db
	}
	return open(), open()
}

// openClocked opens a fresh database on the clock.
func openClocked(t *testing.T, c *clock) *sqlstore.DB {
	t.Helper()
	db := sqlstoretest.Open(t)
	db.Now = c.Now
	return db
}

// connectPage stores a member with a bot-enabled page.
func connectPage(t *testing.T, db *sqlstore.DB, pageID string) *xerochat.Page {
	t.Helper()
	uid := newMember(t, db, "member-"+pageID+"@example.com")
	page, err := db.ConnectPage(context.Background(), &xerochat.Page{UserID: uid, PageID: pageID, Name: "Page " + pageID,
		AccessToken: "token-" + pageID, BotEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// storeBatch keeps a webhook body and returns its id.
func storeBatch(t *testing.T, db *sqlstore.DB, body string) int64 {
	t.Helper()
	id, err := db.StoreBatch(context.Background(), "", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// inBatch runs fn in the transaction of a new batch, as the worker does.
func inBatch(t *testing.T, db *sqlstore.DB, fn func(xerochat.BatchTx) error) error {
	t.Helper()
	return db.InBatch(context.Background(), storeBatch(t, db, `{}`), fn)
}

// claim claims the next batch, failing the test on an error.
func claim(t *testing.T, db *sqlstore.DB, lease time.Duration) *xerochat.WebhookBatch {
	t.Helper()
	b, err := db.ClaimBatch(context.Background(), lease)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expectClaim fails unless the next claim gives batch id on its attempt.
func expectClaim(t *testing.T, db *sqlstore.DB, lease time.Duration, id int64, attempts int, body string) {
	t.Helper()
	b := claim(t, db, lease)
	switch {
	case b == nil:
		t.Fatalf("no batch claimed, want batch %d", id)
	case b.ID != id || b.Attempts != attempts || string(b.Body) != body:
		t.Fatalf("claimed batch %d (attempt %d, body %s), want %d (attempt %d, body %s)", b.ID, b.Attempts, b.Body, id, attempts, body)
	}
}

// expectNoClaim fails if a batch can be claimed now.
func expectNoClaim(t *testing.T, db *sqlstore.DB, why string) {
	t.Helper()
	if b := claim(t, db, time.Minute); b != nil {
		t.Fatalf("claimed batch %d (attempt %d), want none: %s", b.ID, b.Attempts, why)
	}
}

// done marks a claimed batch processed, with no event.
func done(t *testing.T, db *sqlstore.DB, id int64) {
	t.Helper()
	if err := db.InBatch(context.Background(), id, func(xerochat.BatchTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestClaimBatchOneLane: two processes on one database share one lane:
// batches come in the order received, never two at once, and a lease that
// runs out (its worker crashed) is taken over.
func TestClaimBatchOneLane(t *testing.T) {
	t.Parallel()
	c := newClock()
	a, b := openTwice(t, c)
	var ids []int64
	for i := range 3 {
		ids = append(ids, storeBatch(t, a, fmt.Sprintf(`{"n":%d}`, i)))
	}
	const lease = 30 * time.Second

	expectClaim(t, a, lease, ids[0], 1, `{"n":0}`)
	expectNoClaim(t, b, "another process holds the lane")
	expectNoClaim(t, a, "the same process holds the lane")
	done(t, a, ids[0])

	expectClaim(t, b, lease, ids[1], 1, `{"n":1}`)
	// b crashes with the lease running.
	c.Add(lease - time.Second)
	expectNoClaim(t, a, "the lease still runs")
	c.Add(2 * time.Second)
	expectClaim(t, a, lease, ids[1], 2, `{"n":1}`)
	expectNoClaim(t, b, "the lease was taken over")
	done(t, a, ids[1])

	expectClaim(t, b, lease, ids[2], 1, `{"n":2}`)
	done(t, b, ids[2])
	expectNoClaim(t, a, "every batch is done")
	if batches, _, _, err := a.Backlog(context.Background()); err != nil || batches != 0 {
		t.Fatalf("backlog: %d batches, %v; want none", batches, err)
	}
}

// TestFailBatch: a failed batch keeps its reason, waits out the delay,
// and is claimed again, its attempts counted, before any later batch.
func TestFailBatch(t *testing.T) {
	t.Parallel()
	c := newClock()
	db := openClocked(t, c)
	first := storeBatch(t, db, `{"n":1}`)
	storeBatch(t, db, `{"n":2}`)
	for attempt := 1; attempt <= 3; attempt++ {
		expectClaim(t, db, time.Minute, first, attempt, `{"n":1}`)
		cause := fmt.Errorf("failure %d", attempt)
		if err := db.FailBatch(context.Background(), first, cause, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		var lastError string
		if err := db.SQL().QueryRow(fmt.Sprintf(`SELECT last_error FROM webhook_batches WHERE id = %d`, first)).Scan(&lastError); err != nil {
			t.Fatal(err)
		}
		if lastError != cause.Error() {
			t.Fatalf("last_error %q, want %q", lastError, cause)
		}
		c.Add(9 * time.Second)
		expectNoClaim(t, db, "the retry delay runs")
		c.Add(2 * time.Second)
	}
	expectClaim(t, db, time.Minute, first, 4, `{"n":1}`)
}

// TestInBatchRollsBack: when fn fails, nothing of the batch commits — no
// event's effects, no event key — and the batch is not done.
func TestInBatchRollsBack(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	page := connectPage(t, db, "880000000000001")
	broken := errors.New("broken")
	id := storeBatch(t, db, `{}`)
	err := db.InBatch(context.Background(), id, func(tx xerochat.BatchTx) error {
		applied, err := tx.ApplyEvent(context.Background(), "m:1", send(page, "2880000000000001", "Hello"))
		if !applied || err != nil {
			t.Errorf("ApplyEvent: %t, %v; want applied", applied, err)
		}
		return broken
	})
	if !errors.Is(err, broken) {
		t.Fatalf("InBatch: %v, want fn's error", err)
	}
	expectRows(t, db, map[string]int{"subscribers": 0, "outbox": 0, "processed_events": 0})
	expectClaim(t, db, time.Minute, id, 1, `{}`)
}

// TestApplyEventExactlyOnce: an event's key is recorded with its effects;
// the same key again, in the same batch or a later one, is not applied,
// and an event whose fn fails leaves neither its key nor its effects,
// while the batch's other events commit.
func TestApplyEventExactlyOnce(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	page := connectPage(t, db, "880000000000002")
	ctx := context.Background()
	broken := errors.New("broken")
	calls := 0
	counted := func(fn func(xerochat.EventTx) error) func(xerochat.EventTx) error {
		return func(etx xerochat.EventTx) error { calls++; return fn(etx) }
	}
	failing := func(etx xerochat.EventTx) error {
		if err := send(page, "2880000000000002", "Lost")(etx); err != nil {
			return err
		}
		return broken
	}
	tests := []struct {
		name    string
		key     string
		fn      func(xerochat.EventTx) error
		applied bool
		err     error
		calls   int // of fn
	}{
		{"a new key", "m:a", send(page, "2880000000000002", "One"), true, nil, 1},
		{"the same key in the same batch", "m:a", send(page, "2880000000000002", "Again"), false, nil, 0},
		{"a failing event", "m:b", failing, false, broken, 1},
		{"another new key after the failure", "m:c", send(page, "2880000000000002", "Two"), true, nil, 1},
	}
	// The batch runs without savepoints until the failing event, which
	// restarts it; the second run has a savepoint per event.
	runs := 0
	err := db.InBatch(ctx, storeBatch(t, db, `{}`), func(tx xerochat.BatchTx) error {
		runs++
		for _, tt := range tests {
			calls = 0
			applied, err := tx.ApplyEvent(ctx, tt.key, counted(tt.fn))
			if errors.Is(err, xerochat.ErrBatchRestart) && runs == 1 && tt.err != nil {
				return err
			}
			if applied != tt.applied || !errors.Is(err, tt.err) || calls != tt.calls {
				t.Errorf("%s: applied %t, %v, fn called %d times; want %t, %v, %d", tt.name, applied, err, calls, tt.applied, tt.err, tt.calls)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("the batch ran %d times; want 2, without savepoints and again with them", runs)
	}
	expectRows(t, db, map[string]int{"outbox": 2, "processed_events": 2})
	expectQueued(t, db, "One", "Two")

	// A later batch: the applied keys are known, the failed one is not.
	// Where keys are queued (PostgreSQL), a known key shows only at a later
	// statement and the batch runs again: the last run's answers count.
	var got []string
	runs = 0
	err = inBatch(t, db, func(tx xerochat.BatchTx) error {
		runs++
		got = nil
		for _, key := range []string{"m:a", "m:c", "m:b"} {
			calls = 0
			applied, err := tx.ApplyEvent(ctx, key, counted(send(page, "2880000000000002", "Again "+key)))
			if errors.Is(err, xerochat.ErrBatchRestart) {
				return err
			}
			got = append(got, fmt.Sprintf("%s: applied %t, %v, fn called %d times", key, applied, err, calls))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"m:a: applied false, <nil>, fn called 0 times", "m:c: applied false, <nil>, fn called 0 times",
		"m:b: applied true, <nil>, fn called 1 times"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("in a later batch (run %d):\n got %q\nwant %q", runs, got, want)
	}
	expectQueued(t, db, "Again m:b")
	expectRows(t, db, map[string]int{"outbox": 3, "processed_events": 3})
}

// send is an event's work: make the person a subscriber of the page and
// queue a text to them.
func send(page *xerochat.Page, psid, text string) func(xerochat.EventTx) error {
	return func(etx xerochat.EventTx) error {
		ctx := context.Background()
		p, err := etx.Page(ctx, page.PageID)
		if err != nil {
			return err
		}
		sid, err := etx.Subscriber(ctx, p, psid, time.Now(), true)
		if err != nil {
			return err
		}
		return etx.Send(ctx, p, sid, xerochat.Outgoing{Text: text})
	}
}

// expectRows fails unless each table has that many rows.
func expectRows(t *testing.T, db *sqlstore.DB, want map[string]int) {
	t.Helper()
	for table, n := range want {
		var got int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%d rows in %s, want %d", got, table, n)
		}
	}
}
