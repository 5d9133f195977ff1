package fakegraph

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const callback = "https://xerochat.example/login/facebook/callback?from=test"

// loginServer is newServer with a person, Ada, who manages p1 and p2 and is
// logged in.
func loginServer(t *testing.T) *Server {
	t.Helper()
	s := newServer(t)
	s.AddManager("ada", "Ada Admin")
	s.ManagePage("ada", "p1", "", "MANAGE", "MESSAGING")
	s.ManagePage("ada", "p2", "")
	s.LogIn("ada")
	return s
}

// dialogQuery is what the server puts on the dialog URL.
func dialogQuery(s *Server, state string) url.Values {
	appID, _ := s.App()
	return url.Values{"client_id": {appID}, "redirect_uri": {callback}, "state": {state},
		"response_type": {"code"}, "scope": {"pages_show_list,pages_messaging,pages_manage_metadata"}}
}

// browse sends one request without following redirects, as a test that
// checks where the browser would go next.
func browse(t *testing.T, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = hc.PostForm(u, form)
	} else {
		resp, err = hc.Get(u + "?" + form.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestDialogPage(t *testing.T) {
	s := loginServer(t)
	s.Decline("ada", "pages_manage_metadata")
	state := `st<"&'>1`
	resp, body := browse(t, "GET", s.URL()+"/v21.0/dialog/oauth", dialogQuery(s, state))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("dialog: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<form method="post" action="/v21.0/dialog/oauth">`,
		`<button type="submit" name="choice" value="continue">Continue</button>`,
		`<button type="submit" name="choice" value="cancel">Cancel</button>`,
		"Ada Admin", "XeroChat",
		"<li>pages_messaging</li>", "<li>pages_manage_metadata: you will not allow this</li>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dialog lacks %q:\n%s", want, body)
		}
	}
	// The hidden fields carry the request on, escaped.
	m := regexp.MustCompile(`name="state" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil || m[1] != "st&lt;&#34;&amp;&#39;&gt;1" {
		t.Errorf("state field = %v", m)
	}
}

func TestDialogContinue(t *testing.T) {
	s := loginServer(t)
	form := dialogQuery(s, "state-42")
	form.Set("choice", "continue")
	resp, _ := browse(t, "POST", s.URL()+"/v21.0/dialog/oauth", form)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("continue: %s", resp.Status)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	if back.Scheme+"://"+back.Host+back.Path != "https://xerochat.example/login/facebook/callback" ||
		q.Get("from") != "test" || q.Get("state") != "state-42" || q.Get("code") == "" || q.Has("error") || back.Fragment != "_=_" {
		t.Errorf("continue sent the browser to %s", back)
	}

	// The code is the person's, once, for that redirect_uri only.
	appID, secret := s.App()
	exchange := url.Values{"client_id": {appID}, "client_secret": {secret}, "redirect_uri": {callback}, "code": {q.Get("code")}}
	a := call(t, s, "GET", "/v21.0/oauth/access_token", exchange, "")
	tok, _ := a.body["access_token"].(string)
	if a.status != 200 || tok == "" || a.body["token_type"] != "bearer" || a.body["expires_in"] != float64(5183944) {
		t.Fatalf("exchange: %d %s", a.status, a.raw)
	}
	if me := call(t, s, "GET", "/v21.0/me", url.Values{"access_token": {tok}, "fields": {"id,name"}}, ""); me.body["id"] != "ada" || me.body["name"] != "Ada Admin" {
		t.Errorf("me: %s", me.raw)
	}
	a = call(t, s, "GET", "/v21.0/oauth/access_token", exchange, "")
	if e := graphError(t, a); a.status != 400 || e["code"] != float64(100) || e["type"] != "OAuthException" ||
		e["error_subcode"] != float64(36009) {
		t.Errorf("reused code: %d %s", a.status, a.raw)
	}
}

// TestRegisteredRedirect: a redirect_uri among the app's Valid OAuth
// Redirect URIs passes the dialog.
func TestRegisteredRedirect(t *testing.T) {
	s := loginServer(t)
	s.SetRedirectURIs("https://xerochat.example/other", callback)
	if _, err := s.Continue(s.URL() + "/dialog/oauth?" + dialogQuery(s, "st").Encode()); err != nil {
		t.Error(err)
	}
}

func TestDialogCancel(t *testing.T) {
	s := loginServer(t)
	back, err := s.Cancel(s.URL() + "/v21.0/dialog/oauth?" + dialogQuery(s, "state-7").Encode())
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	if q.Get("error") != "access_denied" || q.Get("error_reason") != "user_denied" || q.Get("error_description") == "" ||
		q.Get("state") != "state-7" || q.Has("code") || back.Host != "xerochat.example" {
		t.Errorf("cancel sent the browser to %s", back)
	}
	if n := codeCount(s); n != 0 {
		t.Errorf("cancel issued %d codes", n)
	}
}

func TestDialogRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *Server, q url.Values)
		status int
		text   string
	}{
		{"unknown client", func(_ *Server, q url.Values) { q.Set("client_id", "999") }, 400, "Invalid App ID"},
		{"no client", func(_ *Server, q url.Values) { q.Del("client_id") }, 400, "Invalid App ID"},
		{"relative redirect", func(_ *Server, q url.Values) { q.Set("redirect_uri", "/callback") }, 400, "URL Blocked"},
		{"unregistered redirect", func(s *Server, _ url.Values) { s.SetRedirectURIs("https://xerochat.example/other") }, 400, "URL Blocked"},
		{"token flow", func(_ *Server, q url.Values) { q.Set("response_type", "token") }, 400, "response_type"},
		{"nobody logged in", func(s *Server, _ url.Values) { s.LogIn("") }, 401, "no one is logged in"},
		{"no choice", func(_ *Server, q url.Values) { q.Set("choice", "maybe") }, 400, "Continue or Cancel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loginServer(t)
			q := dialogQuery(s, "st")
			q.Set("choice", "continue")
			tt.change(s, q)
			methods := []string{"GET", "POST"}
			if tt.name == "no choice" {
				methods = methods[1:]
			}
			for _, m := range methods {
				resp, body := browse(t, m, s.URL()+"/v21.0/dialog/oauth", q)
				if resp.StatusCode != tt.status || resp.Header.Get("Location") != "" || !strings.Contains(body, tt.text) {
					t.Errorf("%s: %s, Location %q, body %s", m, resp.Status, resp.Header.Get("Location"), body)
				}
			}
			if n := codeCount(s); n != 0 {
				t.Errorf("a refused dialog issued %d codes", n)
			}
		})
	}
	s := loginServer(t)
	q := dialogQuery(s, "st")
	q.Set("client_id", "999")
	if _, err := s.Continue(s.URL() + "/dialog/oauth?" + q.Encode()); err == nil || !strings.Contains(err.Error(), "Invalid App ID") {
		t.Errorf("Continue on an unknown client: %v", err)
	}
	if _, err := s.Continue("https://www.facebook.com/v21.0/dialog/oauth?" + dialogQuery(s, "st").Encode()); err == nil {
		t.Error("Continue on another host succeeded")
	}
}

func codeCount(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.codes)
}

// userToken plays a login through the dialog and the code exchange.
func userToken(t *testing.T, s *Server) string {
	t.Helper()
	back, err := s.Continue(s.URL() + "/dialog/oauth?" + dialogQuery(s, "st").Encode())
	if err != nil {
		t.Fatal(err)
	}
	appID, secret := s.App()
	a := call(t, s, "GET", "/v21.0/oauth/access_token", url.Values{"client_id": {appID}, "client_secret": {secret},
		"redirect_uri": {callback}, "code": {back.Query().Get("code")}}, "")
	tok, _ := a.body["access_token"].(string)
	if tok == "" {
		t.Fatalf("exchange: %s", a.raw)
	}
	return tok
}

func TestDialogPartialGrant(t *testing.T) {
	s := loginServer(t)
	s.Decline("ada", "pages_manage_metadata")
	a := call(t, s, "GET", "/v21.0/me/permissions", url.Values{"access_token": {userToken(t, s)}}, "")
	var got struct {
		Data []struct{ Permission, Status string } `json:"data"`
	}
	json.Unmarshal([]byte(a.raw), &got)
	want := []struct{ Permission, Status string }{
		{"public_profile", "granted"}, {"pages_show_list", "granted"},
		{"pages_messaging", "granted"}, {"pages_manage_metadata", "declined"},
	}
	if !slices.Equal(got.Data, want) {
		t.Errorf("permissions = %s", a.raw)
	}
	// The declined permission is enforced on the page token.
	sub := call(t, s, "POST", "/v21.0/p1/subscribed_apps",
		url.Values{"access_token": {s.PageToken("ada", "p1")}, "subscribed_fields": {"messages"}}, "")
	if e := graphError(t, sub); e["code"] != float64(200) {
		t.Errorf("subscribe without pages_manage_metadata: %s", sub.raw)
	}
	// A later dialog does not ask again for what was declined...
	s.Decline("ada")
	_, page := browse(t, "GET", s.URL()+"/dialog/oauth", dialogQuery(s, "st"))
	if !strings.Contains(page, "<li>pages_manage_metadata: declined before, not asked again</li>") {
		t.Errorf("second dialog:\n%s", page)
	}
	userToken(t, s)
	if status(s, "pages_manage_metadata") != "declined" {
		t.Error("a dialog without auth_type=rerequest granted a declined permission")
	}
	// ...unless it says auth_type=rerequest; then granting lifts the refusal.
	q := dialogQuery(s, "st")
	q.Set("auth_type", "rerequest")
	if _, err := s.Continue(s.URL() + "/dialog/oauth?" + q.Encode()); err != nil {
		t.Fatal(err)
	}
	if status(s, "pages_manage_metadata") != "granted" {
		t.Error("rerequest did not grant")
	}
	sub = call(t, s, "POST", "/v21.0/p1/subscribed_apps",
		url.Values{"access_token": {s.PageToken("ada", "p1")}, "subscribed_fields": {"messages"}}, "")
	if sub.status != 200 {
		t.Errorf("subscribe after granting: %s", sub.raw)
	}
}

// status reads Ada's permission as the fake records it.
func status(s *Server, perm string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.managers["ada"].status(perm)
}
