// Package sqlstoretest gives tests a fresh database of their own: a SQLite
// file in the test's temporary folder, or — when XEROCHAT_TEST_POSTGRES holds
// a PostgreSQL URL — a new schema on that server, dropped when the test ends.
// The same tests thus run on either database, chosen by the environment.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver

	"github.com/xerochat/xerochat/sqlstore"
)

// EnvPostgres names the variable holding the PostgreSQL test server's URL.
const EnvPostgres = "XEROCHAT_TEST_POSTGRES"

// Postgres reports whether tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvPostgres) != "" }

// URL returns the URL of a new, empty database that is removed after tb. On
// PostgreSQL it is the server's URL with search_path set to a fresh schema;
// a server that cannot be reached fails the test rather than skipping it, so
// a PostgreSQL run cannot pass without PostgreSQL.
func URL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		return filepath.Join(tb.TempDir(), "xerochat.db")
	}
	schema := "xt_" + strings.ToLower(rand.Text()[:16])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("sqlstoretest: open %s: %v", EnvPostgres, err)
	}
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("sqlstoretest: create schema on %s: %v", EnvPostgres, err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("sqlstoretest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("sqlstoretest: %s is not a URL: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated database on URL(tb), closed after tb.
func Open(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	return OpenURL(tb, URL(tb))
}

// OpenURL opens the database at url, closed after tb: another pool on a
// database a test already has.
func OpenURL(tb testing.TB, url string) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), url, sqlstore.Options{})
	if err != nil {
		tb.Fatalf("sqlstoretest: open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Dump returns every row of the tables, in key order, as text, so that
// tests can prove a call changed nothing (or a copy changed nothing).
// Values are normalized across drivers (bytes as text, all integers as
// int64); columns named in ignore are left out.
func Dump(tb testing.TB, db *sql.DB, tables []string, ignore ...string) string {
	tb.Helper()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1, 2")
		if err != nil {
			tb.Fatalf("sqlstoretest: dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatalf("sqlstoretest: dump %s: %v", table, err)
			}
			fmt.Fprint(&b, table)
			for i, v := range vals {
				if slices.Contains(ignore, cols[i]) {
					continue
				}
				switch n := v.(type) {
				case []byte:
					v = string(n)
				case int32:
					v = int64(n)
				}
				fmt.Fprintf(&b, " %s=%q", cols[i], fmt.Sprint(v))
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}
