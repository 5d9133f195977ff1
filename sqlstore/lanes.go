package sqlstore

import (
	"context"
	"time"

	"github.com/xerochat/xerochat"
)

// StoreBatch keeps a webhook body until it is processed, in its lane.
func (db *DB) StoreBatch(ctx context.Context, lane string, body []byte) (int64, error) {
	return db.write().insert(ctx, `INSERT INTO webhook_batches (lane, body, received_at) VALUES (?, ?, ?)`,
		lane, string(body), db.now())
}

// claimBatchSQL is ClaimBatch's statement in each dialect.
var claimBatchSQL = map[Dialect]string{SQLite: claimBatchQuery(SQLite), Postgres: claimBatchQuery(Postgres)}

func claimBatchQuery(dialect Dialect) string {
	// lanes steps through the lanes with work waiting, one probe each in
	// webhook_batches_heads; heads takes each lane's oldest batch. Of the
	// heads not leased, the oldest is locked and leased. On PostgreSQL a
	// concurrent claimer skips a head being taken (SKIP LOCKED) rather than
	// wait for it, and the UPDATE checks the head again once it holds the
	// row, so two claimers never both take it; a lane's later batches are
	// never candidates. One statement: on PostgreSQL it commits on its own,
	// one round trip.
	among, recheck, lock := "b.id IN (SELECT id FROM heads)", "", ""
	if dialect == Postgres {
		// Read by id from the few heads: as a join, PostgreSQL may merge
		// them with every batch ever kept, in id order.
		among = "b.id = ANY(ARRAY(SELECT id FROM heads))"
		// A head done since the statement began fails this check once
		// locked, and the claimer takes the next. (On SQLite no claim runs
		// beside another, and the check would lead it to read b by index
		// instead of by id.)
		recheck, lock = " AND b.done_at = 0", " FOR UPDATE OF b SKIP LOCKED"
	}
	return `UPDATE webhook_batches SET locked_until = ?, attempts = attempts + 1
		WHERE id = (
			WITH RECURSIVE lanes (lane) AS (
				SELECT (SELECT lane FROM webhook_batches WHERE done_at = 0 ORDER BY lane LIMIT 1)
				UNION ALL
				SELECT (SELECT e.lane FROM webhook_batches e WHERE e.done_at = 0 AND e.lane > l.lane ORDER BY e.lane LIMIT 1)
				FROM lanes l WHERE l.lane IS NOT NULL),
			heads (id) AS MATERIALIZED (
				SELECT (SELECT h.id FROM webhook_batches h WHERE h.done_at = 0 AND h.lane = l.lane ORDER BY h.id LIMIT 1)
				FROM lanes l WHERE l.lane IS NOT NULL)
			SELECT b.id FROM webhook_batches b
			WHERE ` + among + ` AND b.locked_until <= ?` + recheck + `
			ORDER BY b.id LIMIT 1` + lock + `)
		AND done_at = 0 AND locked_until <= ?
		RETURNING id, body, attempts`
}

// ClaimBatch leases the oldest unprocessed batch that heads its lane, for
// lease. Each lane is processed one batch at a time, in the order received,
// across all processes: a batch is handed out only once every earlier batch
// of its lane is done, and never while another of its lane is leased. The
// lanes go side by side. It returns nil when there is nothing to do now.
func (db *DB) ClaimBatch(ctx context.Context, lease time.Duration) (*xerochat.WebhookBatch, error) {
	claim := claimBatchSQL[db.dialect]
	var b *xerochat.WebhookBatch
	run := func(c conn) error {
		now := db.now()
		var got xerochat.WebhookBatch
		var text string
		err := c.queryRow(ctx, claim, now+leaseSeconds(lease), now, now).Scan(&got.ID, &text, &got.Attempts)
		if isNoRows(err) {
			return nil
		} else if err != nil {
			return err
		}
		got.Body = []byte(text)
		b = &got
		return nil
	}
	var err error
	if db.group == nil {
		err = run(conn{q: db.wsql, pool: db.wsql, db: db})
	} else {
		// SQLite: a write that returns rows runs in the group commit.
		err = db.inTx(ctx, run)
	}
	return b, err
}

// leaseSeconds is what to add to db.now() for a lease or delay of d. Times
// are kept in whole seconds and the current one has partly gone by, so a
// second more makes a lease last at least d: a lease that ended early would
// let another worker take over work still in hand, and send a message twice.
func leaseSeconds(d time.Duration) int64 { return max(1, int64(d.Round(time.Second)/time.Second)) + 1 }

// FailBatch records why a batch could not be processed and frees the lane
// for a retry after delay.
func (db *DB) FailBatch(ctx context.Context, id int64, cause error, delay time.Duration) error {
	_, err := db.write().exec(ctx, `UPDATE webhook_batches SET last_error = ?, locked_until = ? WHERE id = ?`,
		cause.Error(), db.now()+leaseSeconds(delay), id)
	return err
}

// Backlog counts the work not yet done: unprocessed batches, unsent
// messages and subscribers whose profile was never asked of Facebook (a
// profile that failed is retried, but no longer holds the subscriber back).
func (db *DB) Backlog(ctx context.Context) (batches, messages, profiles int, err error) {
	err = db.read().queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0),
		(SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
		(SELECT COUNT(*) FROM subscribers WHERE profile_fetched = ?)`, profilePending).Scan(&batches, &messages, &profiles)
	return
}
