package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// smallTables do not grow with use, so reading them whole is no fault.
var smallTables = []string{"packages", "auth_generation"}

// inherentScans are the statements that cannot help reading a growing
// table whole, each with its reason. A scan by any other statement, or of
// another table by the same one, still fails the test.
var inherentScans = []struct{ table, statement, reason string }{
	{"users", "FROM users WHERE deleted = 0 AND id > ? AND (LOWER(name) LIKE ?",
		"the admin's search for a user by any part of a name or e-mail: no b-tree serves LIKE '%x%' and no owner " +
			"bounds it, so PostgreSQL reads users whole (SQLite walks the id range from the cursor: the same rows)"},
}

// queueIndexes are partial indexes that hold only a queue's pending rows,
// which drain as they are worked: reading one in order, without a
// condition, reads the backlog, not a table that grows with use. Each may
// be read so once per statement (the claim's walk, or a count); a second
// read in the same statement (say, once per candidate row) still fails.
var queueIndexes = []string{"outbox_due", "webhook_batches_heads"}

// inherent tells whether query reading table whole is one of inherentScans.
func inherent(table, query string) bool {
	return slices.ContainsFunc(inherentScans, func(s struct{ table, statement, reason string }) bool {
		return s.table == table && strings.Contains(query, s.statement)
	})
}

// unplannedMethods are the *DB methods the plan test does not call: they
// run at start, in maintenance, or are not queries of the store's own.
var unplannedMethods = []string{"Close", "Count", "CountUsers", "Dialect", "MigrationVersion", "SQL",
	"Pools", "Ready", "SchemaVersion", "Backup",
	// Key maintenance: set at start, and db seal-tokens.
	"SetTokenKeys", "SealsTokens", "ReencryptTokens",
	// A Facebook Login in progress: its primary key, and a sweep on the
	// created_at index, run once per login, not per request.
	"PutFacebookLogin", "TakeFacebookLogin", "DeleteFacebookLogins"}

// TestHotQueriesUseIndexes runs every store method a request or a webhook
// may call on tables seeded large, records each statement the store runs
// (the very text, through the store's trace hook), and EXPLAINs it: a
// statement that reads a growing table whole fails the test.
func TestHotQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.Open(t)
	seedForPlans(t, db, planSeedRows)

	type stmt struct {
		query string
		args  []any
		set   string // a SET LOCAL run just before, in the same transaction
	}
	var mu sync.Mutex
	var seen []stmt
	var set string
	sqlstore.SetTrace(db, func(q string, args []any) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasPrefix(q, "SET LOCAL ") {
			set = q
			return
		}
		if !slices.ContainsFunc(seen, func(s stmt) bool { return s.query == q }) {
			seen = append(seen, stmt{q, slices.Clone(args), set})
		}
		set = ""
	})
	called := exerciseStore(t, ctx, db)
	sqlstore.SetTrace(db, nil)

	// Every method of *DB is either exercised or deliberately left out, so
	// a new hot query cannot escape this test.
	typ := reflect.TypeOf(db)
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if !slices.Contains(called, name) && !slices.Contains(unplannedMethods, name) {
			t.Errorf("method %s is not exercised by the plan test: call it in exerciseStore or list it in unplannedMethods", name)
		}
	}
	if len(seen) < 40 {
		t.Fatalf("traced only %d statements; the trace hook is not seeing the store's queries", len(seen))
	}
	tables := schemaTables(t, db)
	for _, s := range seen {
		if !explainable(s.query) {
			continue
		}
		plan, scans := explain(t, db, tables, s.query, s.args, s.set)
		query := strings.Join(strings.Fields(s.query), " ")
		queueRead := map[string]bool{}
		for _, scan := range scans {
			table, index, _ := strings.Cut(scan, "@")
			if slices.Contains(queueIndexes, index) && !queueRead[index] {
				queueRead[index] = true
				continue
			}
			if !slices.Contains(smallTables, table) && !inherent(table, query) {
				t.Errorf("full scan of %s in\n%s\nplan:\n%s", scan, query, plan)
			}
		}
	}
	t.Logf("checked the plans of %d statements on %s", len(seen), db.Dialect())
}

// explainable tells statements with a plan from savepoints and the like.
func explainable(q string) bool {
	w := strings.ToUpper(strings.Fields(q)[0])
	return w == "SELECT" || w == "INSERT" || w == "UPDATE" || w == "DELETE" || w == "WITH"
}

