package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The tests of the command line: every command's help, and the reasons a
// wrong command line is refused with.

// TestCLIHelp checks that --help and every command's -h exit 0 and describe
// the flags.
func TestCLIHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"--help"}, []string{"serve", "migrate", "admin create", "user apikey", "page connect", "flow create", "db copy", "--db"}},
		{[]string{"-h"}, []string{"serve", "migrate", "db copy"}},
		{[]string{"help"}, []string{"serve", "migrate", "db copy"}},
		{[]string{"serve", "-h"}, []string{"-addr", "-db", "-graph-url", "-graph-version", "-timezone", "-admin-email", "-demo", "-log-format", "-db-max-conns", "-db-max-idle"}},
		{[]string{"serve", "--help"}, []string{"-addr", "-db"}},
		{[]string{"migrate", "-h"}, []string{"-db"}},
		{[]string{"admin", "create", "-h"}, []string{"-email", "-name", "-password", "-db"}},
		{[]string{"user", "apikey", "-h"}, []string{"-email", "-db"}},
		{[]string{"page", "connect", "-h"}, []string{"-email", "-page-id", "-page-name", "-access-token", "-bot-enabled", "-db"}},
		{[]string{"flow", "create", "-h"}, []string{"-email", "-page-id", "-file", "-db"}},
		{[]string{"db", "copy", "-h"}, []string{"-from", "-to", "-overwrite"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			res := runCommand(t, c.args...)
			if res.code != 0 {
				t.Fatalf("want exit 0, got %s", res)
			}
			text := res.stdout + res.stderr
			if !strings.Contains(text, "Usage") {
				t.Errorf("no usage text: %s", res)
			}
			for _, f := range c.flags {
				if !strings.Contains(text, f) {
					t.Errorf("the usage does not mention %q: %s", f, res)
				}
			}
		})
	}
}

// TestCLIBadUsage checks that a wrong command line exits 2 with a one-line
// reason.
func TestCLIBadUsage(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "x.db")
	for _, c := range []struct {
		name string
		want string
		args []string
	}{
		{"no command", "no command", nil},
		{"unknown command", "frobnicate", []string{"frobnicate"}},
		{"admin without a subcommand", "admin", []string{"admin"}},
		{"unknown subcommand", "admin delete", []string{"admin", "delete", "--db", db}},
		{"unknown flag", "-nope", []string{"migrate", "--db", db, "--nope"}},
		{"unknown serve flag", "-port", []string{"serve", "--port", "8080"}},
		{"stray argument", "extra", []string{"migrate", "--db", db, "extra"}},
		{"stray argument after flags", "now", []string{"user", "apikey", "--db", db, "--email", "a@example.com", "now"}},
		{"missing required flag", "--email", []string{"admin", "create", "--db", db, "--name", "Ann"}},
		{"bad flag value", "-bot-enabled", []string{"page", "connect", "--db", db, "--bot-enabled=maybe"}},
		{"bad log format", "log-format", []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--log-format", "xml"}},
		{"bad time zone", "timezone", []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--timezone", "Mars/Base"}},
		{"copy onto itself", "same", []string{"db", "copy", "--from", db, "--to", db}},
		{"copy without target", "--to", []string{"db", "copy", "--from", db}},
		{"a MySQL URL", `unsupported scheme "mysql"`, []string{"migrate", "--db", "mysql://root@localhost/x"}},
		{"a file: URL", "file: URLs are not read", []string{"migrate", "--db", "file:" + db}},
		{"a missing folder", "does not exist", []string{"migrate", "--db", filepath.Join(filepath.Dir(db), "nope", "x.db")}},
		{"a folder no one may write", "not writable", []string{"migrate", "--db", "/proc/self/x.db"}},
		{"a serve with a MySQL URL", `unsupported scheme "mysql"`, []string{"serve", "--db", "mysql://root@localhost/x", "--addr", "127.0.0.1:0"}},
		{"sessions that never idle out", "--session-idle", []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--session-idle", "0s"}},
		{"sessions that end at once", "--session-max", []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--session-max", "-1h"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if res := mustFail(t, c.want, c.args...); res.code != 2 {
				t.Errorf("want exit 2 for a wrong command line, got %s", res)
			}
		})
	}
}

// TestCLIExitStatus checks the rule --help states: 2 for a wrong command
// line, 1 for a command that failed; and that an error is reported once, on
// one line, without the usage text around it.
func TestCLIExitStatus(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "x.db")
	mustRun(t, "migrate", "--db", db)
	for _, c := range []struct {
		name string
		code int
		args []string
	}{
		{"unknown command", 2, []string{"frobnicate"}},
		{"unknown flag", 2, []string{"migrate", "--db", db, "--nope"}},
		{"negative workers", 2, []string{"serve", "--db", db, "--workers", "-3"}},
		{"zero job lease", 2, []string{"serve", "--db", db, "--job-lease", "0s"}},
		{"no connections", 2, []string{"serve", "--db", db, "--db-max-conns", "0"}},
		{"negative retention", 2, []string{"serve", "--db", db, "--retention", "-1h"}},
		{"a public URL with a path", 2, []string{"serve", "--db", db, "--public-url", "https://chat.example.com/x?y"}},
		{"a dialog URL that is not one", 2, []string{"serve", "--db", db, "--fb-dialog-url", "facebook"}},
		{"a wrong SQLite sync mode", 2, []string{"serve", "--db", db, "--sqlite-sync", "off"}},
		{"zero copy batch", 2, []string{"db", "copy", "--from", db, "--to", db + "2", "--batch", "0"}},
		{"bad page id", 2, []string{"page", "connect", "--db", db, "--email", "a@example.com", "--page-id", "x1", "--page-name", "P", "--access-token", "t"}},
		{"unknown user", 1, []string{"user", "apikey", "--db", db, "--email", "ghost@example.com"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := runCommand(t, c.args...)
			if res.code != c.code {
				t.Fatalf("exit %d, want %d: %s", res.code, c.code, res)
			}
			lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "xerochat: ") {
				t.Fatalf("want the reason once, on one line; got %s", res)
			}
		})
	}
	// admin create for a taken e-mail prints no password for an account it
	// did not create.
	mustRun(t, "admin", "create", "--db", db, "--email", "ops@example.com", "--name", "Ops")
	if res := runCommand(t, "admin", "create", "--db", db, "--email", "ops@example.com", "--name", "Ops"); res.code != 1 ||
		strings.Contains(res.stdout, "password") {
		t.Errorf("admin create for a taken e-mail: want exit 1 and no password printed; got %s", res)
	}
	// The groups of commands answer their own help.
	for _, group := range []string{"admin", "user", "page", "flow", "db"} {
		res := runCommand(t, group, "--help")
		if res.code != 0 || !strings.Contains(res.stdout, "xerochat "+group+" ") {
			t.Errorf("%s --help: %s", group, res)
		}
	}
}
