package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestOpenReadOnly checks that a database opened by OpenReadOnly, as db
// copy and db backup open their source, can be read but not written, on
// SQLite and on PostgreSQL, and that it reports the schema version.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	url := sqlstoretest.URL(t)
	rw, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	ro, err := sqlstore.OpenReadOnly(ctx, url)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer ro.Close()
	have, want, err := ro.SchemaVersion(ctx)
	if err != nil || have == 0 || have != want {
		t.Errorf("SchemaVersion of a migrated database: %d, %d, %v; want the same non-zero version twice", have, want, err)
	}
	if n, err := ro.Count(ctx); err != nil || n["packages"] != 1 {
		t.Errorf("Count through the read-only database: %v, %v", n, err)
	}
	for _, q := range []string{`UPDATE packages SET name = name`, `CREATE TABLE intruder (a INTEGER)`} {
		if _, err := ro.SQL().ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded on a read-only %s database", q, ro.Dialect())
		}
	}
	if _, err := ro.Backup(ctx, filepath.Join(t.TempDir(), "b.db"), false); ro.Dialect() == sqlstore.Postgres &&
		(err == nil || !strings.Contains(err.Error(), "pg_dump")) {
		t.Errorf("Backup of PostgreSQL: got %v, want a pointer to pg_dump", err)
	} else if ro.Dialect() == sqlstore.SQLite && err != nil {
		t.Errorf("Backup of SQLite through the read-only database: %v", err)
	}
}
