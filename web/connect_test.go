package web_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/web"
	"github.com/xerochat/xerochat/xerochattest"
)

// facebookManager is a person on the fake Facebook who manages three
// pages (the third without the MESSAGING task) and is logged in to
// Facebook in the browser; page 301 has two labels.
const facebookManager = "5000000000000001"

func newFacebookManager(t *testing.T, ws *xerochattest.WebServer) {
	t.Helper()
	f := ws.Fake
	f.AddManager(facebookManager, "Ann on Facebook")
	for _, p := range []struct{ id, name string }{{"301", "Ann's Bakery"}, {"302", "Ann's Cafe"}, {"303", "Ann's Blog"}} {
		f.AddPage(p.id, "own-token-"+p.id, p.name)
	}
	f.ManagePage(facebookManager, "301", "")
	f.ManagePage(facebookManager, "302", "")
	f.ManagePage(facebookManager, "303", "", "ANALYZE", "CREATE_CONTENT")
	f.AddLabel("301", "VIP")
	f.AddLabel("301", "Wholesale")
	f.LogIn(facebookManager)
}

var loginKeyRe = regexp.MustCompile(`name="login" value="([^"]+)"`)

// openDialog presses Connect with Facebook and returns where the server
// sends the browser: the fake's dialog.
func openDialog(t *testing.T, c *xerochattest.WebClient) string {
	t.Helper()
	res := c.PostForm("/app/pages/facebook", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("Connect with Facebook: %d %s", res.Status, res.Body)
	}
	return res.Header.Get("Location")
}

// back has the person press a button of the dialog (the fake's Continue
// or Cancel) and follows Facebook's redirect to the callback.
func back(t *testing.T, c *xerochattest.WebClient, press func(string) (*url.URL, error), dialog string) xerochattest.Response {
	t.Helper()
	u, err := press(dialog)
	if err != nil {
		t.Fatal(err)
	}
	return c.Get(u.RequestURI())
}

// chooseKey reads the choice form's key from the callback's page.
func chooseKey(t *testing.T, res xerochattest.Response) string {
	t.Helper()
	m := loginKeyRe.FindSubmatch(res.Body)
	if res.Status != http.StatusOK || m == nil {
		t.Fatalf("callback: %d, no choice form: %s", res.Status, res.Body)
	}
	return string(m[1])
}

// choose posts the choice of pages.
func choose(c *xerochattest.WebClient, key string, pages ...string) xerochattest.Response {
	form := url.Values{"login": {key}, "page": pages}
	return c.PostForm("/app/pages/facebook/connect", form)
}

// connectPages runs the whole round trip and returns the outcome page.
func connectPages(t *testing.T, ws *xerochattest.WebServer, c *xerochattest.WebClient, pages ...string) string {
	t.Helper()
	res := back(t, c, ws.Fake.Continue, openDialog(t, c))
	out := choose(c, chooseKey(t, res), pages...)
	if out.Status != http.StatusOK {
		t.Fatalf("choose %v: %d %s", pages, out.Status, out.Body)
	}
	return text(out)
}

// text is a page's body with its HTML entities decoded, as a person reads it.
func text(res xerochattest.Response) string {
	return strings.NewReplacer("&#39;", "'", "&amp;", "&", "&quot;", `"`, "&lt;", "<", "&gt;", ">").Replace(string(res.Body))
}

