package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// testServer is a real xerochat server on loopback, on a fresh database
// (SQLite, or PostgreSQL when XEROCHAT_TEST_POSTGRES is set), talking to a
// fake Graph server. Tests drive it over HTTP like any client.
type testServer struct {
	*Main
	t        testing.TB
	Fake     *fakegraph.Server
	AdminKey string
	Logs     *bytes.Buffer
	stopOnce *sync.Once
}

// testAppSecret signs the webhook events tests send.
const testAppSecret = "test-app-secret"

var adminKeyLine = regexp.MustCompile(`API key:\s+(\S+)`)

// serverOption adjusts a test server's Main before it starts.
type serverOption func(*Main)

// withTimezone runs the server in the named time zone instead of UTC.
func withTimezone(tz string) serverOption { return func(m *Main) { m.Config.Timezone = tz } }

// withDB runs the server on an existing database URL (a CLI command may
// name it too) instead of a fresh one; the admin key is then only known if
// the database was empty.
func withDB(url string) serverOption { return func(m *Main) { m.Config.DB = url } }

// startServer starts a server and registers its shutdown.
func startServer(t *testing.T, opts ...serverOption) *testServer { return startServerTB(t, opts...) }

// startServerTB is startServer for benchmarks too.
func startServerTB(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	fake := fakegraph.New()
	t.Cleanup(fake.Close)
	var out, logs bytes.Buffer
	m := &Main{
		Config: Config{Addr: "127.0.0.1:0", Timezone: "UTC", AdminEmail: "admin@example.com",
			GraphVersion: "v21.0", Workers: 1, JobLease: 2 * time.Second, FBAppSecret: testAppSecret, FBVerifyToken: "verify-me"},
		Out:      &out,
		Logger:   slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)),
		Facebook: graph.New(fake.URL(), "v21.0"),
	}
	for _, opt := range opts {
		opt(m)
	}
	fresh := m.Config.DB == ""
	if fresh {
		m.Config.DB = sqlstoretest.URL(t)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	ts := &testServer{Main: m, t: t, Fake: fake, Logs: &logs, stopOnce: &sync.Once{}}
	t.Cleanup(ts.Stop)
	if match := adminKeyLine.FindStringSubmatch(out.String()); match != nil {
		ts.AdminKey = match[1]
	} else if fresh {
		t.Fatalf("no admin key printed on first start; output:\n%s", out.String())
	}
	return ts
}

// Stop shuts the server down; it may be called before the test ends.
func (ts *testServer) Stop() {
	ts.stopOnce.Do(func() {
		if err := ts.Close(); err != nil {
			ts.t.Errorf("close server: %v", err)
		}
	})
}

// response is an answer of the server.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value, failing the test if the body
// is not JSON.
func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("answer is not a JSON object (%v): %s", err, r.Body)
	}
	return v
}

// Message returns the message of an error envelope, "" for anything else.
func (r response) Message(t testing.TB) string {
	t.Helper()
	v := r.JSON(t)
	if v["status"] != "error" {
		return ""
	}
	msg, _ := v["message"].(string)
	return msg
}

// do sends a request and reads the whole answer.
func (ts *testServer) do(req *http.Request) response {
	ts.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatalf("read answer: %v", err)
	}
	if ct := res.Header.Get("Content-Type"); req.Method != http.MethodHead && ct != "application/json; charset=utf-8" {
		ts.t.Errorf("%s %s: Content-Type %q, want JSON; body: %s", req.Method, req.URL.Path, ct, body)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// get calls /api/<path> with GET and params in the query string.
func (ts *testServer) get(path string, params url.Values) response {
	ts.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL()+"/api/"+path+"?"+params.Encode(), nil)
	return ts.do(req)
}

// post calls /api/<path> with a form body.
func (ts *testServer) post(path string, params url.Values) response {
	ts.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL()+"/api/"+path, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return ts.do(req)
}

// postJSON calls /api/<path> with a JSON body.
func (ts *testServer) postJSON(path string, body any) response {
	ts.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, ts.URL()+"/api/"+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	return ts.do(req)
}

// vals builds url.Values from name, value pairs.
func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// member is a member account made through the API, with its own page.
type member struct {
	ID     int64
	Email  string
	Key    string
	PageID string
	Page   *xerochat.Page
}

// newMember creates an active member through create_system_user, gives it an
// API key and connects a bot-enabled page that the fake Graph knows.
func (ts *testServer) newMember(email, pageID string) *member {
	ts.t.Helper()
	res := ts.post("create_system_user", vals("api_key", ts.AdminKey, "name", "Member "+email, "email", email,
		"password", "secret-pass", "package_id", "1", "expired_date", time.Now().AddDate(1, 0, 0).Format("2006-01-02")))
	v := res.JSON(ts.t)
	idf, ok := v["id"].(float64)
	if !ok {
		ts.t.Fatalf("create_system_user: %s", res.Body)
	}
	ctx := context.Background()
	key, err := ts.DB.RotateAPIKey(ctx, int64(idf))
	if err != nil {
		ts.t.Fatal(err)
	}
	m := &member{ID: int64(idf), Email: email, Key: key, PageID: pageID}
	if pageID != "" {
		token := "token-" + pageID
		ts.Fake.AddPage(pageID, token, "Page "+pageID)
		m.Page, err = ts.DB.ConnectPage(ctx, &xerochat.Page{UserID: m.ID, PageID: pageID, Name: "Page " + pageID,
			AccessToken: token, BotEnabled: true})
		if err != nil {
			ts.t.Fatal(err)
		}
	}
	return m
}

// addSubscriber makes a person known to the fake Graph and stores them as a
// subscriber of the member's page.
func (ts *testServer) addSubscriber(m *member, psid, first, last string) *xerochat.Subscriber {
	ts.t.Helper()
	ts.Fake.AddUser(m.PageID, psid, fakegraph.Profile{FirstName: first, LastName: last})
	now := time.Now()
	s, err := ts.DB.SaveSubscriber(context.Background(), &xerochat.Subscriber{UserID: m.ID, PageRef: m.Page.ID, PSID: psid,
		FirstName: first, LastName: last, FullName: first + " " + last, SubscribedAt: now, LastInteractionAt: now})
	if err != nil {
		ts.t.Fatal(err)
	}
	return s
}

// addFlow stores a flow campaign with the given questions on the member's page.
func (ts *testServer) addFlow(m *member, name string, questions ...string) *xerochat.FlowCampaign {
	ts.t.Helper()
	ff := xerochat.FlowFile{FlowName: name}
	for _, q := range questions {
		ff.Questions = append(ff.Questions, xerochat.FlowFileQuestion{Question: q})
	}
	fc, err := ff.Campaign(m.ID, m.Page.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	if _, err := ts.DB.CreateFlowCampaign(context.Background(), fc); err != nil {
		ts.t.Fatal(err)
	}
	return fc
}

// snapshot returns every row of the data tables, to prove a call changed
// nothing. last_login_* record API use, not data a call may change; the
// Messenger tables (batches, events, outbox) change with every webhook.
func (ts *testServer) snapshot() string {
	ts.t.Helper()
	return sqlstoretest.Dump(ts.t, ts.DB.SQL(), []string{"users", "pages", "subscribers", "labels", "subscriber_labels",
		"contact_groups", "contacts", "flow_campaigns", "flow_questions", "flow_answers", "packages"},
		"last_login_at", "last_login_ip")
}
