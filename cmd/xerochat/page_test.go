package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// The page tests run `xerochat page connect` and `xerochat page
// sync-labels` as processes against a fake Facebook, on the database of a
// running server, and read the result back through the API.

// label is a label as get_all_labels shows it.
type label struct{ ID, Name string }

// apiLabels lists the page's labels through get_all_labels, in the order
// answered, checking that ids and names are JSON strings.
func apiLabels(t *testing.T, ts *xerochattest.Server, m *xerochattest.Member, pageID string) []label {
	t.Helper()
	r := ts.Get("get_all_labels", xerochattest.Vals("api_key", m.Key, "page_id", pageID))
	var v struct {
		Status    string `json:"status"`
		LabelInfo *[]struct {
			ID   string `json:"label_id"`
			Name string `json:"label_name"`
		} `json:"label_info"`
	}
	if err := json.Unmarshal(r.Body, &v); err != nil || v.Status != "success" || v.LabelInfo == nil {
		t.Fatalf("get_all_labels: want success with label_info an array of string label_id and label_name (%v): %s", err, r.Body)
	}
	out := []label{}
	for _, l := range *v.LabelInfo {
		out = append(out, label{l.ID, l.Name})
	}
	return out
}

// storedLabels lists the page's labels from the database (get_all_labels
// does not show a page with its bot off).
func storedLabels(t *testing.T, ts *xerochattest.Server, pageRef int64) []label {
	t.Helper()
	list, err := ts.DB.ListLabels(context.Background(), pageRef)
	if err != nil {
		t.Fatal(err)
	}
	out := []label{}
	for _, l := range list {
		out = append(out, label{l.LabelID, l.Name})
	}
	return out
}

// facebookLabels is what the fake lists for the page, as pairs.
func facebookLabels(fb *fakegraph.Server, pageID string) []label {
	out := []label{}
	for _, l := range fb.Labels(pageID) {
		out = append(out, label{l.ID, l.Name})
	}
	return out
}

// syncLabels runs page sync-labels against the fake and returns the result.
func syncLabels(t *testing.T, db, email, pageID string, fb *fakegraph.Server) outcome {
	t.Helper()
	return runCommand(t, "page", "sync-labels", "--db", db, "--email", email, "--page-id", pageID, "--graph-url", fb.URL())
}

// expectOutput checks that a command succeeded with exactly the given stdout
// lines and nothing on stderr.
func expectOutput(t *testing.T, what string, res outcome, stdout ...string) {
	t.Helper()
	want := strings.Join(stdout, "\n") + "\n"
	if res.code != 0 || res.stdout != want || res.stderr != "" {
		t.Errorf("%s: want exit 0 and stdout\n%s\ngot %s", what, want, res)
	}
}

// enabledPage returns the page row of the member's page.
func enabledPage(t *testing.T, ts *xerochattest.Server, userID int64, pageID string) *xerochat.Page {
	t.Helper()
	p, err := ts.DB.FindEnabledPage(context.Background(), userID, pageID)
	if err != nil {
		t.Fatalf("page %s is not connected with its bot enabled: %v", pageID, err)
	}
	return p
}

