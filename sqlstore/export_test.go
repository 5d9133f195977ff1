package sqlstore

import "context"

// SetTrace makes db report every statement it runs to f, for the plan test.
func SetTrace(db *DB, f func(query string, args []any)) { db.trace = f }

// Bind rewrites a traced statement's placeholders for db's dialect.
func Bind(db *DB, query string) string { return db.bind(query) }

// InLaterTx runs fn in a transaction that queues writes where InBatch's
// first run does (PostgreSQL), handing it the transaction's execLater and
// queryRow.
func InLaterTx(ctx context.Context, db *DB, fn func(later func(query string, args ...any) error,
	read func(query string, args ...any) interface{ Scan(...any) error }) error) error {
	return db.inQueuedTx(ctx, func(c conn) error {
		return fn(func(query string, args ...any) error { return c.execLater(ctx, query, args...) },
			func(query string, args ...any) interface{ Scan(...any) error } {
				return c.queryRow(ctx, query, args...)
			})
	})
}
