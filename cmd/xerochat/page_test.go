package main

import (
	"context"
	"encoding/json"
	"fmt"
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

// TestCLILabelsSyncPaging imports 60 labels served 25 at a time: all arrive,
// in Facebook's order, with Facebook's ids; a second run changes nothing.
func TestCLILabelsSyncPaging(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	const page = "6100000000000001"
	m := ts.NewMember("sync@example.com", page)
	ts.Fake.SetPageSize(25)
	for i := range 60 {
		ts.Fake.AddLabel(page, fmt.Sprintf("Label %02d", i))
	}
	want := facebookLabels(ts.Fake, page)
	ts.Fake.ResetCalls()

	expectOutput(t, "first sync", syncLabels(t, db, m.Email, page, ts.Fake),
		"imported 60 labels (60 new, 0 renamed, 0 unchanged) for page "+page)
	if got := apiLabels(t, ts, m, page); !slices.Equal(got, want) {
		t.Errorf("get_all_labels after the sync:\n got %v\nwant %v", got, want)
	}
	if n := ts.Fake.CallCount("GET", "/"+page+"/custom_labels"); n != 3 {
		t.Errorf("%d label listing requests, want 3 pages of at most 25", n)
	}
	for _, c := range ts.Fake.Calls() {
		if c.Values.Get("access_token") != "REDACTED" {
			t.Errorf("call %s %s without the page's token", c.Method, c.Path)
		}
	}

	unchanged(t, ts, "a second sync", func() {
		expectOutput(t, "second sync", syncLabels(t, db, m.Email, page, ts.Fake),
			"imported 60 labels (0 new, 0 renamed, 60 unchanged) for page "+page)
	})
	if got := apiLabels(t, ts, m, page); !slices.Equal(got, want) {
		t.Errorf("get_all_labels after the second sync: %v", got)
	}
}

// TestCLILabelsSyncChanges syncs after Facebook's side changed: a renamed
// label is renamed here, a new one is added after the others, and one deleted
// on Facebook is kept, still assigned to its subscriber.
func TestCLILabelsSyncChanges(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	const page = "6100000000000002"
	m := ts.NewMember("changes@example.com", page)
	a := ts.Fake.AddLabel(page, "Alpha")
	b := ts.Fake.AddLabel(page, "Beta")
	c := ts.Fake.AddLabel(page, "Gamma")
	// A label made through the API is already known: the sync leaves it.
	r := ts.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", page, "label_name", "Made here"))
	d, _ := r.JSON(t)["label_id"].(string)
	if d == "" {
		t.Fatalf("create_label: %s", r.Body)
	}
	expectOutput(t, "first sync", syncLabels(t, db, m.Email, page, ts.Fake),
		"imported 4 labels (3 new, 0 renamed, 1 unchanged) for page "+page)
	want := []label{{d, "Made here"}, {a, "Alpha"}, {b, "Beta"}, {c, "Gamma"}}
	if got := apiLabels(t, ts, m, page); !slices.Equal(got, want) {
		t.Fatalf("get_all_labels after the first sync:\n got %v\nwant %v", got, want)
	}
	sub := ts.AddSubscriber(m, "8100000000000001", "Ada", "Lovelace")
	ctx := context.Background()
	for _, id := range []string{b, c} {
		ls, err := ts.DB.FindLabels(ctx, m.Page.ID, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.DB.AssignLabel(ctx, sub.ID, ls[0].ID); err != nil {
			t.Fatal(err)
		}
	}

	// Facebook later: Beta renamed, Gamma deleted, Delta added.
	fb := fakegraph.New()
	t.Cleanup(fb.Close)
	fb.AddPage(page, m.Page.AccessToken, "Page "+page)
	fb.ImportLabel(page, d, "Made here")
	fb.ImportLabel(page, a, "Alpha")
	fb.ImportLabel(page, b, "Beta (renamed)")
	e := fb.AddLabel(page, "Delta")
	expectOutput(t, "sync after the changes", syncLabels(t, db, m.Email, page, fb),
		"imported 4 labels (1 new, 1 renamed, 2 unchanged) for page "+page+
			"; 1 label no longer on Facebook kept (assignments may name them)")
	want = []label{{d, "Made here"}, {a, "Alpha"}, {b, "Beta (renamed)"}, {c, "Gamma"}, {e, "Delta"}}
	if got := apiLabels(t, ts, m, page); !slices.Equal(got, want) {
		t.Errorf("get_all_labels after the changes:\n got %v\nwant %v", got, want)
	}
	if got := subscriberLabels(t, ts.URL, m.Key, sub.PSID); got != b+","+c {
		t.Errorf("subscriber_information labels = %v, want %q: the renamed and the kept label", got, b+","+c)
	}

	unchanged(t, ts, "syncing again", func() {
		expectOutput(t, "sync again", syncLabels(t, db, m.Email, page, fb),
			"imported 4 labels (0 new, 0 renamed, 4 unchanged) for page "+page+
				"; 1 label no longer on Facebook kept (assignments may name them)")
	})
}

// TestCLILabelsConnect checks that page connect imports the page's labels,
// on a first connection and on an update, with the bot on or off, and that
// sync-labels serves a page with its bot off too.
func TestCLILabelsConnect(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("connect@example.com", "")
	const page, off = "6100000000000003", "6100000000000004"
	ts.Fake.AddPage(page, "tok-3", "Shop")
	ts.Fake.AddPage(off, "tok-4", "Quiet")
	ts.Fake.SetPageSize(2)
	x := ts.Fake.AddLabel(page, "X")
	y := ts.Fake.AddLabel(page, "Y")
	z := ts.Fake.AddLabel(page, "Z")
	connect := func(pageID, token string, extra ...string) outcome {
		return runCommand(t, append([]string{"page", "connect", "--db", db, "--email", m.Email, "--page-id", pageID,
			"--page-name", "Shop", "--access-token", token, "--graph-url", ts.Fake.URL()}, extra...)...)
	}

	expectOutput(t, "connect", connect(page, "tok-3"),
		"page "+page+" (Shop) connected for <connect@example.com>, bot enabled: true",
		"imported 3 labels (3 new, 0 renamed, 0 unchanged) for page "+page)
	want := []label{{x, "X"}, {y, "Y"}, {z, "Z"}}
	if got := apiLabels(t, ts, m, page); !slices.Equal(got, want) {
		t.Errorf("get_all_labels after connect:\n got %v\nwant %v", got, want)
	}
	w := ts.Fake.AddLabel(page, "W")
	expectOutput(t, "connect again", connect(page, "tok-3"),
		"page "+page+" (Shop) connected for <connect@example.com>, bot enabled: true",
		"imported 4 labels (1 new, 0 renamed, 3 unchanged) for page "+page)
	want = append(want, label{w, "W"})
	if got := apiLabels(t, ts, m, page); !slices.Equal(got, want) {
		t.Errorf("get_all_labels after connecting again:\n got %v\nwant %v", got, want)
	}

	q := ts.Fake.AddLabel(off, "Q")
	expectOutput(t, "connect with the bot off", connect(off, "tok-4", "--bot-enabled=false"),
		"page "+off+" (Shop) connected for <connect@example.com>, bot enabled: false",
		"imported 1 label (1 new, 0 renamed, 0 unchanged) for page "+off)
	r := ts.Fake.AddLabel(off, "R")
	expectOutput(t, "sync-labels with the bot off", syncLabels(t, db, m.Email, off, ts.Fake),
		"imported 2 labels (1 new, 0 renamed, 1 unchanged) for page "+off)
	// Turning the bot on shows them through the API; connect finds nothing new.
	expectOutput(t, "connect with the bot on", connect(off, "tok-4"),
		"page "+off+" (Shop) connected for <connect@example.com>, bot enabled: true",
		"imported 2 labels (0 new, 0 renamed, 2 unchanged) for page "+off)
	if got := apiLabels(t, ts, m, off); !slices.Equal(got, []label{{q, "Q"}, {r, "R"}}) {
		t.Errorf("get_all_labels of the page imported with its bot off: %v", got)
	}
}

// TestCLILabelsConnectGraphFails checks that page connect still connects when
// only the labels cannot be imported: exit 0, a one-line warning on stderr
// naming the reason, and sync-labels imports them once Facebook answers.
// When the token itself cannot be checked, nothing is stored.
func TestCLILabelsConnectGraphFails(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("down@example.com", "")
	const page = "6100000000000005"
	ts.Fake.AddPage(page, "tok-5", "Shop")
	lbl := ts.Fake.AddLabel(page, "VIP")
	for _, c := range []struct {
		name, reason string
		fail         fakegraph.FBError
	}{
		{"the label listing answers HTTP 500 without an error", "Facebook could not be reached", fakegraph.FBError{HTTPStatus: 500}},
		{"the label listing is rate limited", "Facebook: (#4) Application request limit reached", fakegraph.ErrRateLimit()},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts.Fake.Fail("GET", "/custom_labels", c.fail, 1)
			res := runCommand(t, "page", "connect", "--db", db, "--email", m.Email, "--page-id", page, "--page-name", "Shop",
				"--access-token", "tok-5", "--graph-url", ts.Fake.URL())
			wantOut := "page " + page + " (Shop) connected for <down@example.com>, bot enabled: true\n"
			wantWarn := "labels not imported: "
			hint := "; run xerochat page sync-labels --email down@example.com --page-id " + page + " later"
			lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
			if res.code != 0 || res.stdout != wantOut || len(lines) != 1 || !strings.Contains(lines[0], wantWarn) ||
				!strings.Contains(lines[0], c.reason) || !strings.HasSuffix(lines[0], hint) {
				t.Errorf("want exit 0, stdout %q and one stderr line with %q, %q and %q; got %s", wantOut, wantWarn, c.reason, hint, res)
			}
			if strings.Contains(res.stdout+res.stderr, "tok-5") {
				t.Errorf("the output shows the access token: %s", res)
			}
			p := enabledPage(t, ts, m.ID, page)
			if got := storedLabels(t, ts, p.ID); len(got) != 0 {
				t.Errorf("labels stored although the import failed: %v", got)
			}
		})
	}

	// A token that cannot be checked stores nothing, not even a new token.
	unchanged(t, ts, "a connect whose token cannot be checked", func() {
		for _, c := range []struct{ name, graphURL, token, want string }{
			{"nothing listens", "http://127.0.0.1:1", "tok-new", "Facebook could not be reached"},
			{"expired token", ts.Fake.URL(), "tok-5-expired", "Facebook: Invalid OAuth access token - Cannot parse access token"},
		} {
			res := mustFail(t, "page "+page+" not connected: ", "page", "connect", "--db", db, "--email", m.Email, "--page-id", page,
				"--page-name", "Shop", "--access-token", c.token, "--graph-url", c.graphURL)
			if !strings.Contains(res.stderr, c.want) || strings.Contains(res.stderr, c.token) {
				t.Errorf("%s: want %q and no token in the output; got %s", c.name, c.want, res)
			}
		}
	})

	expectOutput(t, "sync-labels afterwards", syncLabels(t, db, m.Email, page, ts.Fake),
		"imported 1 label (1 new, 0 renamed, 0 unchanged) for page "+page)
	if got := apiLabels(t, ts, m, page); !slices.Equal(got, []label{{lbl, "VIP"}}) {
		t.Errorf("get_all_labels: %v", got)
	}
}

