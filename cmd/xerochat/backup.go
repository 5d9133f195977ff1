package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/xerochat/xerochat/sqlstore"
)

// errPostgresBackup says what to do instead: PostgreSQL has its own tool,
// which copies a running database consistently and restores it.
var errPostgresBackup = errors.New("db backup copies SQLite files; back up PostgreSQL with pg_dump -Fc and restore with pg_restore (see docs/production.md)")

func runDBBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("db backup --db FILE --to FILE [--overwrite]",
		"Writes a consistent copy of a SQLite database to --to while servers keep writing to it.\n"+
			"The copy holds every write committed before it began, passes SQLite's integrity check,\n"+
			"and appears under its name only when complete. It is restored by copying it into place\n"+
			"while no server runs (see docs/production.md). For PostgreSQL use pg_dump.", stderr)
	to := fs.String("to", "", "file to write the backup to (required)")
	overwrite := fs.Bool("overwrite", false, "replace an existing backup file")
	if err := parseFlags(fs, args, "to"); err != nil {
		return err
	}
	dialect, _, err := sqlstore.ParseURL(*dbURL)
	if err != nil {
		return err
	}
	if dialect == sqlstore.Postgres {
		return errPostgresBackup
	}
	db, err := sqlstore.OpenReadOnly(ctx, *dbURL)
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	defer db.Close()
	have, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	if have == 0 {
		return fmt.Errorf("--db %s holds no xerochat database", redactURL(*dbURL))
	}
	size, err := db.Backup(ctx, *to, *overwrite)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s: %d bytes, migration %d, integrity check ok\n", redactURL(*dbURL), *to, size, have)
	return nil
}

// redactURL is a --db value fit for messages: a PostgreSQL URL without its
// password, which messages and terminal logs must not carry.
func redactURL(dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dbURL
}
