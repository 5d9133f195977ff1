package sqlstore_test

import (
	"context"
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
