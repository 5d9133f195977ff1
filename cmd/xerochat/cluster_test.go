package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// cluster is a database with a member, a connected page and a survey, made
// with the kit, for tests that run `xerochat serve` processes on it. The
// kit's own server runs no worker: the processes do the work.
type cluster struct {
	*xerochattest.Server
	dbURL  string
	member *xerochattest.Member
	flow   *xerochat.FlowCampaign
}

func newCluster(t *testing.T, pageID, flowName string) *cluster {
	t.Helper()
	dbURL := sqlstoretest.URL(t)
	s := xerochattest.NewServer(t, xerochattest.DatabaseURL(dbURL), xerochattest.Workers(0))
	m := s.NewMember("cluster@example.com", pageID)
	return &cluster{Server: s, dbURL: dbURL, member: m, flow: s.CreateFlow(m, xerochattest.Survey(flowName, 3))}
}

// args are the flags of a serve process on the cluster's database, then
// extra.
func (c *cluster) args(extra ...string) []string {
	return append([]string{"--db", c.dbURL, "--fb-app-secret", xerochattest.AppSecret, "--fb-verify-token", xerochattest.VerifyToken,
		"--job-lease", "2s", "--graph-url", c.Fake.URL()}, extra...)
}

// serve starts a serve process on the cluster's database.
func (c *cluster) serve(t *testing.T, extra ...string) *process {
	t.Helper()
	return startServe(t, c.args(extra...)...)
}

// person is someone writing to the cluster's page through the process p.
func (c *cluster) person(psid string, p *process) *fakegraph.Person {
	person := c.Person(c.member, psid, fakegraph.Profile{FirstName: "P" + psid[len(psid)-3:]})
	person.WebhookURL = p.URL + "/webhook"
	return person
}

