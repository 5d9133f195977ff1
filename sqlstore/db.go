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
	"hash/fnv"
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
	// Sync is SQLite's synchronous mode: SyncFull (the default) syncs the
	// log at every commit, so an acknowledged write survives a power loss;
	// SyncNormal syncs only at checkpoints, which is faster but may lose
	// the last commits (never the file's integrity) on power loss.
	Sync string
}

// The SQLite synchronous modes of Options.Sync.
const (
	SyncFull   = "full"
	SyncNormal = "normal"
)

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

	// group runs SQLite's write transactions in group commits; nil on
	// PostgreSQL, which commits in parallel.
	group     *committer
	closeOnce sync.Once
	keys      keyCache
	// tokens seal the page tokens at rest; nil keeps them in clear.
	tokens *TokenKeys

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
	d, path, err = parsePath(dbURL)
	if err != nil {
		return d, "", "", err
	}
	if d == Postgres {
		dsn, err = postgresDSN(dbURL)
		return d, dsn, "", err
	}
	dsn, err = sqliteDSN(path, SyncFull, 10000)
	return d, dsn, path, err
}

// parsePath tells the dialect of dbURL and, for SQLite, the file's path.
func parsePath(dbURL string) (d Dialect, path string, err error) {
	switch {
	case dbURL == "":
		return "", "", errors.New("no database given")
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return Postgres, "", nil
	}
	path = dbURL
	if rest, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		path = strings.TrimPrefix(rest, "//")
	}
	if path == "" {
		return "", "", fmt.Errorf("no file name in %q", dbURL)
	}
	return SQLite, path, nil
}

// sqliteDSN is the driver's name for the file at path. WAL lets readers
// work beside the writer (and beside CLI commands run while the server is
// up); busy_timeout (milliseconds) makes connections wait for a lock
// instead of failing; write transactions take the lock at BEGIN, so two
// writers never deadlock upgrading a read lock.
func sqliteDSN(path, sync string, busyMillis int) (string, error) {
	switch sync {
	case "", SyncFull:
		sync = "FULL"
	case SyncNormal:
		sync = "NORMAL"
	default:
		return "", fmt.Errorf("SQLite sync mode %q: want %q or %q", sync, SyncFull, SyncNormal)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMillis))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Set("_txlock", "immediate")
	// The path goes into a file: URI, where %, ? and # have meanings of
	// their own; escaped, a file named "my#1.db" is that file.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	return "file:" + uriPath + "?" + q.Encode(), nil
}

// postgresDSN is the URL with jit=off added, unless it sets jit itself:
// PostgreSQL compiles a query to machine code when its estimated cost is
// high, which takes hundreds of milliseconds and pays off only for long
// analytical queries. The store runs short indexed queries and streams;
// a large campaign's answers would wait 0.7 s for the compiler.
// (The driver sends parameters it does not know to the server, as
// settings of the session.)
func postgresDSN(dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL URL: %w", err)
	}
	q := u.Query()
	if !q.Has("jit") {
		q.Set("jit", "off")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
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
		if dsn, err = sqliteDSN(path, opt.Sync, 10000); err != nil {
			return nil, err
		}
		unlock, err := lockFile(path)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if err := createPrivate(path); err != nil {
			return nil, err
		}
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
		// The writer waits for other processes' write locks in short steps
		// of its own (committer.begin), taking turns through the lock file,
		// rather than in SQLite's busy handler, which sleeps ever longer.
		wdsn, err := sqliteDSN(path, opt.Sync, 20)
		if err == nil {
			db.wsql, err = sql.Open(driver, wdsn)
		}
		if err != nil {
			sqldb.Close()
			return nil, err
		}
		db.wsql.SetMaxOpenConns(1)
		if db.group, err = newCommitter(db, db.wsql, path); err != nil {
			db.wsql.Close()
			sqldb.Close()
			return nil, err
		}
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
		// The lock is the schema's own: processes migrating one database
		// take turns, while other schemas of the server (the tests' own, one
		// each) do not wait for them; a waiter looks again every second.
		var schema string
		if err := db.sql.QueryRow(`SELECT current_database() || '.' || current_schema()`).Scan(&schema); err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte(schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
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

// Close finishes the writes handed over, then closes the prepared
// statements and the pools. Closing twice is harmless.
func (db *DB) Close() error {
	var err error
	db.closeOnce.Do(func() {
		if db.group != nil {
			db.group.close()
		}
		db.stmts.Range(func(_, v any) bool {
			v.(*sql.Stmt).Close()
			return true
		})
		if db.wsql != db.sql {
			db.wsql.Close()
		}
		err = db.sql.Close()
	})
	return err
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

// inTx runs fn in a transaction, committing when it returns nil. On SQLite
// it runs in the next group commit, inside a savepoint of its own (so fn
// may run again if the group's transaction is lost before it commits; fns
// only write to the database); the transaction holds the write lock from
// its start.
func (db *DB) inTx(ctx context.Context, fn func(c conn) error) error {
	if db.group != nil {
		return db.group.do(ctx, fn)
	}
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
