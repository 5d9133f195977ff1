package sqlstore

import (
	"context"
	"time"
)

// pruneChunk bounds one delete, so that pruning a large backlog holds the
// write lock (SQLite) or row locks (PostgreSQL) only briefly at a time.
const pruneChunk = 1000

// Prune deletes what the Messenger side keeps only for a while: batches
// processed before cutoff, keys of events processed before cutoff (a
// re-delivery older than that is no longer recognized, so the retention must
// outlast Facebook's retries by far), and outbox messages created before
// cutoff that were sent or failed for good. Pending work is never deleted.
// It returns how many of each it deleted.
func (db *DB) Prune(ctx context.Context, cutoff time.Time) (batches, events, messages int64, err error) {
	before := cutoff.Unix()
	for _, step := range []struct {
		count *int64
		query string
	}{
		{&batches, `DELETE FROM webhook_batches WHERE id IN (SELECT id FROM webhook_batches
			WHERE done_at > 0 AND done_at < ? LIMIT ?)`},
		{&events, `DELETE FROM processed_events WHERE event_key IN (SELECT event_key FROM processed_events
			WHERE processed_at < ? LIMIT ?)`},
		{&messages, `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
			WHERE state <> 'pending' AND created_at < ? LIMIT ?)`},
	} {
		for ctx.Err() == nil {
			res, err := db.write().exec(ctx, step.query, before, pruneChunk)
			if err != nil {
				return batches, events, messages, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return batches, events, messages, err
			}
			*step.count += n
			if n < pruneChunk {
				break
			}
		}
	}
	return batches, events, messages, ctx.Err()
}