// TestCLIPageConnect connects pages with the CLI and uses them through the
// API of a running server.
func TestCLIPageConnect(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("pages@example.com", "")
	other := ts.NewMember("other@example.com", "")
	ts.Fake.AddPage("3000000000000001", "tok-1", "Shop")
	ts.Fake.AddPage("3000000000000002", "tok-2", "Blog")

	mustRun(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000001", "--page-name", "Shop", "--access-token", "tok-1", "--graph-url", ts.Fake.URL())
	r := ts.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", "3000000000000001", "label_name", "VIP"))
	id, _ := r.JSON(t)["label_id"].(string)
	if id == "" {
		t.Fatalf("create_label on the connected page: %s", r.Body)
	}
	if got := apiLabels(t, ts, m, "3000000000000001"); !slices.Equal(got, []label{{id, "VIP"}}) {
		t.Errorf("get_all_labels: %v", got)
	}
	if got := ts.Fake.Labels("3000000000000001"); len(got) != 1 || got[0].Name != "VIP" {
		t.Errorf("Facebook got labels %v, want VIP, made with the page's token", got)
	}

	mustRun(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000002", "--page-name", "Blog",
		"--access-token", "tok-2", "--bot-enabled=false", "--graph-url", ts.Fake.URL())
	r = ts.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", "3000000000000002", "label_name", "VIP"))
	if msg := message(t, r); msg != xerochat.MsgNoEnabledBot {
		t.Errorf("create_label on a page with the bot off: got %q", msg)
	}

	// Connecting again updates the page: the first one's bot goes off too.
	mustRun(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000001", "--page-name", "Shop",
		"--access-token", "tok-1", "--bot-enabled=false", "--graph-url", ts.Fake.URL())
	if msg := message(t, ts.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", "3000000000000001", "label_name", "New"))); msg != xerochat.MsgNoEnabledBot {
		t.Errorf("create_label after the bot was turned off: got %q", msg)
	}
	mustRun(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000001", "--page-name", "Shop",
		"--access-token", "tok-1", "--graph-url", ts.Fake.URL())
	if msg := message(t, ts.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", "3000000000000001", "label_name", "New"))); msg != "" {
		t.Errorf("create_label after the bot was turned on again: %q", msg)
	}

	unchanged(t, ts, "a failed page connect", func() {
		mustFail(t, "ghost@example.com", "page", "connect", "--db", db, "--email", "ghost@example.com", "--page-id", "3000000000000003",
			"--page-name", "X", "--access-token", "t")
		mustFail(t, "another user", "page", "connect", "--db", db, "--email", other.Email, "--page-id", "3000000000000001",
			"--page-name", "Stolen", "--access-token", "tok-1", "--graph-url", ts.Fake.URL())
		mustFail(t, "page 3000000000000003 not connected: Facebook: Invalid OAuth access token", "page", "connect", "--db", db,
			"--email", m.Email, "--page-id", "3000000000000003", "--page-name", "X", "--access-token", "expired", "--graph-url", ts.Fake.URL())
		mustFail(t, "belongs to 3000000000000002, not to page 3000000000000001", "page", "connect", "--db", db,
			"--email", m.Email, "--page-id", "3000000000000001", "--page-name", "X", "--access-token", "tok-2", "--graph-url", ts.Fake.URL())
		mustFail(t, "page 3000000000000001 not connected: graph: GET /me: Facebook could not be reached", "page", "connect", "--db", db,
			"--email", m.Email, "--page-id", "3000000000000001", "--page-name", "X", "--access-token", "tok-1", "--graph-url", "http://127.0.0.1:1")
		mustFail(t, "page", "page", "connect", "--db", db, "--email", m.Email, "--page-id", "12ab", "--page-name", "X", "--access-token", "t")
		mustFail(t, "no page access token", "page", "connect", "--db", db, "--email", m.Email, "--page-id", "3000000000000004", "--page-name", "X")
	})
	if msg := message(t, ts.Get("get_all_labels", xerochattest.Vals("api_key", other.Key, "page_id", "3000000000000001"))); msg != xerochat.MsgNoLabels {
		t.Errorf("the other user sees the page: %q", msg)
	}
}

// TestCLIPageConnectSubscribes checks that the app is subscribed to the
// page's webhook while the bot is on, and unsubscribed when it goes off.
func TestCLIPageConnectSubscribes(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("subscribe@example.com", "")
	const page = "3100000000000001"
	ts.Fake.AddPage(page, "tok-s", "Shop")
	connect := func(extra ...string) {
		t.Helper()
		mustRun(t, append([]string{"page", "connect", "--db", db, "--email", m.Email, "--page-id", page, "--page-name", "Shop",
			"--access-token", "tok-s", "--graph-url", ts.Fake.URL()}, extra...)...)
	}
	subscribed := func(want bool) {
		t.Helper()
		fields, on := ts.Fake.Subscription(page)
		if on != want || want && !slices.Equal(fields, xerochat.WebhookFields) {
			t.Errorf("subscription %v %v, want subscribed %v to %v", on, fields, want, xerochat.WebhookFields)
		}
	}
	connect("--bot-enabled=false")
	subscribed(false)
	connect()
	subscribed(true)
	connect("--bot-enabled=false")
	subscribed(false)
}

// TestCLIPageConnectTokenSources checks that the page token may come from
// the environment or standard input instead of the command line.
func TestCLIPageConnectTokenSources(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("tokens@example.com", "")
	ts.Fake.AddPage("3200000000000001", "tok-env", "Env")
	ts.Fake.AddPage("3200000000000002", "tok-stdin", "Stdin")
	args := func(page string) []string {
		return []string{"page", "connect", "--db", db, "--email", m.Email, "--page-id", page, "--page-name", "P", "--graph-url", ts.Fake.URL()}
	}
	if res := runWithInput(t, []string{"XEROCHAT_PAGE_TOKEN=tok-env"}, "", args("3200000000000001")...); res.code != 0 {
		t.Fatalf("token from XEROCHAT_PAGE_TOKEN: %s", res)
	}
	if res := runWithInput(t, nil, "tok-stdin\n", append(args("3200000000000002"), "--access-token", "-")...); res.code != 0 {
		t.Fatalf("token from standard input: %s", res)
	}
	for page, token := range map[string]string{"3200000000000001": "tok-env", "3200000000000002": "tok-stdin"} {
		if p := enabledPage(t, ts, m.ID, page); p.AccessToken != token {
			t.Errorf("page %s stored token %q, want %q", page, p.AccessToken, token)
		}
	}
	if res := runWithInput(t, nil, "\n", append(args("3200000000000003"), "--access-token", "-")...); res.code == 0 ||
		!strings.Contains(res.stderr, "no page access token") {
		t.Errorf("an empty standard input: %s", res)
	}
}
