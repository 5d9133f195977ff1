package sqlstore

// SetTrace makes db report every statement it runs to f, for the plan test.
func SetTrace(db *DB, f func(query string, args []any)) { db.trace = f }

// Bind rewrites a traced statement's placeholders for db's dialect.
func Bind(db *DB, query string) string { return db.bind(query) }