func TestConnectWithFacebookOverHTTP(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)

	pages := text(c.Get("/app/pages"))
	if !strings.Contains(pages, "Connect with Facebook") || !strings.Contains(pages, ws.URL+"/webhook") {
		t.Fatalf("Pages screen without the button or the webhook URL: %s", pages)
	}
	if csp := c.Get("/app/pages").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+ws.Fake.URL()+";") {
		t.Errorf("the Connect form may not redirect to the dialog: %s", csp)
	}
	dialog := openDialog(t, c)
	du, _ := url.Parse(dialog)
	q := du.Query()
	if !strings.HasPrefix(dialog, ws.Fake.URL()+"/v21.0/dialog/oauth?") || q.Get("redirect_uri") != ws.URL+"/app/pages/facebook/callback" ||
		q.Get("scope") != strings.Join(xerochat.LoginPermissions, ",") || len(q.Get("state")) < 40 {
		t.Fatalf("dialog URL %s", dialog)
	}
	res := back(t, c, ws.Fake.Continue, dialog)
	key := chooseKey(t, res)
	body := text(res)
	for _, want := range []string{"Ann's Bakery (301)", "Ann's Cafe (302)", "Ann's Blog (303)", "no messaging task"} {
		if !strings.Contains(body, want) {
			t.Errorf("choice page without %q", want)
		}
	}
	for _, id := range []string{"301", "302", "303"} {
		if tok := ws.Fake.PageToken(facebookManager, id); strings.Contains(body, tok) {
			t.Errorf("page %s's token reached the browser", id)
		}
	}
	if !regexp.MustCompile(`id="page-303"[^>]*disabled`).MatchString(body) {
		t.Errorf("page 303, without MESSAGING, can be ticked")
	}

	out := choose(c, key, "301", "302", "303")
	got := text(out)
	for _, want := range []string{"Ann's Bakery (301)</strong>: Connected, bot on; imported 2 labels (2 new, 0 renamed, 0 unchanged) for page 301.",
		"Ann's Cafe (302)</strong>: Connected, bot on; imported 0 labels"} {
		if !strings.Contains(got, want) {
			t.Errorf("outcome without %q:\n%s", want, got)
		}
	}
	ctx := context.Background()
	for _, id := range []string{"301", "302"} {
		p, err := ws.DB.FindUserPage(ctx, m.ID, id)
		if err != nil || !p.BotEnabled || p.AccessToken != ws.Fake.PageToken(facebookManager, id) {
			t.Errorf("page %s: %+v, %v", id, p, err)
		}
		if fields, on := ws.Fake.Subscription(id); !on || !slices.Equal(fields, xerochat.WebhookFields) {
			t.Errorf("page %s: subscribed %v to %v", id, on, fields)
		}
	}
	if _, err := ws.DB.FindUserPage(ctx, m.ID, "303"); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("page 303 without MESSAGING connected: %v", err)
	}
	if labels := ws.Post("get_all_labels", xerochattest.Vals("api_key", m.Key, "page_id", "301")); !strings.Contains(string(labels.Body), "Wholesale") {
		t.Errorf("labels of 301: %s", labels.Body)
	}
	// The choice is used up: posting it again connects nothing.
	again := choose(c, key, "301")
	if again.Status != http.StatusUnprocessableEntity || !strings.Contains(text(again), app.MsgLoginChoice) {
		t.Errorf("choice used twice: %d %s", again.Status, again.Body)
	}
	// Ticking nothing keeps the choice for a second try.
	res = back(t, c, ws.Fake.Continue, openDialog(t, c))
	key = chooseKey(t, res)
	if !strings.Contains(text(res), "Connected already") {
		t.Errorf("the choice does not say which pages are connected already")
	}
	if none := choose(c, key); none.Status != http.StatusUnprocessableEntity || !strings.Contains(text(none), app.MsgLoginNone) {
		t.Errorf("no page ticked: %d", none.Status)
	}
	if out := choose(c, key, "302"); out.Status != http.StatusOK {
		t.Errorf("choice after an empty one: %d %s", out.Status, out.Body)
	}
}

// A callback whose state is missing, made up, another session's or used
// already is refused and stores nothing; the rightful session can still
// use its own.
func TestConnectRefusesAWrongState(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	ann := ws.NewMember("ann@example.com", "")
	bob := ws.NewMember("bob@example.com", "")
	ac, bc := ws.Client(), ws.Client()
	ac.Login(ann.Email, xerochattest.MemberPassword)
	bc.Login(bob.Email, xerochattest.MemberPassword)
	before := ws.Snapshot()

	bobBack, err := ws.Fake.Continue(openDialog(t, bc))
	if err != nil {
		t.Fatal(err)
	}
	tampered := *bobBack
	q := tampered.Query()
	q.Set("state", q.Get("state")+"x")
	tampered.RawQuery = q.Encode()
	missing := *bobBack
	q = missing.Query()
	q.Del("state")
	missing.RawQuery = q.Encode()
	// Ann's own second browser session, signed in as Ann too, is not the
	// session that opened the dialog either.
	ac2 := ws.Client()
	ac2.Login(ann.Email, xerochattest.MemberPassword)
	annBack, err := ws.Fake.Continue(openDialog(t, ac))
	if err != nil {
		t.Fatal(err)
	}
	for name, try := range map[string]func() xerochattest.Response{
		"tampered state":          func() xerochattest.Response { return bc.Get(tampered.RequestURI()) },
		"no state":                func() xerochattest.Response { return bc.Get(missing.RequestURI()) },
		"another member's state":  func() xerochattest.Response { return ac.Get(bobBack.RequestURI()) },
		"another session's state": func() xerochattest.Response { return ac2.Get(annBack.RequestURI()) },
	} {
		res := try()
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(text(res), app.MsgLoginState) || loginKeyRe.Match(res.Body) {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
		}
	}
	if ws.Snapshot() != before {
		t.Errorf("a refused callback changed data")
	}
	// Bob's own callback still works, once.
	key := chooseKey(t, bc.Get(bobBack.RequestURI()))
	if replay := bc.Get(bobBack.RequestURI()); replay.Status != http.StatusUnprocessableEntity {
		t.Errorf("replayed callback: %d", replay.Status)
	}
	// Ann cannot spend Bob's choice.
	if res := choose(ac, key, "301"); res.Status != http.StatusUnprocessableEntity || !strings.Contains(text(res), app.MsgLoginChoice) {
		t.Errorf("another member's choice: %d %s", res.Status, res.Body)
	}
	if res := choose(bc, key, "301"); res.Status != http.StatusOK || !strings.Contains(text(res), "Connected, bot on") {
		t.Errorf("Bob's choice: %d %s", res.Status, res.Body)
	}
	// Signing out ends a login in progress.
	dialog := openDialog(t, ac)
	ac.PostForm("/logout", nil)
	ac.Login(ann.Email, xerochattest.MemberPassword)
	if res := back(t, ac, ws.Fake.Continue, dialog); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a login outlived its session: %d", res.Status)
	}
}

