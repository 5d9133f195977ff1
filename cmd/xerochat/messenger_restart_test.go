package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// hcSettle waits until a database has no unprocessed batch and no queued
// message, like ts.settle for a database the test opened itself.
func hcSettle(t testing.TB, db *sqlstore.DB) {
	t.Helper()
	eventually(t, "the workers to finish", func() bool {
		batches, messages, _, err := db.Backlog(context.Background())
		return err == nil && batches == 0 && messages == 0
	})
}

// hcStart starts a server like startServer, but on a given database and
// fake Facebook and with the given number of workers, so that a test can
// stop it and start another on the same data. stop closes it (once); it is
// also called when the test ends.
func hcStart(t *testing.T, dbURL string, fake *fakegraph.Server, workers int) (ts *testServer, stop func()) {
	t.Helper()
	return hcStartVia(t, dbURL, fake.URL(), fake, workers)
}

// hcStartVia is hcStart with the server's Graph calls sent to graphURL (a
// proxy in front of fake).
func hcStartVia(t *testing.T, dbURL, graphURL string, fake *fakegraph.Server, workers int) (ts *testServer, stop func()) {
	t.Helper()
	var out, logs bytes.Buffer
	m := &Main{
		Config: Config{Addr: "127.0.0.1:0", DB: dbURL, Timezone: "UTC", AdminEmail: "admin@example.com",
			GraphVersion: "v21.0", Workers: workers, JobLease: 2 * time.Second, FBAppSecret: testAppSecret, FBVerifyToken: "verify-me"},
		Out:      &out,
		Logger:   slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)),
		Facebook: graph.New(graphURL, "v21.0"),
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := m.Close(); err != nil {
				t.Errorf("close server: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	ts = &testServer{Main: m, t: t, Fake: fake, Logs: &logs}
	if match := adminKeyLine.FindStringSubmatch(out.String()); match != nil {
		ts.AdminKey = match[1]
	}
	return ts, stop
}

// hcHoldingProxy forwards Graph calls to the fake. While holding, a message
// the fake accepted is answered only after a second, unless the caller gives
// up first: the window in which Facebook has taken a message and the
// server does not know it yet.
type hcHoldingProxy struct {
	target   string
	hold     atomic.Bool
	accepted chan struct{} // gets one value per held message
}

func (h *hcHoldingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// The forwarded call is not tied to the caller's: Facebook finishes what
	// it was given even when the caller hangs up.
	req, _ := http.NewRequestWithContext(context.Background(), r.Method, h.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if h.hold.Load() && strings.HasSuffix(r.URL.Path, "/me/messages") && res.StatusCode == http.StatusOK {
		h.accepted <- struct{}{}
		select {
		case <-r.Context().Done():
			return // the server gave up on the call
		case <-time.After(time.Second):
		}
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	w.Write(answer)
}

// TestRestartInProcess stops a server in the middle of a flow and starts
// another on the same database: the flow continues where it was, with
// nothing lost or doubled — whether the last answer was processed before
// the stop or not, and whether the next question had gone out or not.
func TestRestartInProcess(t *testing.T) {
	t.Parallel()
	type env struct {
		ts    *testServer
		proxy *hcHoldingProxy
	}
	tests := []struct {
		name string
		// beforeAnswer runs once question 2 reached the person; beforeStop
		// after the answer to it was posted; afterStop once the server
		// stopped.
		beforeAnswer, beforeStop, afterStop func(t *testing.T, e env)
		// answerLate posts the answer to the second server instead.
		answerLate bool
	}{
		{name: "stopped between two questions", answerLate: true},
		{name: "stopped right after the answer was posted"},
		{name: "stopped while Facebook was taking question 3",
			beforeAnswer: func(t *testing.T, e env) { e.proxy.hold.Store(true) },
			beforeStop:   func(t *testing.T, e env) { <-e.proxy.accepted }},
		{name: "stopped with question 3 waiting for Facebook to come back",
			beforeAnswer: func(t *testing.T, e env) { e.ts.Fake.Down(true) },
			beforeStop: func(t *testing.T, e env) {
				// Tried, refused and put back: no call is in flight.
				eventually(t, "question 3 tried and put back", func() bool {
					return hcCount(t, e.ts.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND last_error <> ''`) == 1
				})
			},
			afterStop: func(t *testing.T, e env) { e.ts.Fake.Down(false) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := fakegraph.New()
			t.Cleanup(fake.Close)
			proxy := &hcHoldingProxy{target: fake.URL(), accepted: make(chan struct{}, 10)}
			proxyServer := httptest.NewServer(proxy)
			t.Cleanup(proxyServer.Close)
			dbURL := sqlstoretest.URL(t)
			first, stopFirst := hcStartVia(t, dbURL, proxyServer.URL, fake, 1)
			e := env{ts: first, proxy: proxy}
			m := first.newMember("restart@example.com", fmt.Sprintf("70000000000090%d", i))
			fc := first.createFlow(m, hcSurvey("Restart", 3))
			p := first.person(m, fmt.Sprintf("250000000000090%d", i), fakegraph.Profile{FirstName: "Re"})
			hcSay(t, p, "start")
			hcWaitSent(t, p, 1)
			hcSay(t, p, "a1")
			hcWaitSent(t, p, 2)
			first.settle()
			if tt.beforeAnswer != nil {
				tt.beforeAnswer(t, e)
			}
			if !tt.answerLate {
				hcSay(t, p, "a2")
			}
			if tt.beforeStop != nil {
				tt.beforeStop(t, e)
			}
			stopFirst()
			if tt.afterStop != nil {
				tt.afterStop(t, e)
			}

			second, _ := hcStart(t, dbURL, fake, 1)
			p.WebhookURL = second.URL() + "/webhook"
			if tt.answerLate {
				hcSay(t, p, "a2")
			}
			hcWaitSent(t, p, 3)
			hcSay(t, p, "a3")
			hcWaitSent(t, p, 4)
			second.settle()
			hcExpectSent(t, p, "Restart Q1?", "Restart Q2?", "Restart Q3?", "Restart done")
			hcExpectAnswers(t, second.URL(), m.Key, fc.ID, p.PSID, "a1", "a2", "a3")
			if n := hcCount(t, second.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
				t.Fatalf("%d subscribers, want 1", n)
			}
		})
	}
}

// hcCluster is a database with a member, a connected page and a survey,
// made directly in the store, for tests that run `xerochat serve`
// processes on it.
type hcCluster struct {
	DBURL string
	DB    *sqlstore.DB
	Fake  *fakegraph.Server
	Key   string // the member's API key
	Page  *xerochat.Page
	Flow  *xerochat.FlowCampaign
	args  []string
}

func hcNewCluster(t *testing.T, pageID, flowName string) *hcCluster {
	t.Helper()
	ctx := context.Background()
	c := &hcCluster{DBURL: sqlstoretest.URL(t), Fake: fakegraph.New()}
	t.Cleanup(c.Fake.Close)
	var err error
	c.DB, err = sqlstore.Open(ctx, c.DBURL, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DB.Close() })
	uid, err := c.DB.CreateUser(ctx, xerochat.NewUser{Name: "Member", Email: "cluster@example.com", Password: "secret-pass",
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: time.Now().AddDate(1, 0, 0).Format(xerochat.DateLayout)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Key, err = c.DB.RotateAPIKey(ctx, uid); err != nil {
		t.Fatal(err)
	}
	c.Fake.AddPage(pageID, "token-"+pageID, "Cluster page")
	c.Page, err = c.DB.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: pageID, Name: "Cluster page",
		AccessToken: "token-" + pageID, BotEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	ff := hcSurvey(flowName, 3)
	if c.Flow, err = ff.Campaign(uid, c.Page.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.CreateFlowCampaign(ctx, c.Flow); err != nil {
		t.Fatal(err)
	}
	c.args = []string{"--fb-app-secret", testAppSecret, "--fb-verify-token", "verify-me", "--job-lease", "2s",
		"--graph-url", c.Fake.URL()}
	return c
}

// serve starts a `xerochat serve` process on the cluster's database.
func (c *hcCluster) serve(t *testing.T, extra ...string) *serveProcess {
	t.Helper()
	return startServeProcess(t, c.DBURL, append(slices.Clone(c.args), extra...)...)
}

// person is someone writing to the cluster's page through the server at
// base.
func (c *hcCluster) person(psid, base string) *fakegraph.Person {
	return c.Fake.Person(c.Page.PageID, psid, fakegraph.Profile{FirstName: "P" + psid[len(psid)-3:]}, base+"/webhook", testAppSecret)
}

// hcKill ends a serve process with SIGKILL: no shutdown at all.
func hcKill(t *testing.T, p *serveProcess) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait() // "signal: killed"; also tells the cleanup not to stop it again
}

// hcCollapse drops immediate repeats: what a person saw, ignoring a
// message sent twice in a row.
func hcCollapse(texts []string) []string {
	return slices.Compact(slices.Clone(texts))
}

// TestRestartKilledProcess kills `xerochat serve` with SIGKILL after each
// webhook it took — at once, once the batch was claimed, once the next
// question was claimed for sending, once the batch was done — and starts a
// new process on the same database each time. The flow continues where it
// was: every answer is stored once and for the right question, and every
// question arrives, in order. A question may arrive twice only when the
// kill fell between Facebook taking it and the server recording that: never
// more, and never out of order.
func TestRestartKilledProcess(t *testing.T) {
	t.Parallel()
	c := hcNewCluster(t, "700000000001001", "Killed")
	proc := c.serve(t)
	p := c.person("2500000000001001", proc.URL)
	want := []string{"Killed Q1?", "Killed Q2?", "Killed Q3?", "Killed done"}
	steps := []struct {
		text string
		// killAt is a count that reaches n at the moment to kill; "" kills
		// as soon as the webhook answered.
		killAt string
		n      int
	}{
		{"start", "", 0},
		{"a1", `SELECT COUNT(*) FROM webhook_batches WHERE attempts > 0`, 2},
		{"a2", `SELECT COUNT(*) FROM outbox WHERE attempts > 0`, 3},
		{"a3", `SELECT COUNT(*) FROM webhook_batches WHERE done_at > 0`, 4},
	}
	for i, step := range steps {
		hcSay(t, p, step.text) // answered 200: the batch is stored
		if step.killAt != "" {
			hcWaitCount(t, c.DB.SQL(), step.killAt, step.n)
		}
		hcKill(t, proc)
		proc = c.serve(t)
		p.WebhookURL = proc.URL + "/webhook"
		eventually(t, fmt.Sprintf("%q after %q", want[i], step.text), func() bool {
			return len(hcCollapse(hcTexts(p.Sent()))) >= i+1
		})
	}
	hcSettle(t, c.DB)
	got := hcTexts(p.Sent())
	if !slices.Equal(hcCollapse(got), want) {
		t.Fatalf("the person saw %q, want %q in order (a repeat at most once)", got, want)
	}
	for _, w := range want {
		if n := strings.Count(strings.Join(got, "\n")+"\n", w+"\n"); n > 2 {
			t.Fatalf("%q arrived %d times", w, n)
		}
	}
	hcExpectAnswers(t, proc.URL, c.Key, c.Flow.ID, p.PSID, "a1", "a2", "a3")
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM flow_answers`); n != 3 {
		t.Fatalf("%d answer rows, want 3", n)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM outbox`); n != len(want) {
		t.Fatalf("%d messages queued, want %d: an event was applied twice", n, len(want))
	}
}

// hcWaitCount polls a count closely until it reaches n, to act at (or just
// after) a moment of the server's work. Counts only grow, so it cannot miss.
func hcWaitCount(t testing.TB, db *sql.DB, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for hcCount(t, db, query) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s to reach %d", query, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRestartIntakeOnlyProcess: a process started with --workers 0 takes
// and stores webhooks but processes none; a second process with workers,
// on the same database, processes them all in order, and then what the
// first one keeps taking.
func TestRestartIntakeOnlyProcess(t *testing.T) {
	t.Parallel()
	c := hcNewCluster(t, "700000000001101", "Intake")
	intake := c.serve(t, "--workers", "0")
	p := c.person("2500000000001101", intake.URL)
	for _, text := range []string{"start", "a1", "a2"} {
		hcSay(t, p, text)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0 AND attempts = 0`); n != 3 {
		t.Fatalf("%d batches stored and untouched, want 3", n)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 0 {
		t.Fatalf("an intake-only process made %d subscribers", n)
	}
	hcExpectSent(t, p)

	worker := c.serve(t) // one worker by default
	hcWaitSent(t, p, 3)
	hcSettle(t, c.DB)
	hcExpectSent(t, p, "Intake Q1?", "Intake Q2?", "Intake Q3?")
	// The intake process goes on taking webhooks; the other one acts.
	hcSay(t, p, "a3")
	hcWaitSent(t, p, 4)
	hcSettle(t, c.DB)
	hcExpectSent(t, p, "Intake Q1?", "Intake Q2?", "Intake Q3?", "Intake done")
	hcExpectAnswers(t, intake.URL, c.Key, c.Flow.ID, p.PSID, "a1", "a2", "a3")
	hcExpectAnswers(t, worker.URL, c.Key, c.Flow.ID, p.PSID, "a1", "a2", "a3")
}

// hcPoll is eventually for goroutines other than the test's: it reports
// the time-out instead of failing the test.
func hcPoll(what string, cond func() bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// TestWebhookTwoProcessesOneDatabase runs two `xerochat serve` processes
// with workers on one database. 20 people run a 3-question flow at once,
// each message posted to the processes in turn, and for some people
// delivered again to the other process: every answer is stored once,
// every person sees their questions once and in order.
func TestWebhookTwoProcessesOneDatabase(t *testing.T) {
	t.Parallel()
	c := hcNewCluster(t, "700000000001201", "Pair")
	var procs [2]*serveProcess
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() { procs[i] = c.serve(t) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	const people = 20
	persons := make([]*fakegraph.Person, people)
	errs := make([]error, people)
	for i := range persons {
		persons[i] = c.person(fmt.Sprintf("2500000000012%02d", i), procs[0].URL)
	}
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
					if err := hcPoll(fmt.Sprintf("message %d to %s", k+1, p.PSID), func() bool { return len(p.Sent()) >= k+1 }); err != nil {
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
	hcSettle(t, c.DB)
	for i, p := range persons {
		hcExpectSent(t, p, "Pair Q1?", "Pair Q2?", "Pair Q3?", "Pair done")
		hcExpectAnswers(t, procs[i%2].URL, c.Key, c.Flow.ID, p.PSID,
			fmt.Sprintf("a1-%d", i), fmt.Sprintf("a2-%d", i), fmt.Sprintf("a3-%d", i))
	}
	// All answers, through get_all_subscriber_flow_info.
	res, err := http.Get(procs[1].URL + "/api/get_all_subscriber_flow_info?" +
		vals("api_key", c.Key, "flow_campaign_id", fmt.Sprint(c.Flow.ID)).Encode())
	if err != nil {
		t.Fatal(err)
	}
	var all struct {
		Data map[string][]struct {
			Answer string `json:"answer"`
		} `json:"data"`
	}
	err = json.NewDecoder(res.Body).Decode(&all)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
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
		if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM `+table); n != want {
			t.Errorf("%d rows in %s, want %d", n, table, want)
		}
	}
	if n := len(c.Fake.AllSent()); n != 4*people {
		t.Errorf("Facebook took %d messages, want %d", n, 4*people)
	}
	for _, p := range procs {
		if logs := hcStderr(p); strings.Contains(logs, "level=ERROR") {
			t.Errorf("a process logged an error:\n%s", logs)
		}
	}
}

// hcStderr is what a serve process has logged so far.
func hcStderr(p *serveProcess) string {
	w := p.cmd.Stderr.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return p.stderr.String()
}
