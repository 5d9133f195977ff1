package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// The CLI tests build the xerochat binary once and run it as a process, the
// way an operator does, against the same database as a running server.

// cliEnv is the environment of a command: the test's, without XEROCHAT_*
// settings that would change what the flags say.
func cliEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XEROCHAT_") {
			env = append(env, kv)
		}
	}
	return env
}

// cliResult is how a command ended.
type cliResult struct {
	code           int
	stdout, stderr string
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// cliRun runs the binary to completion, within a minute, in a temporary
// working directory (so that a default xerochat.db lands nowhere shared).
func cliRun(t *testing.T, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, xerochatBinary(t), args...)
	cmd.Env = cliEnv()
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		t.Fatalf("xerochat %s: %v\n%s", strings.Join(args, " "), err, res)
	}
	return res
}

// cliLastLine is the last non-empty line of s.
func cliLastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// cliOK runs a command that must succeed and returns its last stdout line.
func cliOK(t *testing.T, args ...string) string {
	t.Helper()
	res := cliRun(t, args...)
	if res.code != 0 {
		t.Fatalf("xerochat %s: want exit 0, got %s", strings.Join(args, " "), res)
	}
	return cliLastLine(res.stdout)
}

// cliFails runs a command that must fail, and checks that it says why in
// one line on stderr, "xerochat: <reason>", containing want.
func cliFails(t *testing.T, want string, args ...string) cliResult {
	t.Helper()
	res := cliRun(t, args...)
	line := cliLastLine(res.stderr)
	reason, ok := strings.CutPrefix(line, "xerochat: ")
	if res.code == 0 || !ok || strings.TrimSpace(reason) == "" || !strings.Contains(line, want) {
		t.Errorf("xerochat %.200s: want a non-zero exit and a last stderr line \"xerochat: ...%s...\", got %.2000s",
			strings.Join(args, " "), want, res)
	}
	return res
}

// cliServer starts an in-process server on a database the CLI can name
// too. The admin key is set when the database was empty. stop may be called
// early; it runs once.
func cliServer(t *testing.T, db string) (ts *testServer, stop func()) {
	t.Helper()
	ts = startServer(t, withDB(db))
	return ts, ts.Stop
}

// cliMessage is the error message of an answer, "" on success (an object
// without an error status, or a bare array).
func cliMessage(t *testing.T, r response) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil || r.Status != http.StatusOK {
		t.Errorf("HTTP %d: %s", r.Status, r.Body)
	}
	if biField(v, "status") != "error" {
		return ""
	}
	msg, _ := biField(v, "message").(string)
	return msg
}

const cliKeyInvalid = "Either API Key Invalid or Member Validity Expired"

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
			res := cliRun(t, c.args...)
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

// TestCLIBadUsage checks that a wrong command line exits non-zero with a
// one-line reason.
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
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cliFails(t, c.want, c.args...)
		})
	}
}

// TestCLIMigrate migrates a fresh database, twice.
func TestCLIMigrate(t *testing.T) {
	t.Parallel()
	dbs := []string{filepath.Join(t.TempDir(), "fresh.db")}
	if sqlstoretest.Postgres() {
		dbs = append(dbs, sqlstoretest.URL(t))
	}
	version := regexp.MustCompile(`^(sqlite|postgres) database is at migration [1-9][0-9]*$`)
	for _, db := range dbs {
		first := cliOK(t, "migrate", "--db", db)
		if !version.MatchString(first) {
			t.Errorf("migrate printed %q, want the version", first)
		}
		if again := cliOK(t, "migrate", "--db", db); again != first {
			t.Errorf("a second migrate printed %q, want %q", again, first)
		}
	}
	// The migrated database serves: the first start creates the admin.
	ts, _ := cliServer(t, dbs[0])
	if ts.AdminKey == "" {
		t.Fatal("no admin created on the migrated database")
	}
	if msg := cliMessage(t, ts.get("get_all_packages", vals("api_key", ts.AdminKey))); msg != "" {
		t.Errorf("get_all_packages: %s", msg)
	}
}

