package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/sqlstore"
)

// dbPoolFlags adds the PostgreSQL pool flags to a command.
func dbPoolFlags(fs *flag.FlagSet, opt *sqlstore.Options) {
	fs.IntVar(&opt.MaxOpenConns, "db-max-conns", 20, "PostgreSQL: most open connections per process")
	fs.IntVar(&opt.MaxIdleConns, "db-max-idle", 0, "PostgreSQL: idle connections kept open per process (default: --db-max-conns)")
	fs.DurationVar(&opt.ConnMaxIdleTime, "db-idle-time", 0, "close connections idle this long (default 5m)")
	fs.StringVar(&opt.Sync, "sqlite-sync", envOr("XEROCHAT_SQLITE_SYNC", sqlstore.SyncFull),
		"SQLite: full (every acknowledged write survives a power loss) or normal (faster; a power loss may lose the last writes, never the file) (env XEROCHAT_SQLITE_SYNC)")
}

// checkPoolFlags refuses pool flags out of range.
func checkPoolFlags(opt sqlstore.Options) error {
	var sync error
	if opt.Sync != sqlstore.SyncFull && opt.Sync != sqlstore.SyncNormal {
		sync = usagef("--sqlite-sync %q: use full or normal", opt.Sync)
	}
	return errors.Join(atLeast("db-max-conns", opt.MaxOpenConns, 1), atLeast("db-max-idle", opt.MaxIdleConns, 0),
		atLeast("db-idle-time", opt.ConnMaxIdleTime, 0), sync)
}

// graphFlags adds the Facebook Graph flags, shared by serve and the page
// commands that call Facebook.
func graphFlags(fs *flag.FlagSet, baseURL, version *string) {
	fs.StringVar(baseURL, "graph-url", envOr("XEROCHAT_GRAPH_URL", graph.DefaultBaseURL), "Facebook Graph API base URL (env XEROCHAT_GRAPH_URL)")
	fs.StringVar(version, "graph-version", envOr("XEROCHAT_GRAPH_VERSION", graph.DefaultVersion), "Facebook Graph API version (env XEROCHAT_GRAPH_VERSION)")
}

// commandPool is the connection pool of a one-off command: a few
// connections, where serve sizes its own with --db-max-open.
var commandPool = sqlstore.Options{MaxOpenConns: 4, MaxIdleConns: 1}

// openDB opens and migrates a database, with the page-token keys from the
// environment. A --db that is not a database URL is a usage error.
func openDB(ctx context.Context, url string, opts sqlstore.Options) (*sqlstore.DB, error) {
	if err := sqlstore.CheckURL(url); err != nil {
		return nil, usageError{err}
	}
	keys, err := tokenKeys()
	if err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	db.SetTokenKeys(keys)
	return db, nil
}

// newApp is the use-case layer over a command's database and Facebook.
func newApp(db *sqlstore.DB, fb xerochat.Facebook) *app.App {
	return &app.App{Users: db, Contacts: db, Pages: db, Flows: db, Facebook: fb}
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("migrate", "Applies the database migrations not yet applied, then exits. Safe to run while servers run.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, *dbURL, commandPool)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s database is at migration %d\n", db.Dialect(), v)
	return nil
}

func runAdminCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("admin create --email E --name N [--password P]",
		"Creates an admin account. Prints the password if it was generated; the API key is the last line.", stderr)
	email := fs.String("email", "", "e-mail of the admin (required)")
	name := fs.String("name", "", "name of the admin (required)")
	password := fs.String("password", "", "password (default: generated and printed)")
	if err := parseFlags(fs, args, "email", "name"); err != nil {
		return err
	}
	if !xerochat.ValidEmail(*email) {
		return usagef("--email %q is not a valid e-mail address", *email)
	}
	db, err := openDB(ctx, *dbURL, commandPool)
	if err != nil {
		return err
	}
	defer db.Close()
	// The password is printed only once the account exists.
	creds, err := newApp(db, nil).CreateAdmin(ctx, *name, *email, *password)
	if err != nil {
		return cliError(err)
	}
	if creds.Password != "" {
		fmt.Fprintf(stdout, "password: %s\n", creds.Password)
	}
	fmt.Fprintf(stdout, "created admin %d <%s>\n%s\n", creds.UserID, creds.Email, creds.APIKey)
	return nil
}

// cliError turns an application error into its message for the terminal.
func cliError(err error) error {
	var e *xerochat.Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}

// openForUser opens the database and loads the user the command is about;
// the caller closes the database.
func openForUser(ctx context.Context, dbURL, email string) (*sqlstore.DB, *xerochat.User, error) {
	db, err := openDB(ctx, dbURL, commandPool)
	if err != nil {
		return nil, nil, err
	}
	u, err := db.FindUser(ctx, xerochat.UserFilter{Email: email})
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		err = fmt.Errorf("no user with e-mail %q", email)
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, u, nil
}

func runUserAPIKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("user apikey --email E", "Makes a new API key for the user; the old key stops working at once. The key is the last line.", stderr)
	email := fs.String("email", "", "e-mail of the user (required)")
	if err := parseFlags(fs, args, "email"); err != nil {
		return err
	}
	db, u, err := openForUser(ctx, *dbURL, *email)
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := newApp(db, nil).RotateAPIKey(ctx, u.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new API key for user %d <%s>:\n%s\n", u.ID, u.Email, key)
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func runFlowCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("flow create --email E --page-id ID --file flow.json",
		"Creates a flow campaign on one of the user's pages. The campaign id is the last line.\n\n"+
			`flow.json: {"flow_name": "Survey", "questions": [{"question": "Your favourite colour?", "type": "text"}]}`, stderr)
	email := fs.String("email", "", "e-mail of the campaign's owner (required)")
	pageID := fs.String("page-id", "", "Facebook page id the flow runs on (required)")
	file := fs.String("file", "", "flow campaign JSON file (required)")
	if err := parseFlags(fs, args, "email", "page-id", "file"); err != nil {
		return err
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var ff xerochat.FlowFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ff); err != nil {
		return fmt.Errorf("%s: not a flow file: %v", *file, err)
	}
	db, u, err := openForUser(ctx, *dbURL, *email)
	if err != nil {
		return err
	}
	defer db.Close()
	page, err := db.FindEnabledPage(ctx, u.ID, *pageID)
	if err != nil {
		return fmt.Errorf("user <%s> has no page %s with its bot enabled", u.Email, *pageID)
	}
	fc, err := ff.Campaign(u.ID, page.ID)
	if err != nil {
		return fmt.Errorf("%s: %s", *file, xerochat.ErrorMessage(err))
	}
	if !fc.Startable() {
		fmt.Fprintf(stderr, "xerochat: warning: %s has no trigger (triggers.keywords or triggers.payloads): nobody can start this flow in Messenger\n", *file)
	}
	id, err := db.CreateFlowCampaign(ctx, fc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created flow campaign %q with %d questions on page %s\n%d\n", fc.Name, len(fc.Questions), page.PageID, id)
	return nil
}

func runDBCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("db copy", flag.ContinueOnError)
	setUsage(fs, stderr, "Usage: xerochat db copy --from URL --to URL [--overwrite]\n\n"+
		"Copies every record from one database to another, keeping ids, e.g. from the SQLite\n"+
		"file to PostgreSQL when moving to production (or back). The source must exist and be\n"+
		"at this xerochat's migration; it is opened read-only. The target is migrated first\n"+
		"and must be empty unless --overwrite is given. Stop the servers writing to the source\n"+
		"first: records written during the copy may be missed.\n")
	from := fs.String("from", "", "source database URL or SQLite path (required)")
	to := fs.String("to", "", "target database URL or SQLite path (required)")
	overwrite := fs.Bool("overwrite", false, "replace the records of a non-empty target")
	batch := fs.Int("batch", 500, "rows per insert")
	if err := parseFlags(fs, args, "from", "to"); err != nil {
		return err
	}
	if err := atLeast("batch", *batch, 1); err != nil {
		return err
	}
	if *from == *to {
		return usagef("--from and --to name the same database")
	}
	// The source is only read: opening it must neither create a mistyped
	// file (an empty source would wipe the target under --overwrite) nor
	// migrate a database another release may still be serving.
	src, err := sqlstore.OpenReadOnly(ctx, *from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	have, want, err := src.SchemaVersion(ctx)
	name := redactURL(*from)
	switch {
	case err != nil:
		return fmt.Errorf("source: %w", err)
	case have == 0:
		return fmt.Errorf("source %s holds no xerochat database (no migrations applied)", name)
	case have < want:
		return fmt.Errorf("source %s is at migration %d, older than this xerochat (%d): run xerochat migrate --db %s on it first", name, have, want, name)
	case have > want:
		return fmt.Errorf("source %s is at migration %d, newer than this xerochat (%d): copy it with the xerochat that wrote it", name, have, want)
	}
	dst, err := openDB(ctx, *to, commandPool)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	counts, err := sqlstore.Copy(ctx, src, dst, sqlstore.CopyOptions{
		BatchSize: *batch, Overwrite: *overwrite,
		Progress: func(table string, done, total int64) {
			fmt.Fprintf(stderr, "copy: %-18s %d/%d\n", table, done, total)
		},
	})
	if err != nil {
		return err
	}
	var total int64
	for _, t := range sqlstore.Tables {
		total += counts[t]
	}
	fmt.Fprintf(stdout, "copied %d records from %s to %s; row counts verified\n", total, src.Dialect(), dst.Dialect())
	return nil
}
