package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// laterWrites holds writes of a transaction whose outcome nobody reads
// (queue a message, move a flow session, store an answer) until the
// transaction's next statement, and sends them to PostgreSQL in the same
// round trip: one message of several statements, run in order, each
// seeing the ones before it. On the one ordered lane of a page every round
// trip counts. Nothing reads a row before the writes queued before it
// are sent, so the transaction sees what it would have seen without.
//
// A write that fails is reported by the statement it went with, not by
// its own call: only InBatch's first run, which starts over with a
// savepoint per event on any error, queues writes.
type laterWrites struct {
	sql  strings.Builder
	args []any
}

// renumber rewrites query's ? placeholders as PostgreSQL's $n, the first
// being $from+1.
func renumber(b *strings.Builder, query string, from int) {
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		from++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from))
	}
}

// queueing returns c queueing its writes for the next statement, where the
// database makes it worth it: PostgreSQL, a round trip per statement.
// SQLite's statements are calls in the process.
func (c conn) queueing() conn {
	if c.db.dialect == Postgres {
		c.later = &laterWrites{}
	}
	return c
}

func (l *laterWrites) add(query string, args []any) {
	renumber(&l.sql, query, len(l.args))
	l.sql.WriteString(";\n")
	l.args = append(l.args, args...)
}

// execLater runs a write whose result the caller does not need: at once,
// or, in a transaction that queues writes, with the next statement.
func (c conn) execLater(ctx context.Context, query string, args ...any) error {
	if c.later == nil {
		_, err := c.exec(ctx, query, args...)
		return err
	}
	c.traced(query, args)
	c.later.add(query, args)
	return nil
}

// take empties the queue into one text and its arguments, led by the
// flag that makes pgx send them with the simple protocol (it quotes the
// arguments into the text; the extended protocol takes one statement at
// a time).
func (l *laterWrites) take() (string, []any) {
	text := strings.TrimSuffix(l.sql.String(), ";\n")
	args := append([]any{pgx.QueryExecModeSimpleProtocol}, l.args...)
	l.sql.Reset()
	l.args = nil
	return text, args
}

// execWithLater runs query after the queued writes, in one message. The
// result is query's own.
func (c conn) execWithLater(ctx context.Context, query string, args []any) (sql.Result, error) {
	c.later.add(query, args)
	text, all := c.later.take()
	return c.q.ExecContext(ctx, text, all...)
}

// flushLater sends the queued writes before a statement that reads. If
// one fails, PostgreSQL refuses the rest of the transaction, so the read
// fails too even where its caller cannot be told of this error.
func (c conn) flushLater(ctx context.Context) error {
	if c.later == nil || c.later.sql.Len() == 0 {
		return nil
	}
	text, all := c.later.take()
	_, err := c.q.ExecContext(ctx, text, all...)
	return err
}
