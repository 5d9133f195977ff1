package sqlstore

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// uniqueViolation reports whether err is a unique-constraint failure on the
// index or column named by hint. PostgreSQL names the violated constraint
// (SQLSTATE 23505); SQLite names the columns in its message, so each unique
// index is named after the column it guards ("contacts_email_key_unique"),
// and the hint is that column name.
func uniqueViolation(err error, hint string) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" && strings.Contains(pgErr.ConstraintName, hint)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code()
		return (code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) &&
			strings.Contains(liteErr.Error(), hint)
	}
	return false
}
