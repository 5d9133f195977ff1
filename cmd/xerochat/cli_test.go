package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
