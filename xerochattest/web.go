package xerochattest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/web"
)

// MemberPassword is the password of every member NewMember creates.
const MemberPassword = "secret-pass"

// AdminPassword is the admin's password on a NewWebServer (the generated
// one is replaced, so that tests can sign the admin in).
const AdminPassword = "admin-pass-123"

// WebServer is a Server that also serves the web app, composed as `serve`
// composes it: the same store, use cases, /api and webhook, with the web
// app on every other path. Its URL, Get and Post reach this composition.
type WebServer struct {
	*Server
	Web      *web.Server
	Sessions *app.Sessions
	// Imports runs the server's CSV imports.
	Imports *app.CSVImports
	// AdminID is the first admin's user id.
	AdminID int64

	skew atomic.Int64 // how far the sessions' clock runs ahead, in ns

	mu      sync.Mutex
	cancel  context.CancelFunc // stops the import runner; nil when stopped
	running sync.WaitGroup
}

// NewWebServer starts a server with the web app, on the options of
// NewServer.
func NewWebServer(tb testing.TB, opts ...Option) *WebServer {
	tb.Helper()
	s := NewServer(tb, opts...)
	cfg := config{location: time.UTC}
	for _, o := range opts {
		o(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(s.Logs, nil))
	ws := &WebServer{Server: s}
	ws.Sessions = &app.Sessions{App: s.App, Store: s.DB,
		Now: func() time.Time { return time.Now().Add(time.Duration(ws.skew.Load())) }}
	ws.Imports = &app.CSVImports{Jobs: s.DB, Contacts: s.DB, Logger: logger, Lease: 2 * time.Second, Poll: 100 * time.Millisecond}
	ws.StartImports()
	// The server's address is known before it starts, so that Facebook
	// Login's redirect URI can name it, as --public-url does.
	hs := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + hs.Listener.Addr().String()
	// Facebook Login runs against the fake's app, on the graph client the
	// server already uses (as `serve` gives it --fb-app-id and the secret).
	fb, ok := s.App.Facebook.(*graph.Client)
	if !ok {
		tb.Fatalf("xerochattest: the server's Facebook is a %T, not the graph client", s.App.Facebook)
	}
	fb.AppID, fb.AppSecret = s.Fake.App()
	ws.Web = &web.Server{App: s.App, Sessions: ws.Sessions, Reads: s.DB, Lists: s.DB, Subs: s.DB, Imports: ws.Imports,
		Admin: s.DB, Packages: &app.Packages{Store: s.DB}, Flows: &app.FlowBuilder{App: s.App, Store: s.DB}, FlowEdits: s.DB,
		Login:     &app.FacebookLogins{App: s.App, Store: s.DB, Dialog: fb, DialogBase: s.Fake.URL()},
		PublicURL: publicURL, Location: cfg.location, Logger: logger}
	routes := s.routes
	routes.Web = ws.Web.Handler()
	hs.Config.Handler = routes.Handler()
	hs.Start()
	s.URL = hs.URL
	stop := s.stop
	s.stop = func() { hs.Close(); ws.StopImports(); stop() }
	tb.Cleanup(func() { hs.Close(); ws.StopImports() })
	admin, err := s.DB.FindUser(context.Background(), xerochat.UserFilter{Email: AdminEmail})
	if err != nil {
		tb.Fatalf("xerochattest: find admin: %v", err)
	}
	ws.AdminID = admin.ID
	if err := s.DB.SetPassword(context.Background(), admin.ID, AdminPassword); err != nil {
		tb.Fatalf("xerochattest: admin password: %v", err)
	}
	return ws
}

// StopImports stops the server's CSV import runner: jobs then wait in the
// database, as they do while no process runs.
func (ws *WebServer) StopImports() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.cancel != nil {
		ws.cancel()
		ws.running.Wait()
		ws.cancel = nil
	}
}

// StartImports starts the CSV import runner (NewWebServer starts it).
func (ws *WebServer) StartImports() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		ws.cancel = cancel
		ws.running.Go(func() { ws.Imports.Run(ctx) })
	}
}

// Advance moves the sessions' clock forward, to expire sessions without
// waiting.
func (ws *WebServer) Advance(d time.Duration) { ws.skew.Add(int64(d)) }

// WebClient is a browser without a browser: a cookie jar, no redirects
// followed, and the headers a browser sends on a same-site request.
type WebClient struct {
	tb   testing.TB
	base string
	HTTP *http.Client
}

// Client returns a new client with an empty cookie jar.
func (ws *WebServer) Client() *WebClient {
	jar, _ := cookiejar.New(nil)
	return &WebClient{tb: ws.tb, base: ws.URL, HTTP: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Do sends req, marked as a same-origin request as a browser marks it,
// and reads the whole answer.
func (c *WebClient) Do(req *http.Request) Response {
	c.tb.Helper()
	if req.Header.Get("Sec-Fetch-Site") == "" {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.tb.Fatalf("read answer: %v", err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// Get fetches a path of the web app.
func (c *WebClient) Get(path string) Response {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.tb.Fatal(err)
	}
	return c.Do(req)
}

// PostForm posts a form to a path of the web app.
func (c *WebClient) PostForm(path string, form url.Values) Response {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Login signs in and fails the test unless the server accepted it.
func (c *WebClient) Login(email, password string) {
	c.tb.Helper()
	res := c.PostForm("/login", Vals("email", email, "password", password))
	if res.Status != http.StatusSeeOther {
		c.tb.Fatalf("login %s: status %d: %s", email, res.Status, res.Body)
	}
}
