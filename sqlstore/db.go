// Package sqlstore implements the xerochat services on SQL databases:
// an embedded SQLite file (pure Go, no cgo) or PostgreSQL through pgx.
//
// Queries are written once, with '?' placeholders, and rewritten to '$n' for
// PostgreSQL. Both schemas store times as Unix seconds and flags as integers,
// so the same code and the same tests serve both databases.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/xerochat/xerochat"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database behind a DB.
type Dialect string

// The databases xerochat runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options tune a connection pool; zero values pick the defaults.
type Options struct {
	MaxOpenConns    int           // PostgreSQL: default 20
	MaxIdleConns    int           // PostgreSQL: default MaxOpenConns
	ConnMaxIdleTime time.Duration // default 5 minutes
}

// DB is an open, migrated database. It implements every xerochat service.
type DB struct {
	sql *sql.DB
	// wsql runs writes. On SQLite it holds a single connection, so that
	// writers of this process queue in Go rather than sleep in SQLite's busy
	// handler (which costs tens of milliseconds at p99); on PostgreSQL it is
	// the same pool as sql.
	wsql    *sql.DB
	dialect Dialect
	path    string // the SQLite file; "" on PostgreSQL
	// Now is the clock; tests may replace it.
	Now func() time.Time

	rebound sync.Map // query text -> PostgreSQL form
	stmts   sync.Map // stmtKey -> *sql.Stmt (SQLite only)
	// preparing marks statements being prepared in the background.
	preparing sync.Map
	// trace, when set, is told every statement the store runs, in its '?'
	// form, with its arguments: the plan test EXPLAINs the very statements
	// the code runs rather than copies of them. Set only before use.
	trace func(query string, args []any)
}

// Services implemented by *DB.
var (
	_ xerochat.UserService    = (*DB)(nil)
	_ xerochat.ContactService = (*DB)(nil)
	_ xerochat.PageService    = (*DB)(nil)
	_ xerochat.FlowService    = (*DB)(nil)
)

// ParseURL tells which database a --db value names and returns the driver's
// data source name. A postgres:// or postgresql:// URL is PostgreSQL; a
// sqlite: URL or a plain path is a SQLite file.
func ParseURL(dbURL string) (Dialect, string, error) {
	d, dsn, _, err := parseURL(dbURL)
	return d, dsn, err
}

func parseURL(dbURL string) (d Dialect, dsn, path string, err error) {
	switch {
	case dbURL == "":
		return "", "", "", errors.New("no database given")
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return Postgres, dbURL, "", nil
	}
	path = dbURL
	if rest, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		path = strings.TrimPrefix(rest, "//")
	}
	if path == "" {
		return "", "", "", fmt.Errorf("no file name in %q", dbURL)
	}
	// WAL lets readers work beside the writer (and beside CLI commands run
	// while the server is up); busy_timeout makes writers queue instead of
	// failing; write transactions take the lock at BEGIN, so two writers never
	// deadlock upgrading a read lock.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	// The path goes into a file: URI, where %, ? and # have meanings of
	// their own; escaped, a file named "my#1.db" is that file.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	return SQLite, "file:" + uriPath + "?" + q.Encode(), path, nil
}

// Open connects to the database named by dbURL (see ParseURL) and applies
// the embedded migrations. On PostgreSQL a session lock makes concurrent
// starts safe: one process migrates, the others wait for it.
//
// On SQLite, processes take turns through a lock file beside the database
// for the whole of opening: switching a new file to WAL mode can fail with
// SQLITE_BUSY, without waiting, while another process opens it too.
func Open(ctx context.Context, dbURL string, opt Options) (*DB, error) {
	dialect, dsn, path, err := parseURL(dbURL)
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		unlock, err := lockFile(path)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	db, err := connect(ctx, dialect, dsn, path, opt)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// connect opens the pools of a parsed database URL.
func connect(ctx context.Context, dialect Dialect, dsn, path string, opt Options) (*DB, error) {
	driver := "sqlite"
	if dialect == Postgres {
		driver = "pgx"
	}
	sqldb, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if opt.ConnMaxIdleTime == 0 {
		opt.ConnMaxIdleTime = 5 * time.Minute
	}
	sqldb.SetConnMaxIdleTime(opt.ConnMaxIdleTime)
	if dialect == Postgres {
		if opt.MaxOpenConns == 0 {
			opt.MaxOpenConns = 20
		}
		// Keeping as many idle connections as open ones avoids closing and
		// re-opening backends (a process fork each) under steady load; idle
		// ones still close after ConnMaxIdleTime.
		if opt.MaxIdleConns == 0 || opt.MaxIdleConns > opt.MaxOpenConns {
			opt.MaxIdleConns = opt.MaxOpenConns
		}
		sqldb.SetMaxOpenConns(opt.MaxOpenConns)
		sqldb.SetMaxIdleConns(opt.MaxIdleConns)
	} else {
		// SQLite has one writer at a time; a few connections let reads
		// proceed beside it without piling up file handles.
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
	}
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	db := &DB{sql: sqldb, wsql: sqldb, dialect: dialect, path: path, Now: time.Now}
	if dialect == SQLite {
		var err error
		if db.wsql, err = sql.Open(driver, dsn); err != nil {
			sqldb.Close()
			return nil, err
		}
		db.wsql.SetMaxOpenConns(1)
	}
	return db, nil
}

// migrate applies the migrations not yet applied. On PostgreSQL goose
// takes an advisory lock; on SQLite, Open holds the lock file.
func (db *DB) migrate(ctx context.Context) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s database: %w", db.dialect, err)
	}
	return nil
}

