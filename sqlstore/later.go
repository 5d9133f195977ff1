package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// laterWrites holds writes of a transaction whose outcome nobody reads
// (queue a message, move a flow session, store an answer) until the
// transaction's next statement, and sends them to PostgreSQL in the same
// round trip: a pipeline of prepared statements, run in order, each seeing
// the ones before it. On the one ordered lane of a page every round trip
// counts. Nothing reads a row before the writes queued before it are sent,
// so the transaction sees what it would have seen without.
//
// A write that fails is reported by the statement it went with, not by
// its own call: only InBatch's first run, which starts over with a
// savepoint per event on any error, queues writes.
type laterWrites struct {
	on    *sql.Conn // the connection the transaction runs on
	batch pgx.Batch
}

// inQueuedTx runs fn in a transaction whose writes queue, on PostgreSQL;
// elsewhere it is inTx (SQLite's statements are calls in the process).
// Even BEGIN waits in the queue for fn's first statement, and COMMIT goes
// with the writes still queued when fn returns: the transaction costs no
// round trip of its own. The error of one of those last writes, or of
// COMMIT, is the error returned.
//
// database/sql does not know of this transaction: it runs on a connection
// held for it, which goes back to the pool rolled back if need be.
func (db *DB) inQueuedTx(ctx context.Context, fn func(c conn) error) error {
	if db.dialect != Postgres {
		return db.inTx(ctx, fn)
	}
	on, err := db.wsql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer on.Close()
	c := conn{q: on, pool: db.wsql, db: db, later: &laterWrites{on: on}}
	c.later.batch.Queue("BEGIN")
	err = fn(c)
	if err == nil {
		c.later.batch.Queue("COMMIT")
		err = c.later.send(ctx, nil)
	}
	leaveTx(context.WithoutCancel(ctx), on)
	return err
}

// leaveTx rolls back what on still has open, so that it goes back to the
// pool ready for the next transaction: pgx's database/sql driver would
// close a connection left in one, and the pool open a new one.
func leaveTx(ctx context.Context, on *sql.Conn) {
	_ = on.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		if pc.PgConn().TxStatus() != 'I' {
			_, _ = pc.Exec(ctx, "ROLLBACK")
		}
		return nil
	})
}

func (l *laterWrites) empty() bool { return l == nil || l.batch.Len() == 0 }

// execLater runs a write whose result the caller does not need: at once,
// or, in a transaction that queues writes, with the next statement.
func (c conn) execLater(ctx context.Context, query string, args ...any) error {
	if c.later == nil {
		_, err := c.exec(ctx, query, args...)
		return err
	}
	c.traced(query, args)
	c.later.batch.Queue(c.db.bind(query), args...)
	return nil
}

// send runs the queued writes and then last, if any, in one round trip on
// the transaction's connection, emptying the queue. The first error is
// returned; after it PostgreSQL refuses the rest of the transaction.
// last reads the results of its own statement, the last queued.
func (l *laterWrites) send(ctx context.Context, last func(pgx.BatchResults) error) error {
	writes := l.batch.Len()
	if last != nil {
		writes--
	}
	b := l.batch
	l.batch = pgx.Batch{}
	return l.on.Raw(func(driverConn any) error {
		results := driverConn.(*stdlib.Conn).Conn().SendBatch(ctx, &b)
		var err error
		for range writes {
			if _, werr := results.Exec(); err == nil {
				err = werr
			}
		}
		if last != nil && err == nil {
			err = last(results)
		}
		if cerr := results.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// execWithLater runs query after the queued writes, in one round trip. The
// result is query's own.
func (c conn) execWithLater(ctx context.Context, query string, args []any) (sql.Result, error) {
	c.later.batch.Queue(c.db.bind(query), args...)
	var tag pgconn.CommandTag
	err := c.later.send(ctx, func(r pgx.BatchResults) error {
		var err error
		tag, err = r.Exec()
		return err
	})
	return tagResult(tag), err
}

// tagResult is a pipelined statement's outcome as a sql.Result.
type tagResult pgconn.CommandTag

func (r tagResult) LastInsertId() (int64, error) {
	return 0, errors.New("sqlstore: no last insert id on PostgreSQL")
}
func (r tagResult) RowsAffected() (int64, error) { return pgconn.CommandTag(r).RowsAffected(), nil }

// flushLater sends the queued writes before a statement that reads rows
// (one row's read takes them along, see laterRow). If one fails,
// PostgreSQL refuses the rest of the transaction, so the read fails too
// even where its caller cannot be told of this error.
func (c conn) flushLater(ctx context.Context) error {
	if c.later.empty() {
		return nil
	}
	return c.later.send(ctx, nil)
}

// laterRow is a row read after the queued writes, in the same round trip
// (the read sees them), when Scan is called.
type laterRow struct {
	c     conn
	ctx   context.Context
	query string
	args  []any
}

func (r laterRow) Scan(dest ...any) error {
	r.c.later.batch.Queue(r.c.db.bind(r.query), r.args...)
	// pgx's ErrNoRows is also sql.ErrNoRows.
	return r.c.later.send(r.ctx, func(res pgx.BatchResults) error { return res.QueryRow().Scan(dest...) })
}
