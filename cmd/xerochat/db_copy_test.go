package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// dump is every row of the data tables of a database.
func dump(t *testing.T, db string) string {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), db, sqlstore.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer store.Close()
	return sqlstoretest.Dump(t, store.SQL(), xerochattest.DataTables, "last_login_at", "last_login_ip")
}

// populate fills a database through a server: two members with one of
// everything, then stops the server, as db copy asks.
func populate(t *testing.T, db string) (m *xerochattest.Member, contact string) {
	t.Helper()
	ts := xerochattest.NewServer(t, xerochattest.DatabaseURL(db))
	m = ts.NewMember("copy@example.com", "6000000000000001")
	contact = ownData(t, ts, m, "7000000000000001")
	o := ts.NewMember("copy-other@example.com", "6000000000000002")
	ownData(t, ts, o, "7000000000000002")
	ts.Post("delete_contact_group", xerochattest.Vals("api_key", o.Key, "contact_type_id",
		number(t, ts.Post("create_contact_group", xerochattest.Vals("api_key", o.Key, "name", "Gone")), "contact_type_id")))
	ts.Settle()
	ts.Stop()
	return m, contact
}

// ownData gives member m a subscriber with a label and flow answers, a
// contact group and a contact, made through the API where it can, and
// returns the contact's id.
func ownData(t *testing.T, ts *xerochattest.Server, m *xerochattest.Member, psid string) (contact string) {
	t.Helper()
	sub := ts.AddSubscriber(m, psid, "Ann", "Lee")
	label, _ := success(t, "create_label", ts.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", m.PageID, "label_name", "VIP")))["label_id"].(string)
	if label == "" {
		t.Fatal("create_label gave no label_id")
	}
	success(t, "assign_label", ts.Post("assign_label", xerochattest.Vals("api_key", m.Key, "page_id", m.PageID, "subscriber_id", psid, "label_ids", label)))
	group := number(t, ts.Post("create_contact_group", xerochattest.Vals("api_key", m.Key, "name", "Customers")), "contact_type_id")
	contact = number(t, ts.Post("create_contact", xerochattest.Vals("api_key", m.Key, "contact_type_id", group,
		"email", "c-"+psid+"@example.com", "phone_number", "+1555"+psid, "first_name", "Cy")), "new_contact_id")
	fc := ts.AddFlow(m, "Survey", "Colour?", "Size?")
	for i, q := range fc.Questions {
		if err := ts.DB.SaveAnswer(context.Background(), fc.ID, q.ID, sub.ID, "answer "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	return contact
}

// number is the numeric field key of an answer, as a decimal string.
func number(t *testing.T, r xerochattest.Response, key string) string {
	t.Helper()
	v, ok := r.JSON(t)[key].(float64)
	if !ok {
		t.Fatalf("no numeric %q in %s", key, r.Body)
	}
	return strconv.FormatInt(int64(v), 10)
}

var copiedLine = regexp.MustCompile(`^copied ([0-9]+) records from \w+ to \w+; row counts verified$`)

// TestCLIDBCopy copies a SQLite database into a fresh one, keeping ids, and
// refuses a non-empty target unless --overwrite is given.
func TestCLIDBCopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	m, contact := populate(t, a)
	dumpA := dump(t, a)

	res := runCommand(t, "db", "copy", "--from", a, "--to", b)
	if res.code != 0 || !copiedLine.MatchString(lastLine(res.stdout)) {
		t.Fatalf("db copy: %s", res)
	}
	for _, table := range []string{"users", "contacts", "flow_answers"} {
		if !regexp.MustCompile(`(?m)^copy: ` + table + ` +[0-9]+/[0-9]+$`).MatchString(res.stderr) {
			t.Errorf("no progress line for %s on stderr:\n%s", table, res.stderr)
		}
	}
	if dumpB := dump(t, b); dumpB != dumpA {
		t.Errorf("the copy differs:\nsource:\n%s\ncopy:\n%s", dumpA, dumpB)
	}

	// A server over the copy answers with the same ids and keys.
	ts := xerochattest.NewServer(t, xerochattest.DatabaseURL(b))
	if ts.AdminKey != "" {
		t.Error("a server over the copy created a new admin")
	}
	r := ts.Get("get_contact", xerochattest.Vals("api_key", m.Key, "contact_id", contact))
	if got := r.JSON(t)["id"]; got != contact {
		t.Errorf("get_contact %s on the copy: %s", contact, r.Body)
	}
	ts.Post("create_contact_group", xerochattest.Vals("api_key", m.Key, "name", "Only in B"))
	ts.Stop()
	dumpB := dump(t, b)

	mustFail(t, "--overwrite", "db", "copy", "--from", a, "--to", b)
	if got := dump(t, b); got != dumpB {
		t.Error("a refused copy changed the target")
	}
	if out := mustRun(t, "db", "copy", "--from", a, "--to", b, "--overwrite"); !copiedLine.MatchString(out) {
		t.Errorf("db copy --overwrite printed %q", out)
	}
	if got := dump(t, b); got != dumpA {
		t.Errorf("after --overwrite the target differs from the source:\n%s\n%s", dumpA, got)
	}
	t.Run("unreachable source", func(t *testing.T) {
		// The reason must still be one line, however the driver words it.
		mustFail(t, "source", "db", "copy", "--from", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "--to", filepath.Join(dir, "c.db"))
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
	m, contact := populate(t, a)
	dumpA := dump(t, a)

	for _, step := range [][2]string{{a, pg}, {pg, c}} {
		if out := mustRun(t, "db", "copy", "--from", step[0], "--to", step[1]); !copiedLine.MatchString(out) {
			t.Errorf("db copy %s: %q", step[1], out)
		}
	}
	if dumpPG := dump(t, pg); dumpPG != dumpA {
		t.Errorf("PostgreSQL differs from the source:\n%s\n%s", dumpA, dumpPG)
	}
	if dumpC := dump(t, c); dumpC != dumpA {
		t.Errorf("the round trip differs from the source:\n%s\n%s", dumpA, dumpC)
	}

	// New records on PostgreSQL get ids above the copied ones.
	ts := xerochattest.NewServer(t, xerochattest.DatabaseURL(pg))
	maxID := func(table string) int64 {
		var n int64
		if err := ts.DB.SQL().QueryRow("SELECT MAX(id) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	maxGroup, maxContact := maxID("contact_groups"), maxID("contacts")
	if r := ts.Get("get_contact", xerochattest.Vals("api_key", m.Key, "contact_id", contact)); r.JSON(t)["id"] != contact {
		t.Errorf("get_contact on PostgreSQL: %s", r.Body)
	}
	r := ts.Post("create_contact_group", xerochattest.Vals("api_key", m.Key, "name", "New"))
	group, _ := r.JSON(t)["contact_type_id"].(float64)
	if int64(group) <= maxGroup {
		t.Errorf("create_contact_group after the copy: %s, want an id above %d", r.Body, maxGroup)
	}
	r = ts.Post("create_contact", xerochattest.Vals("api_key", m.Key, "contact_type_id", strconv.FormatInt(int64(group), 10), "email", "new@example.com"))
	if id, _ := r.JSON(t)["new_contact_id"].(float64); int64(id) <= maxContact {
		t.Errorf("create_contact after the copy: %s, want an id above %d", r.Body, maxContact)
	}
	maxUser := maxID("users")
	adminKey := mustRun(t, "admin", "create", "--db", pg, "--email", "pg-admin@example.com", "--name", "PG", "--password", "s3cret-pass")
	r = ts.Post("create_system_user", xerochattest.Vals("api_key", adminKey, "name", "N", "email", "n@example.com", "password", "secret-pass",
		"package_id", "1", "expired_date", "2030-01-01"))
	if id, _ := r.JSON(t)["id"].(float64); int64(id) <= maxUser+1 {
		t.Errorf("create_system_user after the copy: %s, want an id above %d", r.Body, maxUser+1)
	}
	if out := mustRun(t, "flow", "create", "--db", pg, "--email", m.Email, "--page-id", m.PageID, "--file", flowFile(t, readmeFlow)); out == "" {
		t.Error("flow create on PostgreSQL after the copy printed no id")
	}
}