var (
	// A skip-scan (ANY(a) on an index's first column) walks the whole
	// index, as a scan does.
	sqliteScan = regexp.MustCompile(`^(?:SCAN (\w+)|SEARCH (\w+) USING .*\(ANY\()`)
	// the index a SCAN walks, if any
	sqliteScanIndex = regexp.MustCompile(`^SCAN \w+ USING (?:COVERING )?INDEX (\w+)`)
	aliasRe         = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?`)
)

// schemaTables lists the tables of the schema, the migrations' own
// included, so that a table the web app or a later migration adds is held
// to the rule without being named here.
func schemaTables(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.Dialect() == sqlstore.Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	}
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// explain returns the plan of query and the tables of the schema it reads
// whole ("table@index" where it walks an index without a condition on it). On SQLite only the tables the statement names count: an INSERT's plan also
// lists the foreign-key lookups into child tables that SQLite runs only
// while a deferred constraint violation is outstanding, which never
// happens here (no constraint is deferred).
func explain(t *testing.T, db *sqlstore.DB, tables []string, query string, args []any, set string) (string, []string) {
	t.Helper()
	if db.Dialect() == sqlstore.Postgres {
		return explainPostgres(t, db, query, args, set)
	}
	alias := map[string]string{}
	for _, m := range aliasRe.FindAllStringSubmatch(query, -1) {
		alias[m[1]] = m[1]
		if m[2] != "" && !slices.Contains([]string{"WHERE", "ON", "SET", "JOIN", "ORDER", "GROUP", "LIMIT"}, strings.ToUpper(m[2])) {
			alias[m[2]] = m[1]
		}
	}
	rows, err := db.SQL().Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var plan strings.Builder
	var scans []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&plan, detail)
		if m := sqliteScan.FindStringSubmatch(detail); m != nil {
			if table, ok := alias[m[1]+m[2]]; ok && slices.Contains(tables, table) {
				if ix := sqliteScanIndex.FindStringSubmatch(detail); ix != nil {
					table += "@" + ix[1]
				}
				scans = append(scans, table)
			}
		}
	}
	return plan.String(), scans
}

// pgNode is a node of PostgreSQL's EXPLAIN (FORMAT JSON).
type pgNode struct {
	NodeType  string   `json:"Node Type"`
	Relation  string   `json:"Relation Name"`
	IndexName string   `json:"Index Name"`
	IndexCond string   `json:"Index Cond"`
	Plans     []pgNode `json:"Plans"`
}

// explainPostgres reads a PostgreSQL plan: a sequential scan, or an index
// scan with no condition on the index's first column, reads the table (or
// its index) whole. PostgreSQL checks a condition on a later column of an
// index against every entry, so such a scan counts as a full one.
func explainPostgres(t *testing.T, db *sqlstore.DB, query string, args []any, set string) (string, []string) {
	t.Helper()
	// The plan is the one the statement gets where it runs: after the SET
	// LOCAL its transaction ran before it, if any.
	tx, err := db.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if set != "" {
		if _, err := tx.Exec(set); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
	}
	var raw string
	if err := tx.QueryRow("EXPLAIN (FORMAT JSON) "+sqlstore.Bind(db, query), args...).Scan(&raw); err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	var out []struct{ Plan pgNode }
	if err := json.Unmarshal([]byte(raw), &out); err != nil || len(out) != 1 {
		t.Fatalf("explain %s: %v in %s", query, err, raw)
	}
	var plan strings.Builder
	var scans []string
	var walk func(n pgNode, depth int)
	walk = func(n pgNode, depth int) {
		fmt.Fprintf(&plan, "%s%s %s %s %s\n", strings.Repeat("  ", depth), n.NodeType, n.Relation, n.IndexName, n.IndexCond)
		switch n.NodeType {
		case "Seq Scan":
			scans = append(scans, n.Relation)
		case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
			table, lead := pgIndexLead(t, db, n.IndexName)
			if n.IndexCond == "" || lead != "" && !regexp.MustCompile(`\b`+lead+`\b`).MatchString(n.IndexCond) {
				scans = append(scans, table+"@"+n.IndexName)
			}
		}
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	walk(out[0].Plan, 0)
	return plan.String(), scans
}

// pgIndexLead returns the table of a PostgreSQL index and the name of its
// first column ("" when that is an expression).
func pgIndexLead(t *testing.T, db *sqlstore.DB, index string) (table, lead string) {
	t.Helper()
	err := db.SQL().QueryRow(`SELECT c.relname, COALESCE(a.attname, '') FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indexrelid = $1::regclass`, index).Scan(&table, &lead)
	if err != nil {
		t.Fatalf("index %s: %v", index, err)
	}
	return table, lead
}

// recorder returns a check that adds a method's name to called and fails
// the test if the method failed.
func recorder(t *testing.T, called *[]string) func(name string, err error) {
	return func(name string, err error) {
		t.Helper()
		*called = append(*called, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// exerciseStore calls every store method a request or the Messenger
// workers use, on fresh records among the seeded ones, and returns the
// names of the methods it called.
func exerciseStore(t *testing.T, ctx context.Context, db *sqlstore.DB) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	uid, err := db.CreateUser(ctx, xerochat.NewUser{Name: "P", Email: "plan@example.com", Password: "pw",
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: "2099-01-01"})
	must("CreateUser", err)
	key, err := db.RotateAPIKey(ctx, uid)
	must("RotateAPIKey", err)
	_, err = db.FindUserByAPIKey(ctx, key)
	must("FindUserByAPIKey", err)
	_, err = db.FindUser(ctx, xerochat.UserFilter{ID: uid})
	must("FindUser", err)
	_, err = db.FindUser(ctx, xerochat.UserFilter{Email: "plan@example.com"})
	must("FindUser", err)
	name, status := "Q", 1
	must("UpdateUser", db.UpdateUser(ctx, uid, xerochat.UserUpdate{Name: &name, Status: &status}))
	must("RecordLogin", db.RecordLogin(ctx, uid, "127.0.0.1"))
	_, err = db.ListPackages(ctx)
	must("ListPackages", err)

	group, err := db.CreateContactGroup(ctx, uid, "G")
	must("CreateContactGroup", err)
	_, err = db.FindContactGroup(ctx, uid, group)
	must("FindContactGroup", err)
	must("RenameContactGroup", db.RenameContactGroup(ctx, uid, group, "H"))
	cid, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group, Email: "c@example.com", PhoneNumber: "+100"})
	must("CreateContact", err)
	_, err = db.FindContact(ctx, uid, cid)
	must("FindContact", err)
	first := "F"
	must("UpdateContact", db.UpdateContact(ctx, uid, cid, xerochat.ContactUpdate{FirstName: &first}))
	must("DeleteContact", db.DeleteContact(ctx, uid, cid))
	must("DeleteContactGroup", db.DeleteContactGroup(ctx, uid, group))

	page, err := db.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: "plan-page", Name: "P", AccessToken: "tok", BotEnabled: true})
	must("ConnectPage", err)
	_, err = db.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: "plan-page", Name: "P2", AccessToken: "tok", BotEnabled: true})
	must("ConnectPage", err)
	_, err = db.FindPage(ctx, page.PageID)
	must("FindPage", err)
	_, err = db.FindEnabledPage(ctx, uid, page.PageID)
	must("FindEnabledPage", err)
	must("SetBotEnabled", db.SetBotEnabled(ctx, uid, page.PageID, true))
	_, err = db.FindUserPage(ctx, uid, page.PageID)
	must("FindUserPage", err)
	_, _, err = db.CSVJobCounts(ctx)
	must("CSVJobCounts", err)
	sub := insertSubscriber(t, db, uid, page.ID, "plan-psid", "P")
	label, err := db.SaveLabel(ctx, &xerochat.Label{UserID: uid, PageRef: page.ID, LabelID: "plan-label", Name: "VIP"})
	must("SaveLabel", err)
	must("AssignLabel", db.AssignLabel(ctx, sub.ID, label.ID))
	_, err = db.FindSubscriber(ctx, uid, sub.PSID, "")
	must("FindSubscriber", err)
	_, err = db.FindSubscriber(ctx, uid, sub.PSID, page.PageID)
	must("FindSubscriber", err)
	_, err = db.ListLabels(ctx, page.ID)
	must("ListLabels", err)
	_, err = db.FindLabelByName(ctx, page.ID, "VIP")
	must("FindLabelByName", err)
	_, err = db.FindLabels(ctx, page.ID, []string{"plan-label"})
	must("FindLabels", err)
	must("UnassignLabel", db.UnassignLabel(ctx, sub.ID, label.ID))

	fc := &xerochat.FlowCampaign{UserID: uid, PageRef: page.ID, Name: "F", Keywords: []string{"go"},
		Questions: []*xerochat.FlowQuestion{{Question: "Q1?", Type: "text"}, {Question: "Q2?", Type: "text"}}}
	_, err = db.CreateFlowCampaign(ctx, fc)
	must("CreateFlowCampaign", err)
	_, err = db.ListFlowCampaigns(ctx, uid)
	must("ListFlowCampaigns", err)
	_, err = db.FindFlowCampaign(ctx, uid, fc.ID)
	must("FindFlowCampaign", err)
	must("SaveAnswer", db.SaveAnswer(ctx, fc.ID, fc.Questions[0].ID, sub.ID, "yes"))
	_, err = db.SubscriberAnswers(ctx, fc.ID, sub.PSID)
	must("SubscriberAnswers", err)
	must("EachAnswer", db.EachAnswer(ctx, fc, func(xerochat.FlowAnswer) error { return nil }))

	called = append(called, exerciseMessenger(t, ctx, db, page)...)
	called = append(called, exerciseWeb(t, ctx, db, planFixture{uid: uid, page: page, label: label, fc: fc})...)
	return called
}

// exerciseMessenger runs a webhook batch through every EventTx method, and
// the outbox and profile queues.
func exerciseMessenger(t *testing.T, ctx context.Context, db *sqlstore.DB, page *xerochat.Page) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	batch, err := db.StoreBatch(ctx, page.PageID, []byte(`{}`))
	must("StoreBatch", err)
	// The seeded backlog's lane heads are older: each claim leases one,
	// until this batch, the head of a lane of its own, is the oldest left.
	var claimed *xerochat.WebhookBatch
	for range 100 {
		claimed, err = db.ClaimBatch(ctx, time.Minute)
		must("ClaimBatch", err)
		if claimed == nil || claimed.ID == batch {
			break
		}
	}
	if claimed == nil || claimed.ID != batch {
		t.Fatalf("ClaimBatch = %+v; want batch %d", claimed, batch)
	}
	must("FailBatch", db.FailBatch(ctx, batch, fmt.Errorf("once"), 0))
	at := time.Unix(2_000_000_000, 0)
	ev := xerochat.Event{Key: "plan-event", Kind: xerochat.EventMessage, PageID: page.PageID, PSID: "plan-new-psid", Time: at}
	apply := func(tx xerochat.EventTx, ev xerochat.Event) error {
		p, err := tx.Page(ctx, ev.PageID)
		if err != nil {
			return err
		}
		sid, err := tx.Subscriber(ctx, p, ev.PSID, ev.Time, false)
		if err != nil {
			return err
		}
		fcs, err := tx.Campaigns(ctx, p.ID)
		if err != nil || len(fcs) == 0 {
			return fmt.Errorf("campaigns: %d, %v", len(fcs), err)
		}
		q := fcs[0].Questions[0]
		for _, err := range []error{
			func() error { _, err := tx.Subscriber(ctx, p, ev.PSID, ev.Time, true); return err }(),
			tx.SetReferer(ctx, sid, "ADS"),
			tx.SetContact(ctx, sid, "s@example.com", ""),
			tx.SetSession(ctx, xerochat.FlowSession{SubscriberID: sid, CampaignID: fcs[0].ID, Position: 1}),
			func() error { _, err := tx.Session(ctx, sid); return err }(),
			// a subscriber this batch has not found: read from the table
			func() error { _, err := tx.Session(ctx, 1); return err }(),
			tx.SaveAnswer(ctx, fcs[0].ID, q.ID, sid, "yes"),
			tx.EndSession(ctx, sid),
			tx.Send(ctx, p, sid, xerochat.Outgoing{Text: "hi"}),
			tx.SetLabel(ctx, p, sid, "plan-inbox-label", "Inbox", true),
			tx.SetLabel(ctx, p, sid, "plan-inbox-label", "Inbox", false),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	}
	must("InBatch", db.InBatch(ctx, batch, func(b xerochat.BatchTx) error {
		_, err := b.ApplyEvent(ctx, ev.Key, func(tx xerochat.EventTx) error { return apply(tx, ev) })
		return err
	}))
	_, _, _, err = db.Backlog(ctx)
	must("Backlog", err)
	_, err = db.Lag(ctx)
	must("Lag", err)
	msgs, err := db.ClaimMessages(ctx, time.Minute, 10)
	must("ClaimMessages", err)
	if len(msgs) == 0 {
		t.Fatal("ClaimMessages claimed nothing, with a backlog queued")
	}
	must("RetryMessage", db.RetryMessage(ctx, msgs[0].ID, time.Unix(0, 0), "later"))
	must("ReleaseMessages", db.ReleaseMessages(ctx, msgs[len(msgs)-1:]))
	must("MessagesSent", db.MessagesSent(ctx, map[int64]string{msgs[0].ID: "m1"}))
	must("MessageFailed", db.MessageFailed(ctx, msgs[0].ID, "gone"))
	must("SetPageError", db.SetPageError(ctx, page.ID, "expired"))
	must("SetSubscriberError", db.SetSubscriberError(ctx, msgs[0].SubscriberID, "refused"))
	jobs, err := db.ClaimProfiles(ctx, time.Minute, 10)
	must("ClaimProfiles", err)
	if len(jobs) != 1 {
		t.Fatalf("ClaimProfiles = %d jobs, want 1", len(jobs))
	}
	must("RetryProfile", db.RetryProfile(ctx, jobs[0].SubscriberID, time.Unix(0, 0)))
	must("SaveProfile", db.SaveProfile(ctx, jobs[0].SubscriberID, xerochat.Profile{FirstName: "A"}))
	// The retention's cutoff: 14 days ago, past the rows of today.
	_, _, _, err = db.Prune(ctx, time.Now().Add(-14*24*time.Hour))
	must("Prune", err)
	return called
}
