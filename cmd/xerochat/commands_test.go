package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// The commands run the way an operator runs them, against the same
// database as a running server, and the tests read the result back
// through the API.

// TestCLIMigrate migrates a fresh database, twice.
func TestCLIMigrate(t *testing.T) {
	t.Parallel()
	dbs := []string{filepath.Join(t.TempDir(), "fresh.db")}
	if sqlstoretest.Postgres() {
		dbs = append(dbs, sqlstoretest.URL(t))
	}
	version := regexp.MustCompile(`^(sqlite|postgres) database is at migration [1-9][0-9]*$`)
	for _, db := range dbs {
		first := mustRun(t, "migrate", "--db", db)
		if !version.MatchString(first) {
			t.Errorf("migrate printed %q, want the version", first)
		}
		if again := mustRun(t, "migrate", "--db", db); again != first {
			t.Errorf("a second migrate printed %q, want %q", again, first)
		}
	}
	// The migrated database serves: the first start creates the admin.
	ts := xerochattest.NewServer(t, xerochattest.DatabaseURL(dbs[0]))
	if ts.AdminKey == "" {
		t.Fatal("no admin created on the migrated database")
	}
	if msg := message(t, ts.Get("get_all_packages", xerochattest.Vals("api_key", ts.AdminKey))); msg != "" {
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
			mustRun(t, "migrate", "--db", filepath.Join(dir, name))
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
	ts, db := serverWithDB(t)

	key := mustRun(t, "admin", "create", "--db", db, "--email", "Ops@Example.com", "--name", "Ops", "--password", "s3cret-pass")
	if msg := message(t, ts.Get("get_all_packages", xerochattest.Vals("api_key", key))); msg != "" {
		t.Errorf("the new admin's key on the running server: %s", msg)
	}
	v := ts.Get("get_user_info", xerochattest.Vals("api_key", key, "email", "Ops@Example.com")).JSON(t)
	info, _ := v["user_info"].(map[string]any)
	if info["user_type"] != "Admin" || info["name"] != "Ops" || info["status"] != "1" {
		t.Errorf("get_user_info of the new admin: %v", v)
	}

	// Without --password one is generated and printed; the key stays last.
	res := runCommand(t, "admin", "create", "--db", db, "--email", "ops2@example.com", "--name", "Ops Two")
	if res.code != 0 || !regexp.MustCompile(`(?m)^password: \S{12,}$`).MatchString(res.stdout) {
		t.Errorf("admin create without --password: %s", res)
	}
	if msg := message(t, ts.Get("get_all_packages", xerochattest.Vals("api_key", lastLine(res.stdout)))); msg != "" {
		t.Errorf("the second admin's key: %s", msg)
	}

	unchanged(t, ts, "a failed admin create", func() {
		mustFail(t, xerochat.MsgUserEmailTaken, "admin", "create", "--db", db, "--email", "ops@example.COM", "--name", "Again", "--password", "x-secret-1")
		mustFail(t, xerochat.MsgUserEmailTaken, "admin", "create", "--db", db, "--email", "admin@example.com", "--name", "Again")
		mustFail(t, "e-mail", "admin", "create", "--db", db, "--email", "not-an-address", "--name", "Bad")
		mustFail(t, "e-mail", "admin", "create", "--db", db, "--email", "a@b", "--name", "Bad")
		mustFail(t, "--name", "admin", "create", "--db", db, "--email", "c@example.com")
	})
}

// TestCLIUserAPIKey rotates keys with the CLI while a server runs: the old
// key ends at once, the new one works.
func TestCLIUserAPIKey(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("member@example.com", "")
	if msg := message(t, ts.Get("get_flow_campaigns", xerochattest.Vals("api_key", m.Key))); msg != "" {
		t.Fatalf("the member's first key: %s", msg)
	}

	key1 := mustRun(t, "user", "apikey", "--db", db, "--email", "MEMBER@example.com")
	if key1 == m.Key || key1 == "" {
		t.Fatalf("user apikey printed %q", key1)
	}
	if msg := message(t, ts.Get("get_flow_campaigns", xerochattest.Vals("api_key", m.Key))); msg != xerochat.MsgKeyInvalid {
		t.Errorf("the old key after user apikey: got %q, want %q", msg, xerochat.MsgKeyInvalid)
	}
	if msg := message(t, ts.Get("get_flow_campaigns", xerochattest.Vals("api_key", key1))); msg != "" {
		t.Errorf("the new key: %s", msg)
	}

	key2 := mustRun(t, "user", "apikey", "--db", db, "--email", "member@example.com")
	if msg := message(t, ts.Get("get_flow_campaigns", xerochattest.Vals("api_key", key1))); msg != xerochat.MsgKeyInvalid {
		t.Errorf("the second-to-last key: got %q, want %q", msg, xerochat.MsgKeyInvalid)
	}
	if msg := message(t, ts.Get("get_flow_campaigns", xerochattest.Vals("api_key", key2))); msg != "" {
		t.Errorf("the newest key: %s", msg)
	}

	// The admin's key rotates too, and keeps admin rights.
	adminKey := mustRun(t, "user", "apikey", "--db", db, "--email", "admin@example.com")
	if msg := message(t, ts.Get("get_all_packages", xerochattest.Vals("api_key", ts.AdminKey))); msg != xerochat.MsgKeyInvalid {
		t.Errorf("the admin's old key: got %q", msg)
	}
	if msg := message(t, ts.Get("get_all_packages", xerochattest.Vals("api_key", adminKey))); msg != "" {
		t.Errorf("the admin's new key: %s", msg)
	}

	unchanged(t, ts, "a failed user apikey", func() {
		mustFail(t, "nobody@example.com", "user", "apikey", "--db", db, "--email", "nobody@example.com")
		mustFail(t, "--email", "user", "apikey", "--db", db)
	})
	if msg := message(t, ts.Get("get_flow_campaigns", xerochattest.Vals("api_key", key2))); msg != "" {
		t.Errorf("a failed user apikey ended the member's key: %s", msg)
	}
}

// flowFile writes a flow file and returns its path.
func flowFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flow.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readmeFlow is the flow file of the README.
const readmeFlow = `{"flow_name": "Survey",
 "triggers": {"keywords": ["survey"], "payloads": ["START_SURVEY"]},
 "questions": [
   {"question": "Your e-mail?", "type": "email", "reprompt": "That is not an e-mail address."},
   {"question": "Favourite colour?", "type": "choice", "options": ["Red", "Blue"]}],
 "completion_message": "Thank you!"}`

// TestCLIFlowCreate creates flow campaigns from files, and refuses bad
// files without creating anything.
func TestCLIFlowCreate(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("flows@example.com", "4000000000000001")
	other := ts.NewMember("flows-other@example.com", "4000000000000002")

	id := mustRun(t, "flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID, "--file", flowFile(t, readmeFlow))
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		t.Fatalf("flow create's last line is %q, want the id", id)
	}
	r := ts.Get("get_flow_campaign_info", xerochattest.Vals("api_key", m.Key, "flow_campaign_id", id))
	if want := `{"id":"` + id + `","flow_name":"Survey","questions":["Your e-mail?","Favourite colour?"]}`; strings.TrimSpace(string(r.Body)) != want {
		t.Errorf("get_flow_campaign_info: got %s, want %s", r.Body, want)
	}
	if r := ts.Get("get_flow_campaigns", xerochattest.Vals("api_key", m.Key)); strings.TrimSpace(string(r.Body)) != `[{"id":"`+id+`","flow_name":"Survey"}]` {
		t.Errorf("get_flow_campaigns: %s", r.Body)
	}
	// A flow no one can start is stored, with a warning saying so.
	res := runCommand(t, "flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID,
		"--file", flowFile(t, `{"flow_name": "Orphan", "questions": [{"question": "Q?"}]}`))
	if res.code != 0 || !strings.Contains(res.stderr, "has no trigger") {
		t.Errorf("a flow without trigger: want exit 0 and a warning; got %s", res)
	}
	if res := runCommand(t, "flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID, "--file", flowFile(t, readmeFlow)); strings.Contains(res.stderr, "warning") {
		t.Errorf("a flow with triggers warned: %s", res)
	}

	options := func(n int, o string) string {
		var list []string
		for i := range n {
			list = append(list, strconv.Quote(fmt.Sprintf("%s%02d", o, i)))
		}
		return `{"flow_name":"F","questions":[{"question":"Q1"},{"question":"Q2","type":"choice","options":[` + strings.Join(list, ",") + `]}]}`
	}
	good := flowFile(t, readmeFlow)
	before := ts.Snapshot()
	for _, c := range []struct {
		name, want string
		args       []string
	}{
		{"missing file", "no such file", []string{"--file", filepath.Join(t.TempDir(), "absent.json")}},
		{"invalid JSON", "flow.json", []string{"--file", flowFile(t, `{"flow_name": "F", "questions": [`)}},
		{"not an object", "flow.json", []string{"--file", flowFile(t, `["Q1"]`)}},
		{"no questions", "question", []string{"--file", flowFile(t, `{"flow_name":"F","questions":[]}`)}},
		{"no flow name", "flow_name", []string{"--file", flowFile(t, `{"questions":[{"question":"Q1"}]}`)}},
		{"14 options", "question 2", []string{"--file", flowFile(t, options(14, "o"))}},
		{"option over 20 characters", "question 2", []string{"--file", flowFile(t, `{"flow_name":"F","questions":[{"question":"Q1"},{"question":"Q2","type":"choice","options":["Red","123456789012345678901"]}]}`)}},
		{"unknown type", "slider", []string{"--file", flowFile(t, `{"flow_name":"F","questions":[{"question":"Q1","type":"slider"}]}`)}},
		{"empty question", "question 1", []string{"--file", flowFile(t, `{"flow_name":"F","questions":[{"question":"  "}]}`)}},
		{"unknown e-mail", "nobody@example.com", []string{"--file", good, "--email", "nobody@example.com"}},
		{"another user's page", other.PageID, []string{"--file", good, "--page-id", other.PageID}},
		{"unknown page", "4000000000000009", []string{"--file", good, "--page-id", "4000000000000009"}},
		{"no file flag", "--file", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID}
			mustFail(t, c.want, append(args, c.args...)...)
		})
	}
	// 13 options of 20 characters are Facebook's limits, and allowed.
	mustRun(t, "flow", "create", "--db", db, "--email", m.Email, "--page-id", m.PageID, "--file",
		flowFile(t, options(13, "abcdefghijklmnopqr")))
	after := ts.Snapshot()
	if strings.Count(after, "\nflow_campaigns ") != strings.Count(before, "\nflow_campaigns ")+1 {
		t.Errorf("the refused files created campaigns:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
