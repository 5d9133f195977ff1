package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// Prune deletes processed batches, event keys and finished messages older
// than the cutoff, in chunks, and never pending work or younger rows.
func TestPrune(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.Open(t)
	now := time.Now().Unix()
	old, young := now-30*86400, now-3600
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, rebind(db, q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO users (name, email, email_key, password_hash, user_type, status, add_date, package_id)
		VALUES ('U', 'u@example.com', 'u@example.com', 'x', 'Member', 1, 0, 1)`)
	exec(`INSERT INTO pages (user_id, page_id, name, access_token, bot_enabled, created_at) VALUES (1, '111', 'P', 't', 1, 0)`)
	exec(`INSERT INTO subscribers (user_id, page_ref, psid, subscribed_at, last_interaction_at) VALUES (1, 1, '222', 0, 0)`)
	// 1,200 old processed batches and event keys: more than one chunk.
	for i := range 1200 {
		exec(`INSERT INTO webhook_batches (body, received_at, done_at) VALUES ('{}', ?, ?)`, old, old)
		exec(`INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)`, fmt.Sprint("old-", i), old)
	}
	exec(`INSERT INTO webhook_batches (body, received_at, done_at) VALUES ('{}', ?, 0)`, old)          // pending: kept
	exec(`INSERT INTO webhook_batches (body, received_at, done_at) VALUES ('{}', ?, ?)`, young, young) // young: kept
	exec(`INSERT INTO processed_events (event_key, processed_at) VALUES ('young', ?)`, young)
	for _, state := range []string{"sent", "failed", "pending"} {
		exec(`INSERT INTO outbox (page_ref, subscriber_id, message, state, run_at, created_at) VALUES (1, 1, '{}', ?, ?, ?)`, state, old, old)
	}
	exec(`INSERT INTO outbox (page_ref, subscriber_id, message, state, run_at, created_at) VALUES (1, 1, '{}', 'sent', ?, ?)`, young, young)

	batches, events, messages, err := db.Prune(ctx, time.Unix(now-14*86400, 0))
	if err != nil {
		t.Fatal(err)
	}
	if batches != 1200 || events != 1200 || messages != 2 {
		t.Fatalf("pruned %d batches, %d event keys, %d messages; want 1200, 1200, 2", batches, events, messages)
	}
	count := func(q string) (n int) {
		t.Helper()
		if err := db.SQL().QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM webhook_batches`); n != 2 {
		t.Errorf("%d batches left, want the pending and the young one", n)
	}
	if n := count(`SELECT COUNT(*) FROM processed_events`); n != 1 {
		t.Errorf("%d event keys left, want the young one", n)
	}
	if n := count(`SELECT COUNT(*) FROM outbox WHERE state = 'pending'`); n != 1 {
		t.Errorf("pending messages were pruned")
	}
	if n := count(`SELECT COUNT(*) FROM outbox`); n != 2 {
		t.Errorf("%d messages left, want the pending and the young one", n)
	}
	if b, e, m, err := db.Prune(ctx, time.Unix(now-14*86400, 0)); err != nil || b+e+m != 0 {
		t.Errorf("pruning again deleted %d, %d, %d (%v)", b, e, m, err)
	}
}

// rebind turns '?' placeholders into PostgreSQL's '$n' for raw test SQL.
func rebind(db *sqlstore.DB, q string) string {
	if db.Dialect() != sqlstore.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// insertSubscriber stores a subscriber with its profile fetched, the way a
// webhook event and a profile fetch would leave it, for tests of the store
// that need many of them fast.
func insertSubscriber(t *testing.T, db *sqlstore.DB, userID, pageRef int64, psid, first string) *xerochat.Subscriber {
	t.Helper()
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, rebind(db, `INSERT INTO subscribers (user_id, page_ref, psid, first_name, full_name,
		subscribed_at, last_interaction_at, profile_fetched) VALUES (?, ?, ?, ?, ?, 1700000000, 1700000000, 1)`),
		userID, pageRef, psid, first, first); err != nil {
		t.Fatal(err)
	}
	s, err := db.FindSubscriber(ctx, userID, psid, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