// TestCLIDBPathSpecialCharacters checks that --db names the file it is given
// even when the path holds characters that mean something in a URL.
func TestCLIDBPathSpecialCharacters(t *testing.T) {
	t.Parallel()
	for title, name := range map[string]string{"hash": "my#1.db", "question mark": "what?.db", "percent": "50%.db", "space": "a b.db"} {
		// The subtest is not named after the file: its temporary folder
		// would then hold the character too.
		t.Run(title, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cliOK(t, "migrate", "--db", filepath.Join(dir, name))
			entries, _ := os.ReadDir(dir)
			var files []string
			for _, e := range entries {
				files = append(files, e.Name())
			}
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("migrate --db %s: the file was not created; the folder holds %q", name, files)
			}
			for _, f := range files {
				if !strings.HasPrefix(f, name) {
					t.Errorf("migrate --db %s wrote %q, another file", name, f)
				}
			}
		})
	}
}

// TestCLIAdminCreate creates admins with the CLI while a server runs on the
// same database.
func TestCLIAdminCreate(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	ts, _ := cliServer(t, db)

	key := cliOK(t, "admin", "create", "--db", db, "--email", "Ops@Example.com", "--name", "Ops", "--password", "s3cret-pass")
	if msg := cliMessage(t, ts.get("get_all_packages", vals("api_key", key))); msg != "" {
		t.Errorf("the new admin's key on the running server: %s", msg)
	}
	v := ts.get("get_user_info", vals("api_key", key, "email", "Ops@Example.com")).JSON(t)
	info, _ := v["user_info"].(map[string]any)
	if info["user_type"] != "Admin" || info["name"] != "Ops" || info["status"] != "1" {
		t.Errorf("get_user_info of the new admin: %v", v)
	}

	// Without --password one is generated and printed; the key stays last.
	res := cliRun(t, "admin", "create", "--db", db, "--email", "ops2@example.com", "--name", "Ops Two")
	if res.code != 0 || !regexp.MustCompile(`(?m)^password: \S{12,}$`).MatchString(res.stdout) {
		t.Errorf("admin create without --password: %s", res)
	}
	if msg := cliMessage(t, ts.get("get_all_packages", vals("api_key", cliLastLine(res.stdout)))); msg != "" {
		t.Errorf("the second admin's key: %s", msg)
	}

	before := ts.snapshot()
	cliFails(t, "Email already exists", "admin", "create", "--db", db, "--email", "ops@example.COM", "--name", "Again", "--password", "x-secret-1")
	cliFails(t, "Email already exists", "admin", "create", "--db", db, "--email", "admin@example.com", "--name", "Again")
	cliFails(t, "e-mail", "admin", "create", "--db", db, "--email", "not-an-address", "--name", "Bad")
	cliFails(t, "e-mail", "admin", "create", "--db", db, "--email", "a@b", "--name", "Bad")
	cliFails(t, "--name", "admin", "create", "--db", db, "--email", "c@example.com")
	if after := ts.snapshot(); after != before {
		t.Errorf("a failed admin create changed the database:\n%s\n%s", before, after)
	}
}

// TestCLIUserAPIKey rotates keys with the CLI while a server runs: the old
// key ends at once, the new one works.
func TestCLIUserAPIKey(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	ts, _ := cliServer(t, db)
	m := ts.newMember("member@example.com", "")
	if msg := cliMessage(t, ts.get("get_flow_campaigns", vals("api_key", m.Key))); msg != "" {
		t.Fatalf("the member's first key: %s", msg)
	}

	key1 := cliOK(t, "user", "apikey", "--db", db, "--email", "MEMBER@example.com")
	if key1 == m.Key || key1 == "" {
		t.Fatalf("user apikey printed %q", key1)
	}
	if msg := cliMessage(t, ts.get("get_flow_campaigns", vals("api_key", m.Key))); msg != cliKeyInvalid {
		t.Errorf("the old key after user apikey: got %q, want %q", msg, cliKeyInvalid)
	}
	if msg := cliMessage(t, ts.get("get_flow_campaigns", vals("api_key", key1))); msg != "" {
		t.Errorf("the new key: %s", msg)
	}

	key2 := cliOK(t, "user", "apikey", "--db", db, "--email", "member@example.com")
	if msg := cliMessage(t, ts.get("get_flow_campaigns", vals("api_key", key1))); msg != cliKeyInvalid {
		t.Errorf("the second-to-last key: got %q, want %q", msg, cliKeyInvalid)
	}
	if msg := cliMessage(t, ts.get("get_flow_campaigns", vals("api_key", key2))); msg != "" {
		t.Errorf("the newest key: %s", msg)
	}

	// The admin's key rotates too, and keeps admin rights.
	adminKey := cliOK(t, "user", "apikey", "--db", db, "--email", "admin@example.com")
	if msg := cliMessage(t, ts.get("get_all_packages", vals("api_key", ts.AdminKey))); msg != cliKeyInvalid {
		t.Errorf("the admin's old key: got %q", msg)
	}
	if msg := cliMessage(t, ts.get("get_all_packages", vals("api_key", adminKey))); msg != "" {
		t.Errorf("the admin's new key: %s", msg)
	}

	before := ts.snapshot()
	cliFails(t, "nobody@example.com", "user", "apikey", "--db", db, "--email", "nobody@example.com")
	cliFails(t, "--email", "user", "apikey", "--db", db)
	if after := ts.snapshot(); after != before {
		t.Error("a failed user apikey changed the database")
	}
	if msg := cliMessage(t, ts.get("get_flow_campaigns", vals("api_key", key2))); msg != "" {
		t.Errorf("a failed user apikey ended the member's key: %s", msg)
	}
}