// TestCLILabelsSyncFails checks that sync-labels exits non-zero with a
// one-line reason, changing nothing, when it cannot import.
func TestCLILabelsSyncFails(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	const page, otherPage, badToken = "6100000000000006", "6100000000000007", "6100000000000008"
	m := ts.NewMember("fails@example.com", page)
	other := ts.NewMember("other@example.com", otherPage)
	ts.Fake.AddLabel(page, "VIP")
	// A page whose stored token expired after it was connected.
	ts.Fake.AddPage(badToken, "tok-8-expired", "Expired")
	if _, err := ts.App.ConnectPage(context.Background(), &xerochat.Page{UserID: m.ID, PageID: badToken, Name: "Expired",
		AccessToken: "tok-8-expired", BotEnabled: true}); err != nil {
		t.Fatal(err)
	}
	ts.Fake.ExpireToken("tok-8-expired")
	down := fakegraph.New()
	t.Cleanup(down.Close)
	down.Down(true)
	limited := fakegraph.New()
	t.Cleanup(limited.Close)
	limited.AddPage(page, m.Page.AccessToken, "Page "+page)
	limited.Fail("GET", "/custom_labels", fakegraph.ErrRateLimit(), -1)

	sync := []string{"page", "sync-labels", "--db", db}
	unchanged(t, ts, "a failed sync-labels", func() {
		for _, c := range []struct {
			name, want string
			args       []string
		}{
			{"unknown e-mail", `no user with e-mail "ghost@example.com"`,
				[]string{"--email", "ghost@example.com", "--page-id", page, "--graph-url", ts.Fake.URL()}},
			{"another user's page", "page " + otherPage + " is connected by another user",
				[]string{"--email", m.Email, "--page-id", otherPage, "--graph-url", ts.Fake.URL()}},
			{"page not connected", "user <fails@example.com> has no page 6100000000000009",
				[]string{"--email", m.Email, "--page-id", "6100000000000009", "--graph-url", ts.Fake.URL()}},
			{"expired token", "labels of page " + badToken + " not imported: Facebook: Error validating access token: Session has expired",
				[]string{"--email", m.Email, "--page-id", badToken, "--graph-url", ts.Fake.URL()}},
			{"rate limited", "labels of page " + page + " not imported: Facebook: (#4) Application request limit reached",
				[]string{"--email", m.Email, "--page-id", page, "--graph-url", limited.URL()}},
			{"Graph answers HTTP 500", "labels of page " + page + " not imported: graph: GET /" + page + "/custom_labels: Facebook could not be reached",
				[]string{"--email", m.Email, "--page-id", page, "--graph-url", down.URL()}},
			{"nothing listens", "labels of page " + page + " not imported: graph: GET /" + page + "/custom_labels: Facebook could not be reached",
				[]string{"--email", m.Email, "--page-id", page, "--graph-url", "http://127.0.0.1:1"}},
			{"missing page id", "--page-id is required", []string{"--email", m.Email}},
			{"page id not a number", "a Facebook page id is a number", []string{"--email", m.Email, "--page-id", "shop"}},
			{"stray argument", "unexpected argument", []string{"--email", m.Email, "--page-id", page, "now"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				res := mustFail(t, c.want, append(sync, c.args...)...)
				if res.stdout != "" || strings.Contains(res.stderr, m.Page.AccessToken) || strings.Contains(res.stderr, "tok-8-expired") {
					t.Errorf("want no stdout and no token in the output: %s", res)
				}
			})
		}
	})
	if msg := message(t, ts.Get("get_all_labels", xerochattest.Vals("api_key", other.Key, "page_id", page))); msg != xerochat.MsgNoLabels {
		t.Errorf("get_all_labels of another user's page: %q", msg)
	}
}

