package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestPostgresRequired makes a CI run that asked for PostgreSQL fail when
// the suite would silently run on SQLite instead.
func TestPostgresRequired(t *testing.T) {
	if os.Getenv("XEROCHAT_REQUIRE_POSTGRES") == "" {
		t.Skip("XEROCHAT_REQUIRE_POSTGRES not set")
	}
	if !sqlstoretest.Postgres() {
		t.Fatalf("XEROCHAT_REQUIRE_POSTGRES is set but %s is empty: the PostgreSQL run would be skipped", sqlstoretest.EnvPostgres)
	}
	if d := sqlstoretest.Open(t).Dialect(); d != sqlstore.Postgres {
		t.Fatalf("tests run on %s, want postgres", d)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in      string
		dialect sqlstore.Dialect
		wantErr bool
	}{
		{"xerochat.db", sqlstore.SQLite, false},
		{"/var/lib/x.db", sqlstore.SQLite, false},
		{"sqlite:x.db", sqlstore.SQLite, false},
		{"sqlite:///tmp/x.db", sqlstore.SQLite, false},
		{"postgres://u@h/db", sqlstore.Postgres, false},
		{"postgresql://u@h/db", sqlstore.Postgres, false},
		{"", "", true},
		{"sqlite:", "", true},
	} {
		d, _, err := sqlstore.ParseURL(tc.in)
		if (err != nil) != tc.wantErr || d != tc.dialect {
			t.Errorf("ParseURL(%q) = %q, %v; want %q, error %t", tc.in, d, err, tc.dialect, tc.wantErr)
		}
	}
}

// newMember stores a member and returns its id.
func newMember(t *testing.T, db *sqlstore.DB, email string) int64 {
	t.Helper()
	id, err := db.CreateUser(context.Background(), xerochat.NewUser{Name: "M", Email: email, Password: "pw",
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: "2099-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	url := sqlstoretest.URL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlstore.Open(ctx, url, sqlstore.Options{})
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	db, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pkgs, err := db.ListPackages(ctx)
	if err != nil || len(pkgs) != 1 || pkgs[0].Name != "Trial" || pkgs[0].ID != 1 {
		t.Fatalf("packages after repeated migration = %+v, %v; want exactly package 1 Trial", pkgs, err)
	}
}

func TestUserEmailUniqueIgnoringCase(t *testing.T) {
	db := sqlstoretest.Open(t)
	newMember(t, db, "Ann@Example.com")
	_, err := db.CreateUser(context.Background(), xerochat.NewUser{Name: "x", Email: "ann@EXAMPLE.com", Password: "pw", PackageID: 1})
	if xerochat.ErrorCode(err) != xerochat.ECONFLICT || xerochat.ErrorMessage(err) != "Email already exists" {
		t.Fatalf("duplicate e-mail: %v", err)
	}
}

func TestConcurrentKeyRotationLeavesOneKey(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	id := newMember(t, db, "k@example.com")
	keys := make([]string, 20)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := db.RotateAPIKey(ctx, id)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	working := 0
	for _, k := range keys {
		if _, err := db.FindUserByAPIKey(ctx, k); err == nil {
			working++
		}
	}
	if working != 1 {
		t.Fatalf("%d of %d rotated keys work, want exactly 1", working, len(keys))
	}
}

func TestContactUniqueUnderConcurrency(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	uid := newMember(t, db, "c@example.com")
	group, err := db.CreateContactGroup(ctx, uid, "G")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group, Email: "same@example.com"})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				outcomes[xerochat.ErrorMessage(err)]++
			} else {
				outcomes["ok"]++
			}
		}()
	}
	wg.Wait()
	if outcomes["ok"] != 1 || outcomes[xerochat.MsgContactEmailTaken] != 29 {
		t.Fatalf("outcomes = %v; want 1 ok and 29 %q", outcomes, xerochat.MsgContactEmailTaken)
	}
}