// TestCLIPageConnect connects pages with the CLI and uses them through the
// API of a running server.
func TestCLIPageConnect(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	ts, _ := cliServer(t, db)
	m := ts.newMember("pages@example.com", "")
	other := ts.newMember("other@example.com", "")
	ts.Fake.AddPage("3000000000000001", "tok-1", "Shop")
	ts.Fake.AddPage("3000000000000002", "tok-2", "Blog")

	cliOK(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000001", "--page-name", "Shop", "--access-token", "tok-1")
	r := ts.post("create_label", vals("api_key", m.Key, "page_id", "3000000000000001", "label_name", "VIP"))
	id, _ := r.JSON(t)["label_id"].(string)
	if id == "" {
		t.Fatalf("create_label on the connected page: %s", r.Body)
	}
	labels, _ := ts.get("get_all_labels", vals("api_key", m.Key, "page_id", "3000000000000001")).JSON(t)["label_info"].([]any)
	if len(labels) != 1 || biField(labels[0], "label_id") != id || biField(labels[0], "label_name") != "VIP" {
		t.Errorf("get_all_labels: %v", labels)
	}
	if got := ts.Fake.Labels("3000000000000001"); len(got) != 1 || got[0].Name != "VIP" {
		t.Errorf("Facebook got labels %v, want VIP, made with the page's token", got)
	}

	cliOK(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000002", "--page-name", "Blog",
		"--access-token", "tok-2", "--bot-enabled=false")
	r = ts.post("create_label", vals("api_key", m.Key, "page_id", "3000000000000002", "label_name", "VIP"))
	if msg := cliMessage(t, r); msg != "No Enabled Bot Found" {
		t.Errorf("create_label on a page with the bot off: got %q", msg)
	}

	// Connecting again updates the page: the first one's bot goes off too.
	cliOK(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000001", "--page-name", "Shop",
		"--access-token", "tok-1", "--bot-enabled=false")
	if msg := cliMessage(t, ts.post("create_label", vals("api_key", m.Key, "page_id", "3000000000000001", "label_name", "New"))); msg != "No Enabled Bot Found" {
		t.Errorf("create_label after the bot was turned off: got %q", msg)
	}
	cliOK(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000001", "--page-name", "Shop",
		"--access-token", "tok-1")
	if msg := cliMessage(t, ts.post("create_label", vals("api_key", m.Key, "page_id", "3000000000000001", "label_name", "New"))); msg != "" {
		t.Errorf("create_label after the bot was turned on again: %q", msg)
	}

	before := ts.snapshot()
	cliFails(t, "ghost@example.com", "page", "connect", "--db", db, "--email", "ghost@example.com", "--page-id", "3000000000000003",
		"--page-name", "X", "--access-token", "t")
	cliFails(t, "another user", "page", "connect", "--db", db, "--email", other.Email, "--page-id", "3000000000000001",
		"--page-name", "Stolen", "--access-token", "t")
	cliFails(t, "page", "page", "connect", "--db", db, "--email", m.Email, "--page-id", "12ab", "--page-name", "X", "--access-token", "t")
	cliFails(t, "--access-token", "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000004", "--page-name", "X")
	if after := ts.snapshot(); after != before {
		t.Errorf("a failed page connect changed the database:\n%s\n%s", before, after)
	}
	if msg := cliMessage(t, ts.get("get_all_labels", vals("api_key", other.Key, "page_id", "3000000000000001"))); msg != "No Matching Label Found" {
		t.Errorf("the other user sees the page: %q", msg)
	}
}

// cliFlowFile writes a flow file and returns its path.
func cliFlowFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flow.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cliREADMEFlow is the flow file of the README.
const cliREADMEFlow = `{"flow_name": "Survey",
 "triggers": {"keywords": ["survey"], "payloads": ["START_SURVEY"]},
 "questions": [
   {"question": "Your e-mail?", "type": "email", "reprompt": "That is not an e-mail address."},
   {"question": "Favourite colour?", "type": "choice", "options": ["Red", "Blue"]}],
 "completion_message": "Thank you!"}`

// TestCLIFlowCreate creates flow campaigns from files, and refuses bad
// files without creating anything.
func TestCLIFlowCreate(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	ts, _ := cliServer(t, db)
	m := ts.newMember("flows@example.com", "4000000000000001")
	other := ts.newMember("flows-other@example.com", "4000000000000002")

	id := cliOK(t, "flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID, "--file", cliFlowFile(t, cliREADMEFlow))
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		t.Fatalf("flow create's last line is %q, want the id", id)
	}
	r := ts.get("get_flow_campaign_info", vals("api_key", m.Key, "flow_campaign_id", id))
	if want := `{"id":"` + id + `","flow_name":"Survey","questions":["Your e-mail?","Favourite colour?"]}`; strings.TrimSpace(string(r.Body)) != want {
		t.Errorf("get_flow_campaign_info: got %s, want %s", r.Body, want)
	}
	if r := ts.get("get_flow_campaigns", vals("api_key", m.Key)); strings.TrimSpace(string(r.Body)) != `[{"id":"`+id+`","flow_name":"Survey"}]` {
		t.Errorf("get_flow_campaigns: %s", r.Body)
	}

	options := func(n int, o string) string {
		var list []string
		for i := range n {
			list = append(list, strconv.Quote(fmt.Sprintf("%s%02d", o, i)))
		}
		return `{"flow_name":"F","questions":[{"question":"Q1"},{"question":"Q2","type":"choice","options":[` + strings.Join(list, ",") + `]}]}`
	}
	good := cliFlowFile(t, cliREADMEFlow)
	before := ts.snapshot()
	for _, c := range []struct {
		name, want string
		args       []string
	}{
		{"missing file", "no such file", []string{"--file", filepath.Join(t.TempDir(), "absent.json")}},
		{"invalid JSON", "flow.json", []string{"--file", cliFlowFile(t, `{"flow_name": "F", "questions": [`)}},
		{"not an object", "flow.json", []string{"--file", cliFlowFile(t, `["Q1"]`)}},
		{"no questions", "question", []string{"--file", cliFlowFile(t, `{"flow_name":"F","questions":[]}`)}},
		{"no flow name", "flow_name", []string{"--file", cliFlowFile(t, `{"questions":[{"question":"Q1"}]}`)}},
		{"14 options", "question 2", []string{"--file", cliFlowFile(t, options(14, "o"))}},
		{"option over 20 characters", "question 2", []string{"--file", cliFlowFile(t, `{"flow_name":"F","questions":[{"question":"Q1"},{"question":"Q2","type":"choice","options":["Red","123456789012345678901"]}]}`)}},
		{"unknown type", "slider", []string{"--file", cliFlowFile(t, `{"flow_name":"F","questions":[{"question":"Q1","type":"slider"}]}`)}},
		{"empty question", "question 1", []string{"--file", cliFlowFile(t, `{"flow_name":"F","questions":[{"question":"  "}]}`)}},
		{"unknown e-mail", "nobody@example.com", []string{"--file", good, "--email", "nobody@example.com"}},
		{"another user's page", other.PageID, []string{"--file", good, "--page-id", other.PageID}},
		{"unknown page", "4000000000000009", []string{"--file", good, "--page-id", "4000000000000009"}},
		{"no file flag", "--file", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID}
			cliFails(t, c.want, append(args, c.args...)...)
		})
	}
	// 13 options of 20 characters are Facebook's limits, and allowed.
	cliOK(t, "flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID, "--file",
		cliFlowFile(t, options(13, "abcdefghijklmnopqr")))
	after := ts.snapshot()
	if strings.Count(after, "\nflow_campaigns ") != strings.Count(before, "\nflow_campaigns ")+1 {
		t.Errorf("the refused files created campaigns:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// cliProc is a long-running xerochat process.
type cliProc struct {
	cmd    *exec.Cmd
	stdout *cliOutput
	stderr *cliOutput
	done   chan struct{}
	err    error // of Wait, once done is closed
}

// cliOutput collects a process's output and tells waiters when it grows.
type cliOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (o *cliOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(p)
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *cliOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// cliStart starts the binary; the process is killed at the end of the test
// if still running.
func cliStart(t *testing.T, args ...string) *cliProc {
	t.Helper()
	cmd := exec.Command(xerochatBinary(t), args...)
	cmd.Env = cliEnv()
	cmd.Dir = t.TempDir()
	p := &cliProc{cmd: cmd, stdout: &cliOutput{changed: make(chan struct{}, 1)},
		stderr: &cliOutput{changed: make(chan struct{}, 1)}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitFor waits, at most a minute, until re matches the standard output,
// and returns the match; it fails the test if the process ends first.
func (p *cliProc) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for {
		if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
			return m
		}
		select {
		case <-p.stdout.changed:
		case <-p.done:
			if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
				return m
			}
			t.Fatalf("xerochat ended (%v) before printing %s\nstdout:\n%s\nstderr:\n%s", p.err, re, p.stdout, p.stderr)
		case <-timeout.C:
			t.Fatalf("xerochat did not print %s within a minute\nstdout:\n%s\nstderr:\n%s", re, p.stdout, p.stderr)
		}
	}
}

// stop sends SIGTERM and checks that the process exits 0 within seconds.
func (p *cliProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("after SIGTERM xerochat exited with %v, want 0\nstderr:\n%s", p.err, p.stderr)
		}
	case <-timeout.C:
		t.Errorf("xerochat did not exit within 15 seconds of SIGTERM\nstderr:\n%s", p.stderr)
	}
}

