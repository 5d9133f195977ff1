package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Bounds of one group commit. A group takes the writes waiting when it
// starts and those that arrive while it runs, up to these bounds, then
// commits; other processes' writers get the lock between groups (see
// committer.yield), so the bound on a group's time is also what they wait.
const (
	groupMaxWrites = 512
	groupMaxHold   = 10 * time.Millisecond
	// lockWait is how long a writer waits for the write lock held by other
	// processes before giving up, as SQLite's busy timeout did before.
	lockWait = 10 * time.Second
)

// errClosed answers writes that arrive after Close.
var errClosed = errors.New("sqlstore: database is closed")

// committer runs every write transaction of a SQLite database, one group
// at a time: the writes waiting at that moment share one transaction and
// one sync of the log, each inside a savepoint of its own, so that one
// failing write is rolled back alone while the others commit. With
// synchronous=FULL a commit costs a sync of the disk; shared, it is paid
// once per group instead of once per write.
type committer struct {
	db    *DB
	pool  *sql.DB // the write pool: one connection
	jobs  chan *job
	quit  chan struct{}
	done  chan struct{}
	turns *os.File // the database's lock file, to take turns with other processes

	maxWrites int           // groupMaxWrites; tests may change it before use
	maxHold   time.Duration // groupMaxHold; likewise
	queued    atomic.Int64  // writes handed to do so far
	// onGroup, if set, is told each group's size and how many of its
	// writes failed, for tests that must know what shared a transaction.
	onGroup func(writes, failed int)
}

// job is one write transaction waiting for its group.
type job struct {
	ctx context.Context
	fn  func(c conn) error
	out chan error
}

func newCommitter(db *DB, pool *sql.DB, path string) (*committer, error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	g := &committer{db: db, pool: pool, jobs: make(chan *job), quit: make(chan struct{}), done: make(chan struct{}), turns: f,
		maxWrites: groupMaxWrites, maxHold: groupMaxHold}
	go g.loop()
	return g, nil
}

// do runs fn in the next group and returns its own outcome. Once handed
// over, a write is waited for even if ctx ends, so that its caller never
// takes a committed write for a failed one; the group checks ctx before
// running it.
func (g *committer) do(ctx context.Context, fn func(c conn) error) error {
	j := &job{ctx: ctx, fn: fn, out: make(chan error, 1)}
	g.queued.Add(1)
	select {
	case g.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return errClosed
	}
	return <-j.out
}

// close runs the writes already handed over and stops the committer.
func (g *committer) close() {
	close(g.quit)
	<-g.done
	g.turns.Close()
}

func (g *committer) loop() {
	defer close(g.done)
	for {
		var first *job
		select {
		case first = <-g.jobs:
		case <-g.quit:
			return
		}
		g.run(first)
		g.yield()
	}
}

// run runs one group, starting with first, and answers each of its jobs.
func (g *committer) run(first *job) {
	tx, err := g.begin()
	if err != nil {
		first.out <- err
		return
	}
	group := []*job{first}
	errs := []error{nil}
	start := time.Now()
	var txErr error
	for i := 0; ; i++ {
		if errs[i], txErr = g.runOne(tx, group[i]); txErr != nil {
			break
		}
		if len(group) == g.maxWrites || time.Since(start) > g.maxHold {
			break
		}
		next, ok := g.waiting()
		if !ok {
			break
		}
		group, errs = append(group, next), append(errs, nil)
	}
	if txErr == nil {
		if err := tx.Commit(); err != nil {
			txErr = fmt.Errorf("commit: %w", err)
		}
	} else {
		_ = tx.Rollback()
	}
	if g.onGroup != nil {
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
			}
		}
		g.onGroup(len(group), failed)
	}
	for i, j := range group {
		switch {
		case txErr == nil || errs[i] != nil:
			// Committed, or failed on its own: the outcome is final.
		case len(group) == 1:
			errs[i] = txErr
		default:
			// The transaction was lost as a whole (SQLite rolls back all of
			// it on some errors, such as an interrupted statement): a write
			// that had not failed runs again, in a transaction of its own.
			errs[i] = g.solo(j)
		}
		j.out <- errs[i]
	}
}

// waiting returns a write waiting to be run, if there is one.
func (g *committer) waiting() (*job, bool) {
	select {
	case j := <-g.jobs:
		return j, true
	default:
		return nil, false
	}
}

// runOne runs j inside a savepoint of tx and returns j's outcome, and
// txErr if tx itself failed, so that nothing of it may commit.
func (g *committer) runOne(tx *sql.Tx, j *job) (err, txErr error) {
	if err := j.ctx.Err(); err != nil {
		return err, nil
	}
	if _, err := tx.Exec(`SAVEPOINT write`); err != nil {
		return nil, err
	}
	err = j.fn(conn{q: tx, pool: g.pool, tx: tx, db: g.db})
	if err != nil {
		if _, rerr := tx.Exec(`ROLLBACK TO SAVEPOINT write`); rerr != nil {
			return err, rerr
		}
	}
	if _, rerr := tx.Exec(`RELEASE SAVEPOINT write`); rerr != nil {
		return err, rerr
	}
	return err, nil
}

// solo runs j in a transaction of its own.
func (g *committer) solo(j *job) error {
	if err := j.ctx.Err(); err != nil {
		return err
	}
	tx, err := g.begin()
	if err != nil {
		return err
	}
	if err := j.fn(conn{q: tx, pool: g.pool, tx: tx, db: g.db}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// begin starts a write transaction, which on SQLite takes the write lock.
// While another process holds the lock, the writer says so through a
// shared lock on the lock file (see yield) and retries until lockWait.
func (g *committer) begin() (*sql.Tx, error) {
	tx, err := g.pool.BeginTx(context.Background(), nil)
	if err == nil || !isBusy(err) {
		return tx, wrapBegin(err)
	}
	if err := flock(g.turns, lockShared); err != nil {
		return nil, err
	}
	defer flock(g.turns, lockNone)
	deadline := time.Now().Add(lockWait)
	for {
		tx, err = g.pool.BeginTx(context.Background(), nil)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return tx, wrapBegin(err)
		}
		time.Sleep(time.Millisecond)
	}
}

func wrapBegin(err error) error {
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return nil
}

// yield lets other processes write between two groups. A writer of
// another process that finds the lock taken holds a shared lock on the
// lock file until it has the write lock; so does a process opening the
// database. If any does, the committer waits for it (an exclusive lock
// is granted once they have all let go), instead of taking the write lock
// again at once: otherwise a busy server would starve a CLI command on the
// same file, which retries only every few milliseconds.
func (g *committer) yield() {
	if err := flock(g.turns, lockExclusive|lockNonBlocking); err == nil {
		_ = flock(g.turns, lockNone)
		return
	}
	if err := flock(g.turns, lockExclusive); err == nil {
		_ = flock(g.turns, lockNone)
	}
}

// isBusy reports whether err says another connection holds the lock.
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}
