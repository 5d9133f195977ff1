package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// The label tests run `xerochat page sync-labels` and `page connect` as
// processes against a fake Facebook and compare what the store, the API and
// Facebook hold.

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