func TestConnectDeclinedOrMissingPermissions(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	before := ws.Snapshot()

	res := back(t, c, ws.Fake.Cancel, openDialog(t, c))
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(text(res), app.MsgLoginDeclined) ||
		!strings.Contains(text(res), `<button type="submit">Connect with Facebook</button>`) {
		t.Errorf("cancelled dialog: %d %s", res.Status, res.Body)
	}
	// Another error of the dialog, or no code at all, is Facebook's refusal.
	u, err := ws.Fake.Cancel(openDialog(t, c))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("error", "server_error")
	u.RawQuery = q.Encode()
	if res := c.Get(u.RequestURI()); res.Status != http.StatusUnprocessableEntity || !strings.Contains(text(res), "Facebook refused the login (server_error)") {
		t.Errorf("dialog error: %d %s", res.Status, res.Body)
	}
	ws.Fake.Decline(facebookManager, "pages_manage_metadata", "pages_messaging")
	res = back(t, c, ws.Fake.Continue, openDialog(t, c))
	want := "missing: pages_messaging, pages_manage_metadata"
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(text(res), want) {
		t.Errorf("declined permissions: %d %s", res.Status, res.Body)
	}
	if ws.Snapshot() != before {
		t.Errorf("a failed login changed data")
	}
	// Granting them again (the dialog asks again: auth_type=rerequest) works.
	ws.Fake.Decline(facebookManager)
	if out := connectPages(t, ws, c, "301"); !strings.Contains(out, "Connected, bot on") {
		t.Errorf("after granting again: %s", out)
	}
}

// One page has one owner: a page another member connected is refused,
// the others of the choice are connected.
func TestConnectRefusesAnotherMembersPage(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	bob := ws.NewMember("bob@example.com", "")
	if _, err := ws.App.ConnectPage(context.Background(), &xerochat.Page{UserID: bob.ID, PageID: "302", Name: "Bob's",
		AccessToken: "own-token-302", BotEnabled: true}); err != nil {
		t.Fatal(err)
	}
	ann := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(ann.Email, xerochattest.MemberPassword)
	out := connectPages(t, ws, c, "301", "302")
	if !strings.Contains(out, "Ann's Cafe (302)</strong>: Not connected: "+xerochat.MsgPageElsewhere) ||
		!strings.Contains(out, "Ann's Bakery (301)</strong>: Connected") {
		t.Errorf("outcome: %s", out)
	}
	p, err := ws.DB.FindUserPage(context.Background(), bob.ID, "302")
	if err != nil || p.AccessToken != "own-token-302" {
		t.Errorf("Bob's page changed: %+v %v", p, err)
	}
}

// Turning the bot off unsubscribes the app, so Facebook sends nothing and
// what comes anyway is dropped; on subscribes again.
func TestConnectedBotOffUnsubscribes(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	ws.Fake.RequireSubscription(true)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	connectPages(t, ws, c, "301")
	m.PageID = "301"

	if res := c.PostForm("/app/pages/301/bot", xerochattest.Vals("enabled", "0")); res.Status != http.StatusSeeOther {
		t.Fatalf("bot off: %d %s", res.Status, res.Body)
	}
	if _, on := ws.Fake.Subscription("301"); on {
		t.Errorf("bot off, app still subscribed")
	}
	zoe := ws.Person(m, "9100000000000001", fakegraph.Profile{FirstName: "Zoe"})
	if _, err := zoe.Say("hi"); !errors.Is(err, fakegraph.ErrNotSubscribed) {
		t.Errorf("Facebook delivered to an unsubscribed app: %v", err)
	}
	// A delivery Facebook still had in flight is dropped.
	body := []byte(`{"object":"page","entry":[{"id":"301","time":1,"messaging":[{"sender":{"id":"9100000000000001"},` +
		`"recipient":{"id":"301"},"timestamp":1,"message":{"mid":"m.1","text":"hi"}}]}]}`)
	if status, err := zoe.PostRaw(body, true); err != nil || status != http.StatusOK {
		t.Fatalf("signed post: %d %v", status, err)
	}
	ws.Settle()
	if _, err := ws.DB.FindSubscriber(context.Background(), m.ID, "9100000000000001", "301"); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("an event for a bot that is off made a subscriber: %v", err)
	}
	c.PostForm("/app/pages/301/bot", xerochattest.Vals("enabled", "1"))
	if _, on := ws.Fake.Subscription("301"); !on {
		t.Errorf("bot on, app not subscribed")
	}
	if _, err := zoe.Say("hi"); err != nil {
		t.Errorf("bot on: %v", err)
	}
}

