package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestLaterWritesSeenByReads: writes queued for the next statement are
// sent before any read, in the order they were queued, so a transaction
// reads what it wrote.
func TestLaterWritesSeenByReads(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	err := sqlstore.InLaterTx(ctx, db, func(later func(string, ...any) error, read func(string, ...any) interface{ Scan(...any) error }) error {
		for _, q := range []string{
			`INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)`,
			`UPDATE processed_events SET processed_at = processed_at + 1 WHERE event_key = ? AND processed_at = ?`,
		} {
			if err := later(q, "k:later", 41); err != nil {
				return err
			}
		}
		var at int64
		if err := read(`SELECT processed_at FROM processed_events WHERE event_key = ?`, "k:later").Scan(&at); err != nil {
			t.Errorf("the queued insert was not read back: %v", err)
		} else if at != 42 {
			t.Errorf("read processed_at %d, want 42 (insert, then update, in that order)", at)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQueuedTxLeavesNothingOpen: a transaction whose writes queue and
// that fails, after PostgreSQL refused one of its statements or with its
// statements accepted, leaves its connection to the next transaction
// rolled back: nothing of it is committed later, and the next one works.
func TestQueuedTxLeavesNothingOpen(t *testing.T) {
	t.Parallel()
	url := sqlstoretest.URL(t)
	ctx := context.Background()
	// One connection, so that the next transaction gets the one left.
	db, err := sqlstore.Open(ctx, url, sqlstore.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const insert = `INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)`
	stop := errors.New("stop")
	for _, tt := range []struct {
		name string
		fn   func(later func(string, ...any) error, read func(string, ...any) interface{ Scan(...any) error }) error
	}{
		{"accepted, then given up", func(later func(string, ...any) error, read func(string, ...any) interface{ Scan(...any) error }) error {
			if err := later(insert, "k:abandoned", 1); err != nil {
				return err
			}
			var n int
			if err := read(`SELECT COUNT(*) FROM processed_events`).Scan(&n); err != nil {
				return err
			}
			return stop
		}},
		{"refused", func(later func(string, ...any) error, read func(string, ...any) interface{ Scan(...any) error }) error {
			for _, key := range []string{"k:twice", "k:twice"} {
				if err := later(insert, key, 1); err != nil {
					return err
				}
			}
			var n int
			return read(`SELECT COUNT(*) FROM processed_events`).Scan(&n)
		}},
	} {
		if err := sqlstore.InLaterTx(ctx, db, tt.fn); err == nil {
			t.Fatalf("%s: the transaction did not fail", tt.name)
		}
		key := "k:after " + tt.name
		err := sqlstore.InLaterTx(ctx, db, func(later func(string, ...any) error, _ func(string, ...any) interface{ Scan(...any) error }) error {
			return later(insert, key, 2)
		})
		if err != nil {
			t.Fatalf("the transaction after one %s: %v", tt.name, err)
		}
	}
	// What was committed, read on a connection of another pool.
	check := sqlstoretest.OpenURL(t, url)
	for key, want := range map[string]int{"k:abandoned": 0, "k:twice": 0, "k:after accepted, then given up": 1, "k:after refused": 1} {
		var n int
		err := sqlstore.InLaterTx(ctx, check, func(_ func(string, ...any) error, read func(string, ...any) interface{ Scan(...any) error }) error {
			return read(`SELECT COUNT(*) FROM processed_events WHERE event_key = ?`, key).Scan(&n)
		})
		if err != nil || n != want {
			t.Errorf("%s committed %d times (%v), want %d", key, n, err, want)
		}
	}
}
