package sqlstore_test

import (
	"context"
	"testing"

	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// A database whose migrations are not the binary's is not ready.
func TestReady(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.Open(t)
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("a migrated database is not ready: %v", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err == nil {
		t.Fatal("a database behind the binary's migrations is ready")
	}
	if lag, err := db.Lag(ctx); err != nil || lag != 0 {
		t.Fatalf("Lag with nothing waiting = %v, %v", lag, err)
	}
}
