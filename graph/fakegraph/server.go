// Package fakegraph is a fake Facebook Graph API server for tests and demos.
// It speaks Facebook's wire format over real HTTP on loopback, keeps pages,
// Messenger users, labels and sent messages in memory, and can be told to
// fail, so that code which works against it works against Facebook.
//
// It also plays Facebook Login: the OAuth dialog a browser is sent to, the
// code and token exchanges, the person's permissions and pages, and the
// app's webhook subscription on each page; see AddManager.
//
// Every method is safe for concurrent use.
package fakegraph

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Server is a running fake Graph API.
type Server struct {
	ts  *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	app      app
	pages    map[string]*page
	tokens   map[string]*tokenInfo
	labels   map[string]*label
	managers map[string]*manager
	loggedIn *manager
	codes    map[string]*code
	lastID   int64
	pageSize int
	window   bool
	// requireSub makes Person deliver only what the page subscribed to.
	requireSub bool
	down       bool
	failures   []*failure
	calls      []Call
	sent       []SentMessage
}

// Profile is what the fake knows about a Messenger user. Only the fields
// that are set are ever answered, like Facebook does for fields an app may
// not see.
type Profile struct {
	FirstName  string
	LastName   string
	Name       string
	ProfilePic string
	Locale     string
	Gender     string
	Timezone   *float64
}

// Label is a page label held by the fake.
type Label struct {
	ID   string
	Name string
}

// QuickReply is a quick reply as the person saw it (title already cut).
type QuickReply struct {
	ContentType string
	Title       string
	Payload     string
}

// SentMessage is a message the fake accepted, as the person would see it.
type SentMessage struct {
	PageID        string
	PageToken     string
	PSID          string
	MessageID     string
	MessagingType string
	Tag           string
	Text          string
	QuickReplies  []QuickReply
	At            time.Time
}

// Call is one request the fake received, with the access token, the app
// secret and an exchanged token replaced by "REDACTED" so that tests can
// print calls freely.
type Call struct {
	Method string
	// Version is the version prefix such as "v21.0", empty if none.
	Version string
	// Path is the path without the version, such as "/me/messages".
	Path string
	// Values merges the query, a form body and the top-level fields of a
	// JSON body.
	Values url.Values
	// Body is the JSON body, if the request had one.
	Body string
}

type page struct {
	id, token, name string
	users           map[string]*user
	labels          []*label // in creation order, which is the paging order
	// subscribed is the app's webhook subscription: nil when the app is
	// not subscribed to the page, else the fields (possibly none).
	subscribed []string
}

type user struct {
	profile  Profile
	messaged time.Time // last inbound message; zero if never
}

type label struct {
	id, name string
	page     *page
	users    map[string]bool
}

// New starts a fake Graph server on loopback.
func New() *Server {
	s := &Server{
		app:      app{id: DefaultAppID, secret: DefaultAppSecret, name: DefaultAppName},
		pages:    map[string]*page{},
		tokens:   map[string]*tokenInfo{},
		labels:   map[string]*label{},
		managers: map[string]*manager{},
		codes:    map[string]*code{},
		lastID:   1_700_000_000_000_000,
		pageSize: 25,
		mux:      http.NewServeMux(),
	}
	s.routes()
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL of the fake, without a version; any "/vNN.N" prefix
// is accepted after it.
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server and waits for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// AddPage registers a page and the page access token that acts for it.
func (s *Server) AddPage(pageID, token, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.pages[pageID]; old != nil {
		if t := s.tokens[old.token]; t != nil && t.manager == nil {
			delete(s.tokens, old.token)
		}
		old.token, old.name = token, name
		s.addToken(&tokenInfo{value: token, page: old})
		return
	}
	p := &page{id: pageID, token: token, name: name, users: map[string]*user{}}
	s.pages[pageID] = p
	s.addToken(&tokenInfo{value: token, page: p})
}

// AddUser makes psid a Messenger user of the page, or replaces the profile
// of one. It panics if the page was not added, which is a broken test.
func (s *Server) AddUser(pageID, psid string, p Profile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg := s.mustPage("AddUser", pageID)
	if u := pg.users[psid]; u != nil {
		u.profile = p
		return
	}
	pg.users[psid] = &user{profile: p}
}

// UserMessaged records that the person wrote to the page at that time, which
// opens the 24-hour window for untagged messages. An unknown psid becomes a
// user of the page with an empty profile.
func (s *Server) UserMessaged(pageID, psid string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg := s.mustPage("UserMessaged", pageID)
	u := pg.users[psid]
	if u == nil {
		u = &user{}
		pg.users[psid] = u
	}
	u.messaged = at
}

// AddLabel creates a label on the page as if through the API, and returns
// its id; tests use it to seed labels.
func (s *Server) AddLabel(pageID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newLabel(s.mustPage("AddLabel", pageID), name).id
}

// Labels lists the page's labels in creation order.
func (s *Server) Labels(pageID string) []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg := s.pages[pageID]
	if pg == nil {
		return nil
	}
	out := make([]Label, 0, len(pg.labels))
	for _, l := range pg.labels {
		out = append(out, Label{ID: l.id, Name: l.name})
	}
	return out
}

// UserLabels lists the ids of the page's labels on the person, in label
// creation order.
func (s *Server) UserLabels(pageID, psid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg := s.pages[pageID]
	if pg == nil {
		return nil
	}
	var out []string
	for _, l := range pg.labels {
		if l.users[psid] {
			out = append(out, l.id)
		}
	}
	return out
}