// fill puts a little of everything into db, for the copy tests.
func fill(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	uid := newMember(t, db, "fill@example.com")
	if _, err := db.RotateAPIKey(ctx, uid); err != nil {
		t.Fatal(err)
	}
	page, err := db.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: "123456789012345678", Name: "P", AccessToken: "tok", BotEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	label, err := db.SaveLabel(ctx, &xerochat.Label{UserID: uid, PageRef: page.ID, LabelID: "987654321098765432", Name: "VIP"})
	if err != nil {
		t.Fatal(err)
	}
	fc, err := (&xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{{Question: "Q1"}, {Question: "Q2"}}}).Campaign(uid, page.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateFlowCampaign(ctx, fc); err != nil {
		t.Fatal(err)
	}
	group, err := db.CreateContactGroup(ctx, uid, "G")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1234 {
		s := insertSubscriber(t, db, uid, page.ID, fmt.Sprint(9000000000000000+i), "F")
		if i%7 == 0 {
			if err := db.AssignLabel(ctx, s.ID, label.ID); err != nil {
				t.Fatal(err)
			}
		}
		if i%3 == 0 {
			if err := db.SaveAnswer(ctx, fc.ID, fc.Questions[0].ID, s.ID, "answer ✓"); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 10 {
		if _, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group, Email: fmt.Sprintf("c%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteContact(ctx, uid, 3); err != nil {
		t.Fatal(err)
	}
}

// dump is every row of every table, in id order, as text.
func dump(t *testing.T, db *sqlstore.DB) string {
	return sqlstoretest.Dump(t, db.SQL(), sqlstore.Tables)
}

// respondents is every row of flow_respondents, as text.
func respondents(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT campaign_id, subscriber_id, first_answer_id, psid FROM flow_respondents
		ORDER BY campaign_id, subscriber_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out strings.Builder
	for rows.Next() {
		var campaign, subscriber, first int64
		var psid string
		if err := rows.Scan(&campaign, &subscriber, &first, &psid); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&out, campaign, subscriber, first, psid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestCopyRoundTrip copies a filled database to another and back, on the
// databases of this run (SQLite files, or PostgreSQL schemas), and through
// SQLite ↔ PostgreSQL when PostgreSQL is configured.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := sqlstoretest.Open(t)
	fill(t, src)
	mid := sqlstoretest.Open(t)
	var progress int
	if _, err := sqlstore.Copy(ctx, src, mid, sqlstore.CopyOptions{BatchSize: 100, Progress: func(string, int64, int64) { progress++ }}); err != nil {
		t.Fatal(err)
	}
	if progress < 13 {
		t.Errorf("progress reported %d times, want one per batch (at least 13 for 1234 subscribers in batches of 100)", progress)
	}
	// Back into a SQLite file, whatever the run's database is.
	back, err := sqlstore.Open(ctx, t.TempDir()+"/back.db", sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := sqlstore.Copy(ctx, mid, back, sqlstore.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, src), dump(t, back); a != b {
		t.Fatalf("round trip changed the data")
	}
	// flow_respondents is not copied: the triggers rebuild it.
	if a, b := respondents(t, src), respondents(t, back); a != b || a == "" {
		t.Fatalf("flow_respondents after the round trip:\n%.300s\nwant\n%.300s", b, a)
	}
	// New rows after a copy get fresh ids above the copied ones.
	uid, err := mid.CreateContactGroup(ctx, 1, "after copy")
	if err != nil {
		t.Fatalf("insert after copy: %v", err)
	}
	if uid != 2 {
		t.Errorf("first group id after copy = %d, want 2", uid)
	}
	// A non-empty target is refused unless asked.
	if _, err := sqlstore.Copy(ctx, src, mid, sqlstore.CopyOptions{}); err == nil {
		t.Fatal("copy into a non-empty database succeeded without Overwrite")
	}
	if _, err := sqlstore.Copy(ctx, src, mid, sqlstore.CopyOptions{Overwrite: true}); err != nil {
		t.Fatalf("copy with Overwrite: %v", err)
	}
	if a, b := dump(t, src), dump(t, mid); a != b {
		t.Fatal("overwrite copy differs from the source")
	}
}

// TestPostgresJITOff: sessions run without JIT compilation (see
// postgresDSN), unless the URL asks for it.
func TestPostgresJITOff(t *testing.T) {
	if !sqlstoretest.Postgres() {
		t.Skip(sqlstoretest.EnvPostgres + " not set")
	}
	for _, tc := range []struct{ param, want string }{{"", "off"}, {"&jit=on", "on"}} {
		db, err := sqlstore.Open(context.Background(), sqlstoretest.URL(t)+tc.param, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		if err := db.SQL().QueryRow(`SHOW jit`).Scan(&jit); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if jit != tc.want {
			t.Errorf("URL with %q: jit = %s, want %s", tc.param, jit, tc.want)
		}
	}
}
