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
  version          print the version, commit and Go version (also --version)

Every command takes --db (env XEROCHAT_DB): a SQLite file path, a sqlite: URL,
or a postgres:// URL. Run "xerochat <command> -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		// One line, whatever the cause: drivers' messages can span several.
		fmt.Fprintln(os.Stderr, "xerochat:", strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(2)
	}
}

// run dispatches a command line; tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && (cmd == "admin" || cmd == "user" || cmd == "page" || cmd == "flow" || cmd == "db") {
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
	case "version", "--version", "-version":
		return runVersion(ctx, rest, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// newFlags makes a flag set for a command with a usage line and the --db flag
// every command shares.
func newFlags(name, synopsis string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: xerochat %s\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	db := fs.String("db", envOr("XEROCHAT_DB", "xerochat.db"), "database: SQLite file path, sqlite: URL or postgres:// URL (env XEROCHAT_DB)")
	return fs, db
}

// parseFlags parses args, refusing stray positional arguments and any of
// the required string flags left empty.
func parseFlags(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, name := range required {
		if f := fs.Lookup(name); f != nil && strings.TrimSpace(f.Value.String()) == "" {
			fs.Usage()
			return fmt.Errorf("--%s is required", name)
		}
	}
	return nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
