package fakegraph

import (
	"crypto/rand"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The app the fake plays Facebook for until SetApp says otherwise.
const (
	DefaultAppID     = "1234567890123456"
	DefaultAppSecret = "fake-app-secret"
	DefaultAppName   = "XeroChat"
)

// codeLifetime is how long a login code can be exchanged; Facebook's last
// ten minutes.
const codeLifetime = 10 * time.Minute

// defaultTasks are the tasks of a page's full admin, which ManagePage
// gives when the test names none.
var defaultTasks = []string{"ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"}

type app struct {
	id, secret, name string
	// redirectURIs are the Valid OAuth Redirect URIs of the app's
	// settings; none means any absolute http(s) URL.
	redirectURIs []string
}

// manager is a Facebook person who logs in to the app with Facebook Login
// and manages pages.
type manager struct {
	id, name string
	pages    []*managed
	declines map[string]bool // permissions they untick in the dialog
	perms    []permission    // as of their last dialog, in first-asked order
}

// managed is a page as one person manages it.
type managed struct {
	page  *page
	token string // the page token me/accounts answers
	tasks []string
}

type permission struct{ name, status string }

// status is "granted", "declined", or "" for a permission never asked for.
func (m *manager) status(name string) string {
	for _, p := range m.perms {
		if p.name == name {
			return p.status
		}
	}
	return ""
}

// declined tells whether a call needing that permission must be refused.
// A permission never asked for is allowed, so that tests which seed tokens
// with ManagePage need not play the dialog first.
func (m *manager) declined(name string) bool { return m != nil && m.status(name) == "declined" }

// code is a login code the dialog handed to a redirect_uri.
type code struct {
	manager     *manager
	redirectURI string
	expires     time.Time
	used        bool
}

// SetApp sets the id and secret of the Facebook app the fake serves: the
// dialog refuses another client_id, and the token exchanges another id or
// secret. The defaults are DefaultAppID and DefaultAppSecret.
func (s *Server) SetApp(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app.id, s.app.secret = id, secret
}

// App returns the id and secret of the app, to configure the server under
// test with.
func (s *Server) App() (id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.id, s.app.secret
}

// SetRedirectURIs sets the app's Valid OAuth Redirect URIs: the dialog then
// refuses ("URL Blocked") any other redirect_uri, compared exactly, as with
// Facebook's strict mode. With none, any absolute http(s) URL is allowed.
func (s *Server) SetRedirectURIs(uris ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app.redirectURIs = slices.Clone(uris)
}

// AddManager adds a Facebook person who can log in with Facebook Login
// (see LogIn) and manage pages (see ManagePage), or renames one.
func (s *Server) AddManager(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.managers[id]; m != nil {
		m.name = name
		return
	}
	s.managers[id] = &manager{id: id, name: name, declines: map[string]bool{}}
}

// ManagePage makes the person a manager of the page, which must have been
// added: me/accounts then lists it with that page token ("" mints one) and
// those tasks (none given: a full admin's). Calls with the token act for
// the page, as the page's own token of AddPage does.
func (s *Server) ManagePage(managerID, pageID, pageToken string, tasks ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustManager("ManagePage", managerID)
	pg := s.mustPage("ManagePage", pageID)
	if len(tasks) == 0 {
		tasks = defaultTasks
	}
	t := s.tokens[pageToken]
	switch {
	case pageToken == "":
		t = s.mintToken(&tokenInfo{page: pg, manager: m})
	case t == nil:
		t = &tokenInfo{value: pageToken, page: pg, manager: m}
		s.addToken(t)
	case t.page != pg:
		panic("fakegraph: ManagePage: token already in use for another page or person")
	default:
		t.manager = m
	}
	for _, mp := range m.pages {
		if mp.page == pg {
			mp.token, mp.tasks = t.value, slices.Clone(tasks)
			return
		}
	}
	m.pages = append(m.pages, &managed{page: pg, token: t.value, tasks: slices.Clone(tasks)})
}

// LogIn makes the person the one logged in to Facebook in the browser: the
// dialog asks them to continue. LogIn("") logs out, and the dialog then
// refuses to go on.
func (s *Server) LogIn(managerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if managerID == "" {
		s.loggedIn = nil
		return
	}
	s.loggedIn = s.mustManager("LogIn", managerID)
}

// Decline makes the person untick these permissions in the dialog: they are
// declined and the others requested are granted. Decline with none makes
// them grant everything again; but, as on Facebook, a permission declined
// in an earlier dialog is asked for again only with auth_type=rerequest.
func (s *Server) Decline(managerID string, permissions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustManager("Decline", managerID)
	m.declines = map[string]bool{}
	for _, p := range permissions {
		m.declines[p] = true
	}
}

// ExpireCodes makes every login code issued so far expire, as when more
// than ten minutes pass between the dialog and the exchange.
func (s *Server) ExpireCodes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.codes {
		c.expires = time.Now()
	}
}

