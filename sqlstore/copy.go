package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// Tables lists every table of the schema, parents before children, so rows
// can be inserted in this order and deleted in the reverse one. It leaves
// out flow_respondents, which the triggers on flow_answers fill as its
// rows are copied.
var Tables = []string{
	"packages", "users", "pages", "subscribers", "labels", "subscriber_labels",
	"contact_groups", "contacts", "flow_campaigns", "flow_questions", "flow_answers",
	"flow_sessions", "webhook_batches", "processed_events", "outbox", "csv_jobs", "csv_job_rejects",
}

// tableOrder is the key each table is read in, so copies are deterministic.
var tableOrder = map[string]string{
	"subscriber_labels": "subscriber_id, label_ref",
	"flow_sessions":     "subscriber_id",
	"processed_events":  "event_key",
	"csv_job_rejects":   "job_id, line",
}

// CopyOptions tune Copy.
type CopyOptions struct {
	// BatchSize is how many rows go into one INSERT; default 500.
	BatchSize int
	// Overwrite empties a target that holds records instead of refusing it.
	Overwrite bool
	// Progress, if set, is told after every batch how far a table is.
	Progress func(table string, done, total int64)
}

// OpenReadOnly opens an existing database only to read it, as db copy and
// db backup do with their source. Unlike Open it never creates the database
// and never migrates it: a mistyped SQLite path is an error rather than a
// new, empty database, and a database written by another release keeps its
// schema. SQLite connections use mode=ro; PostgreSQL sessions start with
// default_transaction_read_only, so a write through this DB fails.
func OpenReadOnly(ctx context.Context, dbURL string) (*DB, error) {
	dialect, dsn, path, err := parseURL(dbURL)
	if err != nil {
		return nil, err
	}
	switch dialect {
	case SQLite:
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist", path)
		}
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a database file", path)
		}
		dsn = readOnlyDSN(dsn)
	case Postgres:
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("not a PostgreSQL URL: %w", err)
		}
		q := u.Query()
		q.Set("default_transaction_read_only", "on") // pgx sends unknown parameters as session settings
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	return connect(ctx, dialect, dsn, path, Options{MaxOpenConns: 2, MaxIdleConns: 1})
}

// readOnlyDSN turns the DSN parseURL made for a SQLite file into one that
// opens it read-only: no journal-mode switch, which would write, and no
// immediate write lock at BEGIN. The path part stays as parseURL escaped it.
// mode=ro, not PRAGMA query_only: query_only also forbids VACUUM INTO,
// which writes only the backup file.
func readOnlyDSN(dsn string) string {
	file, _, _ := strings.Cut(dsn, "?")
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	return file + "?" + q.Encode()
}

// SchemaVersion returns the newest migration recorded in the database
// (0 if none: not a xerochat database) and the newest this binary knows.
// It only reads, so it works on a DB from OpenReadOnly, where goose, which
// creates its version table when missing, cannot be asked.
func (db *DB) SchemaVersion(ctx context.Context) (have, want int64, err error) {
	p, err := db.migrator()
	if err != nil {
		return 0, 0, err
	}
	for _, src := range p.ListSources() {
		want = max(want, src.Version)
	}
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	if db.dialect == Postgres {
		exists = `SELECT COUNT(*) FROM (SELECT to_regclass('goose_db_version') AS t) r WHERE t IS NOT NULL`
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return 0, want, fmt.Errorf("read the schema version: %w", err)
	}
	if n == 0 {
		return 0, want, nil
	}
	var v *int64
	if err := db.sql.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&v); err != nil {
		return 0, want, fmt.Errorf("read the schema version: %w", err)
	}
	if v != nil {
		have = *v
	}
	return have, want, nil
}

// Count returns the number of rows of each table.
func (db *DB) Count(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range Tables {
		var n int64
		if err := db.read().queryRow(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// empty reports whether the database holds nothing but what migrations
// create (the Trial package).
func (db *DB) empty(ctx context.Context) (bool, error) {
	counts, err := db.Count(ctx)
	if err != nil {
		return false, err
	}
	for t, n := range counts {
		if t == "packages" && n <= 1 || n == 0 {
			continue
		}
		return false, nil
	}
	return true, nil
}

// Copy copies every record of src into dst, keeping ids, in one transaction
// on dst: either all of it lands or none. dst must be migrated and empty
// unless opt.Overwrite. Afterwards the row counts of both are compared.
func Copy(ctx context.Context, src, dst *DB, opt CopyOptions) (map[string]int64, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	empty, err := dst.empty(ctx)
	if err != nil {
		return nil, err
	}
	if !empty && !opt.Overwrite {
		return nil, fmt.Errorf("the target database already holds records; copy into an empty database, or pass --overwrite to replace them")
	}
	want, err := src.Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	err = dst.inTx(ctx, func(c conn) error {
		for i := len(Tables) - 1; i >= 0; i-- {
			if _, err := c.exec(ctx, `DELETE FROM `+Tables[i]); err != nil {
				return fmt.Errorf("empty %s: %w", Tables[i], err)
			}
		}
		for _, t := range Tables {
			if err := copyTable(ctx, src, c, t, want[t], opt); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
		}
		return resetSequences(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	got, err := dst.Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	for _, t := range Tables {
		if got[t] != want[t] {
			return got, fmt.Errorf("verify: %s has %d rows in the source but %d in the target", t, want[t], got[t])
		}
	}
	// The tables were filled at once: the planner gets their statistics
	// now, before the first request, instead of when autovacuum comes by
	// (PostgreSQL, without them, takes large tables for small ones).
	if _, err := dst.write().exec(ctx, `ANALYZE`); err != nil {
		return got, fmt.Errorf("analyze: %w", err)
	}
	return got, nil
}

func copyTable(ctx context.Context, src *DB, dst conn, table string, total int64, opt CopyOptions) error {
	order := tableOrder[table]
	if order == "" {
		order = "id"
	}
	rows, err := src.read().query(ctx, `SELECT * FROM `+table+` ORDER BY `+order)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	one := "(" + placeholders(len(cols)) + ")"
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	var batch []any
	var done int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n := len(batch) / len(cols)
		q := head + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		if _, err := dst.exec(ctx, q, batch...); err != nil {
			return err
		}
		done += int64(n)
		batch = batch[:0]
		if opt.Progress != nil {
			opt.Progress(table, done, total)
		}
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		batch = append(batch, vals...)
		if len(batch)/len(cols) >= opt.BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if done == 0 && opt.Progress != nil {
		opt.Progress(table, 0, total)
	}
	return nil
}

// resetSequences moves PostgreSQL's id generators past the copied ids, so
// the next insert does not collide. SQLite needs nothing: it takes max+1.
func resetSequences(ctx context.Context, c conn) error {
	if c.db.dialect != Postgres {
		return nil
	}
	for _, t := range Tables {
		if tableOrder[t] != "" {
			continue
		}
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)`, t, t)
		if _, err := c.exec(ctx, q); err != nil {
			return fmt.Errorf("reset id sequence of %s: %w", t, err)
		}
	}
	return nil
}
