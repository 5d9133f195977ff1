package sqlstore

import (
	"context"
	"errors"

	"github.com/xerochat/xerochat"
)

// InBatch runs fn in one transaction that also marks the batch done: one
// commit per batch, not per event. fn applies the events through the
// xerochat.BatchTx it is given; when it fails, nothing of the batch
// commits, and the batch is retried later. The batch runs first without a
// savepoint per event, and again with them only if an event failed (see
// xerochat.BatchTx).
func (db *DB) InBatch(ctx context.Context, batchID int64, fn func(xerochat.BatchTx) error) error {
	err := db.inBatch(ctx, batchID, fn, false)
	if errors.Is(err, xerochat.ErrBatchRestart) {
		err = db.inBatch(ctx, batchID, fn, true)
	}
	return err
}

func (db *DB) inBatch(ctx context.Context, batchID int64, fn func(xerochat.BatchTx) error, savepoints bool) error {
	run := db.inQueuedTx
	if savepoints {
		run = db.inTx
	}
	queued := false // the batch's last writes go with the commit
	err := run(ctx, func(c conn) error {
		b := batchTx{tx: eventTx{c: c, cache: &batchCache{pages: map[string]*xerochat.Page{}, campaigns: map[int64][]*xerochat.FlowCampaign{},
			sessions: map[int64]*xerochat.FlowSession{}}},
			savepoints: savepoints, failed: new(bool), keys: map[string]bool{}}
		err := fn(b)
		if *b.failed {
			return xerochat.ErrBatchRestart
		}
		if err != nil {
			return err
		}
		queued = c.later != nil
		return c.execLater(ctx, `UPDATE webhook_batches SET done_at = ?, locked_until = 0 WHERE id = ?`, db.now(), batchID)
	})
	if err != nil && queued {
		// The last event's queued writes went with the commit: which of
		// them failed, only a run with savepoints can tell.
		return xerochat.ErrBatchRestart
	}
	return err
}

// batchTx is xerochat.BatchTx inside InBatch's transaction.
type batchTx struct {
	tx         eventTx
	savepoints bool
	failed     *bool           // an event failed in a run without savepoints
	keys       map[string]bool // recorded in this run, where keys are queued
}

// ApplyEvent runs fn in a savepoint that first records the key, so that an
// event whose key is known is skipped and each event's effects commit
// exactly once, together with its key; a failed event is rolled back alone.
// Without savepoints, a failed event fails the whole run.
func (b batchTx) ApplyEvent(ctx context.Context, key string, fn func(xerochat.EventTx) error) (bool, error) {
	if !b.savepoints {
		if *b.failed {
			return false, xerochat.ErrBatchRestart
		}
		applied, err := b.applyOnce(ctx, key, fn)
		if err != nil {
			*b.failed = true
			return false, xerochat.ErrBatchRestart
		}
		return applied, nil
	}
	c := b.tx.c
	if _, err := c.exec(ctx, `SAVEPOINT event`); err != nil {
		return false, err
	}
	applied, err := b.applyOnce(ctx, key, fn)
	if err != nil {
		if _, rerr := c.exec(ctx, `ROLLBACK TO SAVEPOINT event`); rerr != nil {
			return false, rerr
		}
		clear(b.tx.cache.sessions)
		applied = false
	}
	if _, rerr := c.exec(ctx, `RELEASE SAVEPOINT event`); rerr != nil {
		return false, rerr
	}
	return applied, err
}

// applyOnce records the key and runs fn, unless the key was recorded before.
//
// Where writes are queued (InBatch's first run on PostgreSQL), the key is
// taken to be new, which all but a re-delivery's are, and its insert
// queued with the event's writes: no round trip of its own. A key this
// run recorded is known here; one an earlier batch recorded fails the
// insert, and so the run, and the run with savepoints skips the event.
func (b batchTx) applyOnce(ctx context.Context, key string, fn func(xerochat.EventTx) error) (bool, error) {
	c := b.tx.c
	if c.later != nil {
		if b.keys[key] {
			return false, nil
		}
		if err := c.execLater(ctx, `INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)`, key, c.db.now()); err != nil {
			return false, err
		}
		b.keys[key] = true
		return true, fn(b.tx)
	}
	res, err := c.exec(ctx, `INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)
		ON CONFLICT (event_key) DO NOTHING`, key, c.db.now())
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, fn(b.tx)
}
