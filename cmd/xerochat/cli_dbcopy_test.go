package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

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
