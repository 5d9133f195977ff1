package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// fileSum is the SHA-256 of a file's bytes, "" if it does not exist and
// "folder" for a folder.
func fileSum(t *testing.T, path string) string {
	t.Helper()
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return "folder"
	}
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return string(sum[:])
}

// oldSQLiteDB makes a SQLite database migrated only to the first migration,
// as an older xerochat left it, from the migration files in the source tree.
func oldSQLiteDB(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS(filepath.Join("..", "..", "sqlstore", "migrations", "sqlite")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), 1); err != nil {
		t.Fatalf("migrate to 1: %v", err)
	}
}

// sqliteExec runs one statement on a SQLite file, past xerochat, to make
// databases xerochat would not make.
func sqliteExec(t *testing.T, path, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestCLIDBCopySource checks that db copy only ever reads its source: a
// missing source is an error (never a new empty database copied over the
// target), and a source at another migration is refused, unchanged.
func TestCLIDBCopySource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.db")
	populate(t, target)
	wantTarget := dump(t, target)

	notXerochat := filepath.Join(dir, "other.db")
	sqliteExec(t, notXerochat, `CREATE TABLE notes (body TEXT)`)
	emptyFile := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old.db")
	oldSQLiteDB(t, old)
	newer := filepath.Join(dir, "newer.db")
	mustRun(t, "migrate", "--db", newer)
	sqliteExec(t, newer, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, 1)`)

	for _, c := range []struct {
		name, from, want string
	}{
		{"missing file", filepath.Join(dir, "typo.db"), "typo.db does not exist"},
		{"missing file in a sqlite: URL", "sqlite:" + filepath.Join(dir, "typo2.db"), "typo2.db does not exist"},
		{"missing folder", filepath.Join(dir, "nowhere", "x.db"), "does not exist"},
		{"a folder", dir, "not a database file"},
		{"not a xerochat database", notXerochat, "holds no xerochat database"},
		{"an empty file", emptyFile, "holds no xerochat database"},
		{"older schema", old, "run xerochat migrate --db " + old + " on it first"},
		{"newer schema", newer, "newer than this xerochat"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := fileSum(t, c.from)
			mustFail(t, c.want, "db", "copy", "--from", c.from, "--to", target, "--overwrite")
			if got := dump(t, target); got != wantTarget {
				t.Errorf("a refused copy changed the target:\nbefore:\n%s\nafter:\n%s", wantTarget, got)
			}
			if fileSum(t, c.from) != before {
				t.Errorf("a refused copy changed the source %s", c.from)
			}
		})
	}
	for _, name := range []string{"typo.db", "typo2.db", "nowhere"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("a copy from a missing %s created it (%v)", name, err)
		}
	}

	// The old database was not migrated by the refusal; once migrated by
	// the operator, it copies.
	store, err := sqlstore.OpenReadOnly(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	if have, _, err := store.SchemaVersion(context.Background()); err != nil || have != 1 {
		t.Errorf("the refused old source is at migration %d (%v), want still 1", have, err)
	}
	store.Close()
	mustRun(t, "migrate", "--db", old)
	if out := mustRun(t, "db", "copy", "--from", old, "--to", target, "--overwrite"); !copiedLine.MatchString(out) {
		t.Errorf("db copy from the migrated old database: %q", out)
	}
}

// TestCLIDBCopyLeavesSourceAlone checks that a successful copy does not
// write to its source: the SQLite file keeps its bytes.
func TestCLIDBCopyLeavesSourceAlone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	populate(t, src)
	before := fileSum(t, src)
	if out := mustRun(t, "db", "copy", "--from", src, "--to", filepath.Join(dir, "dst.db")); !copiedLine.MatchString(out) {
		t.Fatalf("db copy: %q", out)
	}
	if fileSum(t, src) != before {
		t.Error("db copy changed the bytes of its source file")
	}
}

// TestCLIDBCopyEmptyPostgresSource checks that a PostgreSQL source without
// xerochat's tables (a mistyped database or schema) is refused, not copied
// as an empty database over the target.
func TestCLIDBCopyEmptyPostgresSource(t *testing.T) {
	if !sqlstoretest.Postgres() {
		t.Skip("set " + sqlstoretest.EnvPostgres + " to copy from PostgreSQL")
	}
	t.Parallel()
	target := filepath.Join(t.TempDir(), "target.db")
	populate(t, target)
	want := dump(t, target)
	mustFail(t, "holds no xerochat database", "db", "copy", "--from", sqlstoretest.URL(t), "--to", target, "--overwrite")
	if got := dump(t, target); got != want {
		t.Error("a refused copy changed the target")
	}
}
