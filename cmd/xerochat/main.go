// Command xerochat is the xerochat server and its administration tool: one
// binary that serves the XeroChat API and manages the database behind it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // --timezone works on machines without a zoneinfo database
)

const usage = `xerochat — a self-hosted XeroChat API server

Usage:
  xerochat <command> [flags]

Commands:
  serve            run the API server (creates the admin account on an empty database)
  migrate          apply database migrations and exit
  admin create     create an admin account and print its API key
  user apikey      make a new API key for a user, ending the old one
  page connect     connect (or update) a Facebook page for a user, importing its labels
  page sync-labels import a page's labels from Facebook again
  flow create      create a flow campaign from a JSON file
  db copy          copy every record from one database to another
  db backup        write a consistent copy of a SQLite database, while it runs
  db seal-tokens   seal the stored page tokens with XEROCHAT_SECRET_KEY (after setting or rotating it)
  version          print the version, commit and Go version (also --version)

Every command takes --db (env XEROCHAT_DB): a SQLite file path, a sqlite: URL,
or a postgres:// URL. Run "xerochat <command> -h" for the flags of a command.

Exit status: 0 on success, 1 when the command failed, 2 when the command
line is wrong (unknown command or flag, a missing or out-of-range value).
`

// groups are the commands of two words, by their first.
var groups = map[string][]string{
	"admin": {"create"},
	"user":  {"apikey"},
	"page":  {"connect", "sync-labels"},
	"flow":  {"create"},
	"db":    {"copy", "backup", "seal-tokens"},
}

// usageError is a command line that is wrong, as opposed to a command that
// failed: it exits 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usagef makes a usageError.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exitCode reports err on one line and gives the exit status: 0 for none
// (or help asked for), 2 for a wrong command line, 1 for a failure.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	// One line, whatever the cause: drivers' messages can span several.
	fmt.Fprintln(stderr, "xerochat:", strings.Join(strings.Fields(err.Error()), " "))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run dispatches a command line; tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	if subs, ok := groups[cmd]; ok {
		if len(rest) == 0 || isHelp(rest[0]) {
			fmt.Fprintf(stdout, "Usage: xerochat %s <command> [flags]\n\nCommands:\n", cmd)
			for _, s := range subs {
				fmt.Fprintf(stdout, "  xerochat %s %s\n", cmd, s)
			}
			fmt.Fprintf(stdout, "\nRun \"xerochat %s <command> -h\" for its flags.\n", cmd)
			if len(rest) == 0 {
				return usagef("%s: no command given", cmd)
			}
			return nil
		}
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "admin create":
		return runAdminCreate(ctx, rest, stdout, stderr)
	case "user apikey":
		return runUserAPIKey(ctx, rest, stdout, stderr)
	case "page connect":
		return runPageConnect(ctx, rest, stdout, stderr)
	case "page sync-labels":
		return runPageSyncLabels(ctx, rest, stdout, stderr)
	case "flow create":
		return runFlowCreate(ctx, rest, stdout, stderr)
	case "db copy":
		return runDBCopy(ctx, rest, stdout, stderr)
	case "db backup":
		return runDBBackup(ctx, rest, stdout, stderr)
	case "db seal-tokens":
		return runDBSealTokens(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(ctx, rest, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usagef("unknown command %q (run xerochat --help for the list)", cmd)
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// newFlags makes a flag set for a command with a usage line and the --db flag
// every command shares.
func newFlags(name, synopsis string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	setUsage(fs, stderr, "Usage: xerochat "+name+"\n\n"+synopsis+"\n")
	db := fs.String("db", envOr("XEROCHAT_DB", "xerochat.db"), "database: SQLite file path, sqlite: URL or postgres:// URL (env XEROCHAT_DB)")
	return fs, db
}

// setUsage makes -h print the command's help to stderr. Parse errors print
// nothing themselves: parseFlags reports them once, on one line.
func setUsage(fs *flag.FlagSet, stderr io.Writer, help string) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags:\n", help)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprint(stderr, "\nExit status: 0 on success, 1 on failure, 2 for a wrong command line.\n")
	}
}

// parseFlags parses args, refusing stray positional arguments and any of
// the required string flags left empty. Errors are usage errors that name
// the command's help.
func parseFlags(fs *flag.FlagSet, args []string, required ...string) error {
	hint := fmt.Sprintf(" (run xerochat %s -h)", fs.Name())
	// The flag package shows the usage on any parse error; it is shown
	// here only when asked for.
	help := fs.Usage
	fs.Usage = func() {}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		help()
		return err
	} else if err != nil {
		return usageError{fmt.Errorf("%w%s", err, hint)}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q%s", fs.Arg(0), hint)
	}
	for _, name := range required {
		if f := fs.Lookup(name); f != nil && strings.TrimSpace(f.Value.String()) == "" {
			return usagef("--%s is required%s", name, hint)
		}
	}
	return nil
}

// atLeast refuses a numeric flag below min, as a usage error.
func atLeast[N int | int64 | time.Duration](name string, v, min N) error {
	if v < min {
		return usagef("--%s %v: must be at least %v", name, v, min)
	}
	return nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