// TestClusterTwoProcessesOneDatabase starts two serve processes at once on
// one database (PostgreSQL in the PostgreSQL run, one SQLite file
// otherwise) and drives them together.
func TestClusterTwoProcessesOneDatabase(t *testing.T) {
	dbURL := sqlstoretest.URL(t)
	// Both start on the empty database at once: migrations take a lock and
	// exactly one of them creates the admin.
	a := launchServe(t, "--db", dbURL, "--graph-url", "http://127.0.0.1:1")
	b := launchServe(t, "--db", dbURL, "--graph-url", "http://127.0.0.1:1")
	a.ready(t)
	b.ready(t)
	admins := 0
	adminKey := a.AdminKey
	for _, p := range []*process{a, b} {
		if p.AdminKey != "" {
			admins++
			adminKey = p.AdminKey
		}
	}
	if admins != 1 {
		t.Fatalf("%d processes created an admin, want exactly 1", admins)
	}

	// A member, made through A. Its id is read from the answer: on
	// PostgreSQL the process that lost the admin race used up a sequence
	// value, so the member need not be user 2.
	r := xerochattest.Post(t, a.URL, "create_system_user", xerochattest.Vals("api_key", adminKey, "name", "M", "email", "m@example.com",
		"password", "pw", "package_id", "1", "expired_date", "2099-12-31"))
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"success"`) {
		t.Fatalf("create_system_user on A: %d %s", r.Status, r.Body)
	}
	memberID := int64(r.JSON(t)["id"].(float64))
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dbURL, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, err := db.RotateAPIKey(ctx, memberID)
	if err != nil {
		t.Fatal(err)
	}

	// What one writes, the other reads.
	r = xerochattest.Post(t, a.URL, "create_contact_group", xerochattest.Vals("api_key", key, "name", "Shared"))
	if string(r.Body) != `{"status":"success","contact_type_id":1}`+"\n" {
		t.Fatalf("create_contact_group on A: %s", r.Body)
	}
	r = xerochattest.Post(t, b.URL, "get_contact_group", xerochattest.Vals("api_key", key, "contact_type_id", "1"))
	if !strings.Contains(string(r.Body), `"type":"Shared"`) {
		t.Fatalf("B does not see A's group: %s", r.Body)
	}

	// 50 concurrent creates of one e-mail, spread over both servers.
	var mu sync.Mutex
	outcomes := map[string]int{}
	var cw sync.WaitGroup
	for i := range 50 {
		cw.Go(func() {
			base := a.URL
			if i%2 == 1 {
				base = b.URL
			}
			r := xerochattest.Post(t, base, "create_contact", xerochattest.Vals("api_key", key, "contact_type_id", "1", "email", "same@example.com"))
			mu.Lock()
			defer mu.Unlock()
			switch body := string(r.Body); {
			case r.Status != http.StatusOK:
				outcomes[fmt.Sprintf("HTTP %d: %s", r.Status, body)]++
			case strings.Contains(body, `"new_contact_id"`):
				outcomes["created"]++
			default:
				outcomes[strings.TrimSpace(body)]++
			}
		})
	}
	cw.Wait()
	taken := `{"status":"error","message":"` + xerochat.MsgContactEmailTaken + `"}`
	if outcomes["created"] != 1 || outcomes[taken] != 49 || len(outcomes) != 2 {
		t.Fatalf("outcomes of 50 concurrent creates: %v", outcomes)
	}

	// Concurrent key rotations leave exactly one working key, on both.
	keys := make([]string, 10)
	var rw sync.WaitGroup
	for i := range keys {
		rw.Go(func() {
			k, err := db.RotateAPIKey(ctx, memberID)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	rw.Wait()
	for _, p := range []*process{a, b} {
		working := 0
		for _, k := range append(keys, key) {
			if r := xerochattest.Post(t, p.URL, "get_flow_campaigns", xerochattest.Vals("api_key", k)); string(r.Body) == "[]\n" {
				working++
			}
		}
		if working != 1 {
			t.Errorf("%s: %d keys work after concurrent rotations, want 1", p.URL, working)
		}
	}
	for _, p := range []*process{a, b} {
		if strings.Contains(p.stderr.String(), "status=500") {
			t.Errorf("a request failed with 500:\n%s", p.stderr)
		}
	}
}

// TestWebhookTwoProcessesOneDatabase runs two `xerochat serve` processes
// with workers on one database. 20 people run a 3-question flow at once,
// each message posted to the processes in turn, and for some people
// delivered again to the other process: every answer is stored once,
// every person sees their questions once and in order.
func TestWebhookTwoProcessesOneDatabase(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "700000000001201", "Pair")
	procs := [2]*process{launchServe(t, c.args()...), launchServe(t, c.args()...)}
	for _, p := range procs {
		p.ready(t)
	}
	const people = 20
	persons := make([]*fakegraph.Person, people)
	errs := make([]error, people)
	for i := range persons {
		persons[i] = c.person(fmt.Sprintf("2500000000012%02d", i), procs[0])
	}
	var wg sync.WaitGroup
	for i, p := range persons {
		wg.Go(func() {
			errs[i] = func() error {
				for k, text := range []string{"start", fmt.Sprintf("a1-%d", i), fmt.Sprintf("a2-%d", i), fmt.Sprintf("a3-%d", i)} {
					p.WebhookURL = procs[(i+k)%2].URL + "/webhook"
					if _, err := p.Say(text); err != nil {
						return err
					}
					if i%4 == 0 {
						// Facebook delivers it again, to the other process.
						p.WebhookURL = procs[(i+k+1)%2].URL + "/webhook"
						if err := p.Redeliver(); err != nil {
							return err
						}
					}
					if err := until(fmt.Sprintf("message %d to %s", k+1, p.PSID), func() bool { return len(p.Sent()) >= k+1 }); err != nil {
						return err
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c.Settle()
	for i, p := range persons {
		xerochattest.ExpectSent(t, p, "Pair Q1?", "Pair Q2?", "Pair Q3?", "Pair done")
		xerochattest.ExpectAnswers(t, procs[i%2].URL, c.member.Key, c.flow.ID, p.PSID,
			fmt.Sprintf("a1-%d", i), fmt.Sprintf("a2-%d", i), fmt.Sprintf("a3-%d", i))
	}
	// All answers, through get_all_subscriber_flow_info.
	r := xerochattest.Get(t, procs[1].URL, "get_all_subscriber_flow_info",
		xerochattest.Vals("api_key", c.member.Key, "flow_campaign_id", fmt.Sprint(c.flow.ID)))
	var all struct {
		Data map[string][]struct {
			Answer string `json:"answer"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &all); err != nil {
		t.Fatalf("get_all_subscriber_flow_info: %v: %s", err, r.Body)
	}
	if len(all.Data) != people {
		t.Fatalf("get_all_subscriber_flow_info lists %d subscribers, want %d", len(all.Data), people)
	}
	for psid, answers := range all.Data {
		if len(answers) != 3 {
			t.Errorf("%s has %d answers, want 3", psid, len(answers))
		}
	}
	for table, want := range map[string]int{"subscribers": people, "flow_answers": 3 * people, "outbox": 4 * people} {
		if n := xerochattest.Count(t, c.DB.SQL(), `SELECT COUNT(*) FROM `+table); n != want {
			t.Errorf("%d rows in %s, want %d", n, table, want)
		}
	}
	if n := len(c.Fake.AllSent()); n != 4*people {
		t.Errorf("Facebook took %d messages, want %d", n, 4*people)
	}
	for _, p := range procs {
		if logs := p.stderr.String(); strings.Contains(logs, "level=ERROR") {
			t.Errorf("a process logged an error:\n%s", logs)
		}
	}
}