// MigrationVersion returns the newest applied migration.
func (db *DB) MigrationVersion(ctx context.Context) (int64, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

func (db *DB) migrator() (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	gooseDialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		gooseDialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(gooseDialect, db.sql, dir, opts...)
}

// Dialect tells which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL exposes the read pool, for the health check and for tests that
// inspect whole tables.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the prepared statements and the pools.
func (db *DB) Close() error {
	db.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	if db.wsql != db.sql {
		db.wsql.Close()
	}
	return db.sql.Close()
}

// now is the current time, truncated to the second the schema stores.
func (db *DB) now() int64 { return db.Now().Unix() }

// bind rewrites '?' placeholders to PostgreSQL's '$n'. Queries never hold a
// literal '?', so a plain scan suffices; results are cached per query text.
func (db *DB) bind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	if q, ok := db.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	db.rebound.Store(query, b.String())
	return b.String()
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries on the pool or inside a transaction, binding
// placeholders for the dialect. Store helpers take a conn so that they
// compose inside one transaction.
type conn struct {
	q    querier
	pool *sql.DB // the pool q runs on, which prepared statements belong to
	tx   *sql.Tx // the transaction, if q is one
	db   *DB
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.traced(query, args)
	query = c.db.bind(query)
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.traced(query, args)
	query = c.db.bind(query)
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, query, args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	c.traced(query, args)
	query = c.db.bind(query)
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

func (c conn) traced(query string, args []any) {
	if c.db.trace != nil {
		c.db.trace(query, args)
	}
}

// maxCachedQuery keeps one-off giant statements (db copy's multi-row
// inserts) out of the statement cache.
const maxCachedQuery = 2048

// stmt returns query prepared on c's pool, bound to c's transaction if
// any, or nil where statements are not cached. SQLite spends a third of a
// short query's time parsing it, and database/sql prepares every statement
// anew, so xerochat keeps them prepared. PostgreSQL needs no cache here:
// pgx keeps its own per connection.
func (c conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.db.dialect != SQLite || c.pool == nil || len(query) > maxCachedQuery {
		return nil
	}
	key := stmtKey{c.pool, query}
	v, ok := c.db.stmts.Load(key)
	if !ok && c.tx != nil {
		// The transaction holds the write pool's only connection, so the
		// statement cannot be prepared on the pool now: it runs unprepared
		// this once and is prepared as soon as the connection is free.
		if _, pending := c.db.preparing.LoadOrStore(key, true); !pending {
			go c.db.prepare(key)
		}
		return nil
	}
	if !ok {
		if v = c.db.prepare(key); v == nil {
			return nil // the unprepared path reports the error
		}
	}
	if c.tx != nil {
		return c.tx.StmtContext(ctx, v.(*sql.Stmt))
	}
	return v.(*sql.Stmt)
}

// prepare prepares key's query on its pool and caches it; nil on failure.
func (db *DB) prepare(key stmtKey) any {
	st, err := key.pool.PrepareContext(context.Background(), key.query)
	if err != nil {
		return nil
	}
	v, loaded := db.stmts.LoadOrStore(key, st)
	if loaded {
		st.Close()
	}
	return v
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

// insert runs an INSERT ... RETURNING id and returns the id.
func (c conn) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := c.queryRow(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// read is a conn on the pool, for single statements that only read.
func (db *DB) read() conn { return conn{q: db.sql, pool: db.sql, db: db} }

// write is a conn for single statements that write.
func (db *DB) write() conn { return conn{q: db.wsql, pool: db.wsql, db: db} }

// inTx runs fn in a transaction, committing when it returns nil. On SQLite
// the transaction holds the write lock from its start.
func (db *DB) inTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := db.wsql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(conn{q: tx, pool: db.wsql, tx: tx, db: db}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// flag stores a bool as the 0/1 integer both schemas use.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// unix returns a stored time as a time.Time; 0 stays the zero time.
func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// seconds is the stored form of t; the zero time is 0.
func seconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// notFound maps sql.ErrNoRows to an ENOTFOUND error with the given message.
func notFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &xerochat.Error{Code: xerochat.ENOTFOUND, Message: msg}
	}
	return err
}

// isNoRows reports whether err says a query found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// affectedOne turns an UPDATE that touched no row into ENOTFOUND with msg.
func affectedOne(res sql.Result, err error, msg string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return &xerochat.Error{Code: xerochat.ENOTFOUND, Message: msg}
	}
	return nil
}