var cliServing = regexp.MustCompile(`serving the API at (http://\S+)/api/`)

// cliClient calls a server that runs as a process.
type cliClient struct {
	t    *testing.T
	base string
}

func (c cliClient) call(method, path string, params url.Values) (int, any, string) {
	c.t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, c.base+"/api/"+path+"?"+params.Encode(), nil)
	} else {
		req, _ = http.NewRequest(method, c.base+"/api/"+path, strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r := biDo(c.t, req)
	var v any
	json.Unmarshal(r.Body, &v)
	return r.Status, v, string(r.Body)
}

// ok calls an endpoint that must succeed and returns the answer if it is
// an object.
func (c cliClient) ok(method, path string, params url.Values) map[string]any {
	c.t.Helper()
	status, v, body := c.call(method, path, params)
	if status != http.StatusOK || v == nil || biField(v, "status") == "error" {
		c.t.Errorf("%s %s: want success, got HTTP %d %s", method, path, status, body)
	}
	obj, _ := v.(map[string]any)
	return obj
}

// message calls an endpoint and returns its error message ("" on success).
func (c cliClient) message(method, path string, params url.Values) string {
	c.t.Helper()
	status, v, body := c.call(method, path, params)
	if status != http.StatusOK || v == nil {
		c.t.Errorf("%s %s: HTTP %d %s", method, path, status, body)
	}
	msg, _ := biField(v, "message").(string)
	if biField(v, "status") != "error" {
		return ""
	}
	return msg
}

// TestCLIServeProcess runs serve as a process, uses it, runs every other
// command on its database while it serves, and stops it with SIGTERM.
func TestCLIServeProcess(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	fake := fakegraph.New()
	t.Cleanup(fake.Close)
	p := cliStart(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--graph-url", fake.URL(),
		"--admin-email", "root@example.com", "--log-format", "json")
	c := cliClient{t: t, base: p.waitFor(t, cliServing)[1]}
	adminKey := p.waitFor(t, adminKeyLine)[1]
	if !strings.Contains(p.stdout.String(), "root@example.com") {
		t.Errorf("the first start does not name the admin's e-mail:\n%s", p.stdout)
	}

	res, err := http.Get(c.base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if v := c.ok(http.MethodGet, "get_all_packages", vals("api_key", adminKey)); v != nil {
		if pk, _ := v["packages"].([]any); len(pk) != 1 || biField(pk[0], "package_name") != "Trial" {
			t.Errorf("get_all_packages: %v", v)
		}
	}
	created := c.ok(http.MethodPost, "create_system_user", vals("api_key", adminKey, "name", "Mia", "email", "mia@example.com",
		"password", "secret-pass", "package_id", "1", "expired_date", time.Now().AddDate(1, 0, 0).Format("2006-01-02")))
	if _, ok := created["id"].(float64); !ok {
		t.Fatalf("create_system_user: %v", created)
	}

	// Every command, on the same database, while the server runs.
	if v := cliOK(t, "migrate", "--db", db); !strings.Contains(v, "at migration") {
		t.Errorf("migrate while serving: %q", v)
	}
	opsKey := cliOK(t, "admin", "create", "--db", db, "--email", "ops@example.com", "--name", "Ops", "--password", "s3cret-pass")
	c.ok(http.MethodGet, "get_user_info", vals("api_key", opsKey, "email", "mia@example.com"))
	newOps := cliOK(t, "user", "apikey", "--db", db, "--email", "ops@example.com")
	if msg := c.message(http.MethodGet, "get_all_packages", vals("api_key", opsKey)); msg != cliKeyInvalid {
		t.Errorf("the rotated key on the serving process: got %q, want %q", msg, cliKeyInvalid)
	}
	c.ok(http.MethodGet, "get_all_packages", vals("api_key", newOps))
	miaKey := cliOK(t, "user", "apikey", "--db", db, "--email", "mia@example.com")

	fake.AddPage("5000000000000001", "tok-5", "Cafe")
	cliOK(t, "page", "connect", "--db", db, "--email", "mia@example.com", "--page-id", "5000000000000001", "--page-name", "Cafe",
		"--access-token", "tok-5")
	label, _ := c.ok(http.MethodPost, "create_label", vals("api_key", miaKey, "page_id", "5000000000000001", "label_name", "VIP"))["label_id"].(string)
	if labels, _ := c.ok(http.MethodGet, "get_all_labels", vals("api_key", miaKey, "page_id", "5000000000000001"))["label_info"].([]any); len(labels) != 1 || biField(labels[0], "label_id") != label {
		t.Errorf("get_all_labels after create_label: %v", labels)
	}
	flowID := cliOK(t, "flow", "create", "--db", db, "--email", "mia@example.com", "--page-id", "5000000000000001",
		"--file", cliFlowFile(t, cliREADMEFlow))
	if v := c.ok(http.MethodGet, "get_flow_campaign_info", vals("api_key", miaKey, "flow_campaign_id", flowID)); v["flow_name"] != "Survey" {
		t.Errorf("get_flow_campaign_info of the CLI's flow: %v", v)
	}
	copyTo := filepath.Join(t.TempDir(), "copy.db")
	res2 := cliRun(t, "db", "copy", "--from", db, "--to", copyTo)
	if res2.code != 0 || !strings.Contains(res2.stdout, "verified") {
		t.Errorf("db copy while serving: %s", res2)
	}
	c.ok(http.MethodGet, "get_flow_campaigns", vals("api_key", miaKey))

	p.stop(t)

	// A second start on the same database creates no admin and serves the
	// data of the first.
	p2 := cliStart(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--graph-url", fake.URL())
	c2 := cliClient{t: t, base: p2.waitFor(t, cliServing)[1]}
	if strings.Contains(p2.stdout.String(), "API key") {
		t.Errorf("the second start printed a key:\n%s", p2.stdout)
	}
	c2.ok(http.MethodGet, "get_flow_campaign_info", vals("api_key", miaKey, "flow_campaign_id", flowID))
	p2.stop(t)
}

// cliCurl matches the printed curl lines: a URL, then -d 'name=value' pairs.
var (
	cliCurlURL  = regexp.MustCompile(`curl (?:-X POST )?'(http://[^']+)'`)
	cliCurlData = regexp.MustCompile(`-d '([^'=]+)=([^']*)'`)
)

// TestCLIServeDemo runs serve --demo, tries the curl lines it prints, and
// restarts it on the same database.
func TestCLIServeDemo(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	p := cliStart(t, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", db)
	c := cliClient{t: t, base: p.waitFor(t, cliServing)[1]}
	out := p.stdout.String()
	demoKey := regexp.MustCompile(`Demo member \S+, API key:\s+(\S+)`).FindStringSubmatch(out)
	if demoKey == nil {
		t.Fatalf("no demo member key printed:\n%s", out)
	}
	key := demoKey[1]

	tried := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		m := cliCurlURL.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		u, err := url.Parse(m[1])
		if err != nil {
			t.Errorf("curl line with a bad URL: %s", line)
			continue
		}
		name := strings.TrimPrefix(u.Path, "/api/")
		switch name {
		case "subscriber_information", "get_all_labels", "create_label", "assign_label", "get_contact",
			"get_flow_campaign_info", "get_all_subscriber_flow_info":
		default:
			continue
		}
		if !strings.HasPrefix(m[1], c.base+"/api/") {
			t.Errorf("curl line not for this server (%s): %s", c.base, line)
		}
		method, params := http.MethodGet, u.Query()
		if strings.Contains(line, "-X POST") {
			method, params = http.MethodPost, url.Values{}
			for _, d := range cliCurlData.FindAllStringSubmatch(line, -1) {
				params.Set(d[1], d[2])
			}
		}
		if params.Get("api_key") != key {
			t.Errorf("curl line without the demo key: %s", line)
		}
		tried[name] = true
		v := c.ok(method, name, params)
		switch name {
		case "get_all_subscriber_flow_info":
			if data, _ := v["data"].(map[string]any); len(data) == 0 {
				t.Errorf("the demo flow has no answers: %v", v)
			}
		case "get_all_labels":
			if labels, _ := v["label_info"].([]any); len(labels) < 2 {
				t.Errorf("the demo page has labels %v, want VIP and Newsletter", v)
			}
		}
	}
	if len(tried) != 7 {
		t.Errorf("tried %d of the 7 expected curl lines (%v):\n%s", len(tried), tried, out)
	}
	labels, _ := c.ok(http.MethodGet, "get_all_labels", vals("api_key", key, "page_id", demoPageID))["label_info"].([]any)
	p.stop(t)

	// Restarted on the same file the demo's Facebook knows the page, its
	// people and the labels made before.
	p2 := cliStart(t, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", db)
	c2 := cliClient{t: t, base: p2.waitFor(t, cliServing)[1]}
	if id, _ := c2.ok(http.MethodPost, "create_label", vals("api_key", key, "page_id", demoPageID, "label_name", "After restart"))["label_id"].(string); id == "" {
		t.Error("create_label after a restart gave no label_id")
	}
	var ids []string
	for _, l := range labels {
		ids = append(ids, biField(l, "label_id").(string))
	}
	c2.ok(http.MethodPost, "assign_label", vals("api_key", key, "page_id", demoPageID, "subscriber_id", demoSubscribers[2].PSID,
		"label_ids", strings.Join(ids, ",")))
	if v := c2.ok(http.MethodGet, "subscriber_information", vals("api_key", key, "subscriber_id", demoSubscribers[2].PSID)); v != nil {
		if got := biField(v["subscriber_info"], "labels"); got != strings.Join(ids, ",") {
			t.Errorf("labels after assign_label: %v, want %s", got, strings.Join(ids, ","))
		}
	}
	p2.stop(t)
}

// cliDump is every row of every table of a database.
func cliDump(t *testing.T, db string) string {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), db, sqlstore.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer store.Close()
	return (&testServer{Main: &Main{DB: store}, t: t}).snapshot()
}

// cliPopulate fills a database through a server: two members with one of
// everything, then stops the server, as db copy asks.
func cliPopulate(t *testing.T, db string) (m *member, contact string) {
	t.Helper()
	ts, stop := cliServer(t, db)
	m = ts.newMember("copy@example.com", "6000000000000001")
	_, _, contact, _ = biOwnData(t, ts, m, "7000000000000001")
	o := ts.newMember("copy-other@example.com", "6000000000000002")
	biOwnData(t, ts, o, "7000000000000002")
	ts.post("delete_contact_group", vals("api_key", o.Key, "contact_type_id",
		biNumber(t, ts.post("create_contact_group", vals("api_key", o.Key, "name", "Gone")), "contact_type_id")))
	stop()
	return m, contact
}

var cliCopied = regexp.MustCompile(`^copied ([0-9]+) records from \w+ to \w+; row counts verified$`)

// TestCLIDBCopy copies a SQLite database into a fresh one, keeping ids, and
// refuses a non-empty target unless --overwrite is given.
func TestCLIDBCopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	m, contact := cliPopulate(t, a)
	dumpA := cliDump(t, a)

	res := cliRun(t, "db", "copy", "--from", a, "--to", b)
	if res.code != 0 || !cliCopied.MatchString(cliLastLine(res.stdout)) {
		t.Fatalf("db copy: %s", res)
	}
	for _, table := range []string{"users", "contacts", "flow_answers"} {
		if !regexp.MustCompile(`(?m)^copy: ` + table + ` +[0-9]+/[0-9]+$`).MatchString(res.stderr) {
			t.Errorf("no progress line for %s on stderr:\n%s", table, res.stderr)
		}
	}
	if dumpB := cliDump(t, b); dumpB != dumpA {
		t.Errorf("the copy differs:\nsource:\n%s\ncopy:\n%s", dumpA, dumpB)
	}

	// A server over the copy answers with the same ids and keys.
	ts, stop := cliServer(t, b)
	if ts.AdminKey != "" {
		t.Error("a server over the copy created a new admin")
	}
	r := ts.get("get_contact", vals("api_key", m.Key, "contact_id", contact))
	if got := r.JSON(t)["id"]; got != contact {
		t.Errorf("get_contact %s on the copy: %s", contact, r.Body)
	}
	ts.post("create_contact_group", vals("api_key", m.Key, "name", "Only in B"))
	stop()
	dumpB := cliDump(t, b)

	cliFails(t, "--overwrite", "db", "copy", "--from", a, "--to", b)
	if got := cliDump(t, b); got != dumpB {
		t.Error("a refused copy changed the target")
	}
	if out := cliOK(t, "db", "copy", "--from", a, "--to", b, "--overwrite"); !cliCopied.MatchString(out) {
		t.Errorf("db copy --overwrite printed %q", out)
	}
	if got := cliDump(t, b); got != dumpA {
		t.Errorf("after --overwrite the target differs from the source:\n%s\n%s", dumpA, got)
	}
	t.Run("unreachable source", func(t *testing.T) {
		// The reason must still be one line, however the driver words it.
		cliFails(t, "source", "db", "copy", "--from", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "--to", filepath.Join(dir, "c.db"))
	})
}

// TestCLIDBCopyPostgres copies SQLite into PostgreSQL and back, and checks
// that PostgreSQL's id sequences continue above the copied ids.
func TestCLIDBCopyPostgres(t *testing.T) {
	if !sqlstoretest.Postgres() {
		t.Skip("set " + sqlstoretest.EnvPostgres + " to copy into PostgreSQL")
	}
	t.Parallel()
	dir := t.TempDir()
	a, c := filepath.Join(dir, "a.db"), filepath.Join(dir, "c.db")
	pg := sqlstoretest.URL(t)
	m, contact := cliPopulate(t, a)
	dumpA := cliDump(t, a)

	for _, step := range [][2]string{{a, pg}, {pg, c}} {
		if out := cliOK(t, "db", "copy", "--from", step[0], "--to", step[1]); !cliCopied.MatchString(out) {
			t.Errorf("db copy %s: %q", step[1], out)
		}
	}
	if dumpPG := cliDump(t, pg); dumpPG != dumpA {
		t.Errorf("PostgreSQL differs from the source:\n%s\n%s", dumpA, dumpPG)
	}
	if dumpC := cliDump(t, c); dumpC != dumpA {
		t.Errorf("the round trip differs from the source:\n%s\n%s", dumpA, dumpC)
	}

	// New records on PostgreSQL get ids above the copied ones.
	ts, _ := cliServer(t, pg)
	maxID := func(table string) int64 {
		var n int64
		if err := ts.DB.SQL().QueryRow("SELECT MAX(id) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	maxGroup, maxContact := maxID("contact_groups"), maxID("contacts")
	if r := ts.get("get_contact", vals("api_key", m.Key, "contact_id", contact)); r.JSON(t)["id"] != contact {
		t.Errorf("get_contact on PostgreSQL: %s", r.Body)
	}
	r := ts.post("create_contact_group", vals("api_key", m.Key, "name", "New"))
	group, _ := r.JSON(t)["contact_type_id"].(float64)
	if int64(group) <= maxGroup {
		t.Errorf("create_contact_group after the copy: %s, want an id above %d", r.Body, maxGroup)
	}
	r = ts.post("create_contact", vals("api_key", m.Key, "contact_type_id", strconv.FormatInt(int64(group), 10), "email", "new@example.com"))
	if id, _ := r.JSON(t)["new_contact_id"].(float64); int64(id) <= maxContact {
		t.Errorf("create_contact after the copy: %s, want an id above %d", r.Body, maxContact)
	}
	maxUser := maxID("users")
	adminKey := cliOK(t, "admin", "create", "--db", pg, "--email", "pg-admin@example.com", "--name", "PG", "--password", "s3cret-pass")
	r = ts.post("create_system_user", vals("api_key", adminKey, "name", "N", "email", "n@example.com", "password", "secret-pass",
		"package_id", "1", "expired_date", "2030-01-01"))
	if id, _ := r.JSON(t)["id"].(float64); int64(id) <= maxUser+1 {
		t.Errorf("create_system_user after the copy: %s, want an id above %d", r.Body, maxUser+1)
	}
	if out := cliOK(t, "flow", "create", "--db", pg, "--email", m.Email, "--page-id", m.PageID, "--file", cliFlowFile(t, cliREADMEFlow)); out == "" {
		t.Error("flow create on PostgreSQL after the copy printed no id")
	}
}