// mustManager runs with s.mu held.
func (s *Server) mustManager(op, id string) *manager {
	m := s.managers[id]
	if m == nil {
		panic("fakegraph: " + op + ": unknown manager " + id + "; call AddManager first")
	}
	return m
}

// dialogRequest is a valid dialog, ready to show.
type dialogRequest struct {
	Action      string // where the form posts: the dialog's own path
	ClientID    string
	RedirectURI string
	State       string
	Scope       string
	AuthType    string
	AppName     string
	Person      string
	Permissions []dialogPermission
	manager     *manager
}

type dialogPermission struct {
	Name    string
	Granted bool
	// Skipped marks a permission declined before, which Facebook does not
	// ask for again unless the dialog says auth_type=rerequest.
	Skipped bool
}

// checkDialog validates a dialog request as Facebook does before showing
// anything: a refusal is an error page, never a redirect, because the
// redirect_uri is not to be trusted yet. It runs with s.mu held.
func (s *Server) checkDialog(rq *request) (*dialogRequest, int, string) {
	p := rq.params
	if p.Get("client_id") != s.app.id {
		return nil, http.StatusBadRequest, "Invalid App ID: The provided app ID does not look like a valid app ID."
	}
	u, err := url.Parse(p.Get("redirect_uri"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		len(s.app.redirectURIs) > 0 && !slices.Contains(s.app.redirectURIs, p.Get("redirect_uri")) {
		return nil, http.StatusBadRequest, "URL Blocked: This redirect failed because the redirect URI is not " +
			"whitelisted in the app's Client OAuth Settings."
	}
	if rt := p.Get("response_type"); rt != "" && rt != "code" {
		return nil, http.StatusBadRequest, "Unsupported response_type " + rt + ": the fake plays only the code flow."
	}
	m := s.loggedIn
	if m == nil {
		return nil, http.StatusUnauthorized, "Log in to Facebook: no one is logged in to the fake (call LogIn)."
	}
	d := &dialogRequest{Action: "/dialog/oauth", ClientID: s.app.id, RedirectURI: p.Get("redirect_uri"),
		State: p.Get("state"), Scope: p.Get("scope"), AuthType: p.Get("auth_type"), AppName: s.app.name,
		Person: m.name, manager: m}
	if rq.version != "" {
		d.Action = "/" + rq.version + d.Action
	}
	for _, name := range strings.FieldsFunc(d.Scope, func(r rune) bool { return r == ',' || r == ' ' }) {
		dp := dialogPermission{Name: name, Granted: !m.declines[name]}
		if m.status(name) == "declined" && d.AuthType != "rerequest" {
			dp.Granted, dp.Skipped = false, true
		}
		d.Permissions = append(d.Permissions, dp)
	}
	return d, http.StatusOK, ""
}

var dialogPage = template.Must(template.New("dialog").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in with Facebook</title></head>
<body>
<main>
<h1>{{.AppName}} is requesting access to your Facebook account</h1>
<p>You are logged in as {{.Person}}.</p>
<ul>
{{range .Permissions}}<li>{{.Name}}{{if .Skipped}}: declined before, not asked again{{else if not .Granted}}: you will not allow this{{end}}</li>
{{end}}</ul>
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="scope" value="{{.Scope}}">
<input type="hidden" name="auth_type" value="{{.AuthType}}">
<input type="hidden" name="response_type" value="code">
<button type="submit" name="choice" value="continue">Continue</button>
<button type="submit" name="choice" value="cancel">Cancel</button>
</form>
</main>
</body>
</html>
`))

var problemPage = template.Must(template.New("problem").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Error</title></head>
<body><main><h1>Sorry, something went wrong.</h1><p>{{.}}</p></main></body>
</html>
`))

func writeHTML(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	t.Execute(w, data)
}

// dialog is GET /dialog/oauth: the page where the logged-in person sees
// what the app asks for and continues or cancels.
func (s *Server) dialog(w http.ResponseWriter, r *http.Request) {
	rq := r.Context().Value(requestKey{}).(*request)
	s.mu.Lock()
	d, status, problem := s.checkDialog(rq)
	s.mu.Unlock()
	if d == nil {
		writeHTML(w, status, problemPage, problem)
		return
	}
	writeHTML(w, http.StatusOK, dialogPage, d)
}

// dialogChoice is POST /dialog/oauth, the person's answer: Continue sends
// the browser to redirect_uri with a code, Cancel with Facebook's
// access_denied. Both keep state and, like Facebook, end in "#_=_".
func (s *Server) dialogChoice(w http.ResponseWriter, r *http.Request) {
	rq := r.Context().Value(requestKey{}).(*request)
	s.mu.Lock()
	d, status, problem := s.checkDialog(rq)
	q := url.Values{}
	if d != nil {
		switch rq.params.Get("choice") {
		case "continue":
			q.Set("code", s.issueCode(d))
		case "cancel":
			q.Set("error", "access_denied")
			q.Set("error_code", "200")
			q.Set("error_description", "Permissions error")
			q.Set("error_reason", "user_denied")
		default:
			d, status, problem = nil, http.StatusBadRequest, "Choose Continue or Cancel."
		}
	}
	s.mu.Unlock()
	if d == nil {
		writeHTML(w, status, problemPage, problem)
		return
	}
	if d.State != "" {
		q.Set("state", d.State)
	}
	u, _ := url.Parse(d.RedirectURI) // checkDialog parsed it
	uq := u.Query()
	for k, v := range q {
		uq[k] = v
	}
	u.RawQuery, u.Fragment = uq.Encode(), "_=_"
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// issueCode records the person's grants and makes a code bound to the
// redirect_uri; it runs with s.mu held.
func (s *Server) issueCode(d *dialogRequest) string {
	m := d.manager
	for _, p := range d.Permissions {
		status := "declined"
		if p.Granted {
			status = "granted"
		}
		if i := slices.IndexFunc(m.perms, func(q permission) bool { return q.name == p.Name }); i >= 0 {
			m.perms[i].status = status
		} else {
			m.perms = append(m.perms, permission{name: p.Name, status: status})
		}
	}
	v := "AQ" + rand.Text() + rand.Text()
	s.codes[v] = &code{manager: m, redirectURI: d.RedirectURI, expires: time.Now().Add(codeLifetime)}
	return v
}

// Continue plays the logged-in person pressing Continue in the dialog at
// dialogURL (the fake's dialog, where the server sent the browser): it
// loads the dialog, answers it over HTTP and returns where Facebook sends
// the browser back, redirect_uri with code and state. It fails when the
// dialog refuses, with the page's text.
func (s *Server) Continue(dialogURL string) (*url.URL, error) { return s.press(dialogURL, "continue") }

// Cancel plays the person pressing Cancel, as Continue does; the returned
// URL carries error=access_denied and the state.
func (s *Server) Cancel(dialogURL string) (*url.URL, error) { return s.press(dialogURL, "cancel") }

func (s *Server) press(dialogURL, choice string) (*url.URL, error) {
	u, err := url.Parse(dialogURL)
	if err != nil || !strings.HasPrefix(dialogURL, s.URL()+"/") {
		return nil, fmt.Errorf("fakegraph: %q is not a dialog of this fake (%s)", dialogURL, s.URL())
	}
	hc := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(dialogURL)
	if err != nil {
		return nil, err
	}
	if err := refusal(resp, http.StatusOK); err != nil {
		return nil, err
	}
	form := u.Query()
	form.Set("choice", choice)
	resp, err = hc.PostForm(s.URL()+u.EscapedPath(), form)
	if err != nil {
		return nil, err
	}
	if err := refusal(resp, http.StatusFound); err != nil {
		return nil, err
	}
	return url.Parse(resp.Header.Get("Location"))
}

// refusal closes resp and, unless it has the wanted status, returns an
// error with the explanation of the problem page.
func refusal(resp *http.Response, want int) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode == want {
		return nil
	}
	text := string(body)
	if _, after, ok := strings.Cut(text, "<p>"); ok {
		text, _, _ = strings.Cut(after, "</p>")
	}
	return fmt.Errorf("fakegraph: the dialog answered %s: %s", resp.Status, html.UnescapeString(text))
}