// TestCLILabelsFlags checks the help of the page commands and that
// XEROCHAT_GRAPH_URL and XEROCHAT_GRAPH_VERSION set the Graph flags, with the
// flags winning over them.
func TestCLILabelsFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"--help"}, []string{"page connect", "page sync-labels"}},
		{[]string{"page", "sync-labels", "-h"}, []string{"-email", "-page-id", "-graph-url", "-graph-version", "-db", "XEROCHAT_GRAPH_URL", "deleted on Facebook"}},
		{[]string{"page", "connect", "-h"}, []string{"-graph-url", "-graph-version", "XEROCHAT_GRAPH_VERSION", "sync-labels"}},
		{[]string{"serve", "-h"}, []string{"-graph-url", "-graph-version", "https://graph.facebook.com", "v21.0"}},
	} {
		res := runCommand(t, c.args...)
		for _, f := range c.flags {
			if res.code != 0 || !strings.Contains(res.stdout+res.stderr, f) {
				t.Errorf("xerochat %s: want exit 0 and %q in the usage, got %s", strings.Join(c.args, " "), f, res)
			}
		}
	}

	ts, db := serverWithDB(t)
	const page = "6100000000000010"
	m := ts.NewMember("env@example.com", page)
	ts.Fake.AddLabel(page, "VIP")
	run := func(env []string, args ...string) outcome {
		return runWithEnv(t, env, append([]string{"page", "sync-labels", "--db", db, "--email", m.Email, "--page-id", page}, args...)...)
	}
	ts.Fake.ResetCalls()
	expectOutput(t, "env only", run([]string{"XEROCHAT_GRAPH_URL=" + ts.Fake.URL(), "XEROCHAT_GRAPH_VERSION=v19.0"}),
		"imported 1 label (1 new, 0 renamed, 0 unchanged) for page "+page)
	expectOutput(t, "flags over env", run([]string{"XEROCHAT_GRAPH_URL=http://127.0.0.1:1", "XEROCHAT_GRAPH_VERSION=v19.0"},
		"--graph-url", ts.Fake.URL(), "--graph-version", "v20.0"),
		"imported 1 label (0 new, 0 renamed, 1 unchanged) for page "+page)
	var versions []string
	for _, c := range ts.Fake.Calls() {
		versions = append(versions, c.Version)
	}
	if !slices.Equal(versions, []string{"v19.0", "v20.0"}) {
		t.Errorf("Graph versions called: %v, want v19.0 (env) then v20.0 (flag)", versions)
	}
}
