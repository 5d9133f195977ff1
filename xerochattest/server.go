// Package xerochattest is the one kit for xerochat's tests: a whole server
// on loopback on a fresh database (SQLite, or PostgreSQL when
// XEROCHAT_TEST_POSTGRES is set), the fake Facebook behind it, people on
// Messenger, HTTP calls in the contract's shapes, pollers and fixtures.
//
// The server is composed as `xerochat serve` composes it — store, use-case
// layer, /api, webhook and a Messenger worker behind httpserver's routes —
// so a test of any layer drives the same doors a client uses.
package xerochattest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat/api"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/httpserver"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// AppSecret signs the webhook events of the kit's people; the kit's server
// requires it, as a server with a Facebook app does.
const AppSecret = "test-app-secret"

// VerifyToken answers the webhook's verification.
const VerifyToken = "verify-me"

// AdminEmail is the e-mail of the admin every new server starts with.
const AdminEmail = "admin@example.com"

// Server is a running xerochat on loopback.
type Server struct {
	tb  testing.TB
	URL string
	DB  *sqlstore.DB
	App *app.App
	// Fake is the Facebook the server talks to.
	Fake *fakegraph.Server
	// AdminKey is the API key of the first admin.
	AdminKey string
	// Logs holds what the server logged.
	Logs *Logs
	// Worker is the server's Messenger worker, nil with Workers(0).
	Worker *messenger.Worker

	// routes are the doors the server serves; NewWebServer adds the web
	// app to the same ones.
	routes httpserver.Routes
	stop   func()
}

// config is what options change.
type config struct {
	location *time.Location
	dbURL    string
	workers  int
	lease    time.Duration
	apiHooks []func(*api.Server)
	fake     *fakegraph.Server
	proxies  string
}

// Option changes how NewServer builds the server.
type Option func(*config)

// Timezone runs the server in the named time zone instead of UTC.
func Timezone(name string) Option {
	return func(c *config) {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		c.location = loc
	}
}

// DatabaseURL runs the server on an existing database instead of a fresh
// one; the admin key is then only known if the database was empty.
func DatabaseURL(url string) Option { return func(c *config) { c.dbURL = url } }

// WithFake makes the server talk to a fake Facebook the test already runs,
// e.g. another server's: a cluster on one database shares one Facebook.
func WithFake(fake *fakegraph.Server) Option { return func(c *config) { c.fake = fake } }

// TrustProxies makes the server believe the forwarded headers of these
// peers (addresses or CIDRs, as --trusted-proxies).
func TrustProxies(list string) Option { return func(c *config) { c.proxies = list } }

// ConfigureAPI changes the /api server before it starts (its limits).
func ConfigureAPI(f func(*api.Server)) Option {
	return func(c *config) { c.apiHooks = append(c.apiHooks, f) }
}

// Workers sets how many Messenger workers run (default 1).
func Workers(n int) Option { return func(c *config) { c.workers = n } }

// NewServer starts a server and registers its shutdown with tb.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	cfg := config{location: time.UTC, workers: 1, lease: 2 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.dbURL == "" {
		cfg.dbURL = sqlstoretest.URL(tb)
	}
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, cfg.dbURL, sqlstore.Options{})
	if err != nil {
		tb.Fatalf("xerochattest: open database: %v", err)
	}
	fake, ownFake := cfg.fake, cfg.fake == nil
	if ownFake {
		fake = fakegraph.New()
	}
	logs := &Logs{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	fb := graph.New(fake.URL(), "v21.0")
	a := &app.App{Users: db, Contacts: db, Pages: db, Flows: db, Facebook: fb}
	s := &Server{tb: tb, DB: db, App: a, Fake: fake, Logs: logs}
	if creds, err := a.Bootstrap(ctx, AdminEmail); err != nil {
		tb.Fatalf("xerochattest: bootstrap: %v", err)
	} else if creds != nil {
		s.AdminKey = creds.APIKey
	}
	workCtx, cancel := context.WithCancel(ctx)
	var working sync.WaitGroup
	var workers []*messenger.Worker
	for range cfg.workers {
		w := &messenger.Worker{Store: db, Facebook: fb, Logger: logger, Lease: cfg.lease}
		workers = append(workers, w)
		working.Go(func() { w.Run(workCtx) })
	}
	if len(workers) > 0 {
		s.Worker = workers[0]
	}
	webhook := &messenger.Webhook{Store: db, AppSecret: AppSecret, VerifyToken: VerifyToken, Logger: logger,
		Stored: func() {
			for _, w := range workers {
				w.Wake()
			}
		}}
	// The kit's tests send hundreds of bad keys on purpose; the throttle of
	// failed key checks has a test of its own.
	apiServer := &api.Server{App: a, Location: cfg.location, Logger: logger, KeyFailureBurst: 1 << 20}
	for _, f := range cfg.apiHooks {
		f(apiServer)
	}
	proxies, err := httpserver.ParseProxies(cfg.proxies)
	if err != nil {
		tb.Fatalf("xerochattest: TrustProxies: %v", err)
	}
	s.routes = httpserver.Routes{API: apiServer.Handler(), Webhook: webhook, Ping: db.SQL().PingContext,
		Ready: db.Ready, Proxies: proxies, Logger: logger}
	hs := httptest.NewServer(s.routes.Handler())
	s.URL = hs.URL
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			hs.Close()
			cancel()
			working.Wait()
			if ownFake {
				fake.Close()
			}
			db.Close()
		})
	}
	tb.Cleanup(s.stop)
	return s
}

// Stop shuts the server down before the test ends.
func (s *Server) Stop() { s.stop() }

// Logs is a log sink safe for concurrent writers.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// LockedWriter makes any writer safe for concurrent writers, e.g. a child
// process's output collected while the test reads it.
type LockedWriter struct {
	mu sync.Mutex
	W  io.Writer
}

func (l *LockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(b)
}

// AdminKeyLine finds the admin's API key in what `serve` prints on an
// empty database.
var AdminKeyLine = regexp.MustCompile(`API key:\s+(\S+)`)