// A page token Facebook ends (code 190) makes the page "Reconnect needed";
// connecting again with Facebook Login refreshes the token and sends work.
func TestConnectAfterTokenExpiry(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	connectPages(t, ws, c, "301")
	m.PageID = "301"
	m.Page, _ = ws.DB.FindUserPage(context.Background(), m.ID, "301")
	ff := xerochat.FlowFile{FlowName: "Survey", Questions: []xerochat.FlowFileQuestion{{Question: "Your e-mail?"}}}
	ff.Triggers.Keywords = []string{"survey"}
	ws.CreateFlow(m, ff)

	old := ws.Fake.PageToken(facebookManager, "301")
	ws.Fake.ExpireToken(old)
	zoe := ws.Person(m, "9100000000000001", fakegraph.Profile{FirstName: "Zoe"})
	if _, err := zoe.Say("survey"); err != nil {
		t.Fatal(err)
	}
	ws.Settle()
	if len(zoe.Sent()) != 0 {
		t.Fatalf("sent with an expired token: %v", zoe.Sent())
	}
	pages := text(c.Get("/app/pages"))
	if !strings.Contains(pages, "Reconnect needed") || !strings.Contains(pages, "Session has expired") ||
		!strings.Contains(pages, "Reconnect Ann's Bakery with Facebook") {
		t.Fatalf("Pages screen after a 190: %s", pages)
	}
	if out := connectPages(t, ws, c, "301"); !strings.Contains(out, "Connected, bot on") {
		t.Fatalf("reconnect: %s", out)
	}
	p, _ := ws.DB.FindUserPage(context.Background(), m.ID, "301")
	if p.AccessToken == old || p.ErrorMessage != "" {
		t.Errorf("reconnected page: token refreshed %v, error %q", p.AccessToken != old, p.ErrorMessage)
	}
	if strings.Contains(text(c.Get("/app/pages")), "Reconnect needed") {
		t.Errorf("still Reconnect needed after reconnecting")
	}
	if _, err := zoe.Say("survey"); err != nil {
		t.Fatal(err)
	}
	ws.Settle()
	if sent := zoe.Sent(); len(sent) == 0 || sent[len(sent)-1].Text != "Your e-mail?" || sent[len(sent)-1].PageToken != p.AccessToken {
		t.Errorf("after reconnecting, sent %+v", sent)
	}
}

// Without a Facebook app id or a public URL the Pages screen says what to
// configure, and the login routes are not there.
func TestConnectNeedsConfiguration(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	for name, change := range map[string]func(s *webServerCopy){
		"no app":        func(s *webServerCopy) { s.Login = nil },
		"no public URL": func(s *webServerCopy) { s.PublicURL = "" },
	} {
		t.Run(name, func(t *testing.T) {
			s := *ws.Web
			change(&s)
			hs := httptest.NewServer(s.Handler())
			defer hs.Close()
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar}
			post := func(path string, form url.Values) *http.Response {
				req, _ := http.NewRequest(http.MethodPost, hs.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				res, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			post("/login", xerochattest.Vals("email", m.Email, "password", xerochattest.MemberPassword)).Body.Close()
			res, err := hc.Get(hs.URL + "/app/pages")
			if err != nil {
				t.Fatal(err)
			}
			page := text(readResponse(t, res))
			want := map[string]string{"no app": "--fb-app-id and --fb-app-secret", "no public URL": "--public-url (env XEROCHAT_PUBLIC_URL)"}[name]
			if !strings.Contains(page, "Connecting with Facebook needs the server to run with "+want) ||
				strings.Contains(page, ">Connect with Facebook</button>") {
				t.Errorf("Pages screen: %s", page)
			}
			if res := post("/app/pages/facebook", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("Connect without configuration: %d", res.StatusCode)
			}
		})
	}
}

// webServerCopy is the web app's server, copied to change its configuration.
type webServerCopy = web.Server

func readResponse(t *testing.T, res *http.Response) xerochattest.Response {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return xerochattest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func findPage(t *testing.T, ws *xerochattest.WebServer, userID int64, pageID string) *xerochat.Page {
	t.Helper()
	p, err := ws.DB.FindUserPage(context.Background(), userID, pageID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
