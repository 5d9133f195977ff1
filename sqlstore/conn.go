package sqlstore

import (
	"context"
	"database/sql"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries on the pool or inside a transaction, binding
// placeholders for the dialect. Store helpers take a conn so that they
// compose inside one transaction.
type conn struct {
	q    querier
	pool *sql.DB // the pool q runs on, which prepared statements belong to
	tx   *sql.Tx // the transaction, if q is one
	db   *DB
	// grouped marks the conn of single writes on SQLite: each write runs
	// as a transaction of its own in the next group commit, and reads on
	// it (a write's read-back) go to the read pool, after the write.
	grouped bool
	// later, when set, queues writes for the next statement (see
	// laterWrites); PostgreSQL only.
	later *laterWrites
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if c.grouped {
		var res sql.Result
		err := c.db.inTx(ctx, func(tx conn) error {
			var err error
			res, err = tx.exec(ctx, query, args...)
			return err
		})
		return res, err
	}
	c.traced(query, args)
	if !c.later.empty() {
		return c.execWithLater(ctx, query, args)
	}
	query = c.db.bind(query)
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if c.grouped {
		return c.db.read().query(ctx, query, args...)
	}
	if err := c.flushLater(ctx); err != nil {
		return nil, err
	}
	c.traced(query, args)
	query = c.db.bind(query)
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, query, args...)
}

// row is one row of a query, to scan.
type row interface{ Scan(dest ...any) error }

func (c conn) queryRow(ctx context.Context, query string, args ...any) row {
	if c.grouped {
		return c.db.read().queryRow(ctx, query, args...)
	}
	c.traced(query, args)
	if !c.later.empty() {
		return laterRow{c, ctx, query, args}
	}
	query = c.db.bind(query)
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

func (c conn) traced(query string, args []any) {
	if c.db.trace != nil {
		c.db.trace(query, args)
	}
}

// maxCachedQuery keeps one-off giant statements (db copy's multi-row
// inserts) out of the statement cache.
const maxCachedQuery = 2048

// stmt returns query prepared on c's pool, bound to c's transaction if
// any, or nil where statements are not cached. SQLite spends a third of a
// short query's time parsing it, and database/sql prepares every statement
// anew, so xerochat keeps them prepared. PostgreSQL needs no cache here:
// pgx keeps its own per connection.
func (c conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.db.dialect != SQLite || c.pool == nil || len(query) > maxCachedQuery {
		return nil
	}
	key := stmtKey{c.pool, query}
	v, ok := c.db.stmts.Load(key)
	if !ok && c.tx != nil {
		// The transaction holds the write pool's only connection, so the
		// statement cannot be prepared on the pool now: it runs unprepared
		// this once and is prepared as soon as the connection is free.
		if _, pending := c.db.preparing.LoadOrStore(key, true); !pending {
			go c.db.prepare(key)
		}
		return nil
	}
	if !ok {
		if v = c.db.prepare(key); v == nil {
			return nil // the unprepared path reports the error
		}
	}
	if c.tx != nil {
		return c.tx.StmtContext(ctx, v.(*sql.Stmt))
	}
	return v.(*sql.Stmt)
}

// prepare prepares key's query on its pool and caches it; nil on failure.
func (db *DB) prepare(key stmtKey) any {
	st, err := key.pool.PrepareContext(context.Background(), key.query)
	if err != nil {
		return nil
	}
	v, loaded := db.stmts.LoadOrStore(key, st)
	if loaded {
		st.Close()
	}
	return v
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

// insert runs an INSERT ... RETURNING id and returns the id.
func (c conn) insert(ctx context.Context, query string, args ...any) (int64, error) {
	if c.grouped {
		var id int64
		err := c.db.inTx(ctx, func(tx conn) error {
			var err error
			id, err = tx.insert(ctx, query, args...)
			return err
		})
		return id, err
	}
	var id int64
	err := c.queryRow(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// read is a conn on the pool, for single statements that only read.
func (db *DB) read() conn { return conn{q: db.sql, pool: db.sql, db: db} }

// write is a conn for single statements that write.
func (db *DB) write() conn {
	return conn{q: db.wsql, pool: db.wsql, db: db, grouped: db.group != nil}
}