// SetPageSize sets how many items a listing returns per page when the
// request has no limit; the default is 25 like Facebook.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = max(n, 1)
}

// SetWindow turns the 24-hour messaging window on or off (off by default, so
// that tests which do not care need not record inbound messages).
func (s *Server) SetWindow(enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.window = enabled
}

// Down makes every request fail with HTTP 500 and a plain-text body, the way
// a proxy in front of an outage would answer; no Graph error is given.
func (s *Server) Down(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Sent lists the messages the person received, oldest first.
func (s *Server) Sent(psid string) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SentMessage
	for _, m := range s.sent {
		if m.PSID == psid {
			m.QuickReplies = slices.Clone(m.QuickReplies)
			out = append(out, m)
		}
	}
	return out
}

// AllSent lists every accepted message, oldest first.
func (s *Server) AllSent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.sent)
	for i := range out {
		out[i].QuickReplies = slices.Clone(out[i].QuickReplies)
	}
	return out
}

// mustPage is called with s.mu held.
func (s *Server) mustPage(op, pageID string) *page {
	pg := s.pages[pageID]
	if pg == nil {
		panic("fakegraph: " + op + ": unknown page " + pageID + "; call AddPage first")
	}
	return pg
}

// request is what an endpoint needs of a call.
type request struct {
	method  string
	version string
	path    string
	query   url.Values // the URL query alone, for paging links
	params  url.Values // query, form and JSON fields together
	token   string
	// Set by the token check of the route: the page a page token acts
	// for (nil for a user token), and the person a user token belongs to
	// or a page token was issued to (nil for the tokens of AddPage).
	page    *page
	manager *manager
}

// pageID names the token's page for the usage headers, "" if none.
func (rq *request) pageID() string {
	if rq.page == nil {
		return ""
	}
	return rq.page.id
}

type requestKey struct{}

var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

// serve records the call, then answers with Down's outage, an injected
// failure, or the route, which checks the token first.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	version := strings.TrimPrefix(versionPrefix.FindString(path), "/")
	if version != "" {
		path = strings.TrimPrefix(path, "/"+version)
	}
	if path == "" {
		path = "/"
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	params, jsonBody := readParams(r, body)
	token := params.Get("access_token")

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Version: version, Path: path,
		Values: redactValues(params), Body: redactJSON(jsonBody)})
	down := s.down
	injected := s.takeFailure(r.Method, path)
	pageID := ""
	if t := s.tokens[token]; t != nil && t.page != nil {
		pageID = t.page.id
	}
	s.mu.Unlock()

	w.Header().Set("X-App-Usage", `{"call_count":1,"total_cputime":1,"total_time":1}`)
	switch {
	case down:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "Internal Server Error\n")
	case injected != nil:
		writeError(w, *injected, pageID)
	default:
		rq := &request{method: r.Method, version: version, path: path, query: r.URL.Query(),
			params: params, token: token}
		r2 := r.Clone(context.WithValue(r.Context(), requestKey{}, rq))
		r2.URL.Path, r2.URL.RawPath = path, ""
		s.mux.ServeHTTP(w, r2)
	}
}

// endpoint answers one route; it runs with s.mu held and returns either a
// value to send as JSON or a Graph error.
type endpoint func(rq *request, id string) (any, *FBError)

// auth is the token a route needs, which decides Facebook's answer to the
// wrong kind of token.
type auth int

const (
	public   auth = iota // no access token: the app's credentials, if any
	pageAuth             // a page token
	userAuth             // a user token
	anyAuth              // either
)

func (s *Server) routes() {
	s.mux.HandleFunc("GET /dialog/oauth", s.dialog)
	s.mux.HandleFunc("POST /dialog/oauth", s.dialogChoice)
	s.handle("GET /oauth/access_token", public, s.accessToken)
	s.handle("GET /me", anyAuth, s.me)
	s.handle("GET /me/permissions", userAuth, s.permissions)
	s.handle("GET /me/accounts", userAuth, s.accounts)
	s.handle("POST /me/messages", pageAuth, s.sendMessage)
	s.handle("POST /{id}/subscribed_apps", pageAuth, s.subscribe)
	s.handle("GET /{id}/subscribed_apps", pageAuth, s.subscribedApps)
	s.handle("DELETE /{id}/subscribed_apps", pageAuth, s.unsubscribe)
	s.handle("POST /{id}/custom_labels", pageAuth, s.createLabel)
	s.handle("GET /{id}/custom_labels", pageAuth, s.listLabels)
	s.handle("POST /{id}/label", pageAuth, s.assignLabel)
	s.handle("DELETE /{id}/label", pageAuth, s.removeLabel)
	s.handle("GET /{id}", pageAuth, s.object)
	s.handle("/", anyAuth, func(rq *request, _ string) (any, *FBError) {
		id := strings.Split(strings.TrimPrefix(rq.path, "/"), "/")[0]
		return nil, unsupported(rq.method, id)
	})
}

func (s *Server) handle(pattern string, a auth, ep endpoint) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq := r.Context().Value(requestKey{}).(*request)
		s.mu.Lock()
		var out any
		ferr := s.authorize(rq, a, r.PathValue("id"))
		if ferr == nil {
			out, ferr = ep(rq, r.PathValue("id"))
		}
		s.mu.Unlock()
		if rq.page != nil {
			w.Header().Set("X-Page-Usage", `{"call_count":1,"total_cputime":1,"total_time":1}`)
		}
		if ferr != nil {
			writeError(w, *ferr, rq.pageID())
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
