package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/api"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/demo"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/httpserver"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/web"
)

// Config is what serve needs; flags and environment variables fill it.
type Config struct {
	Addr         string
	DB           string
	DBOptions    sqlstore.Options
	GraphURL     string
	GraphVersion string
	Timezone     string
	Demo         bool
	AdminEmail   string

	// Messenger.
	FBAppSecret   string
	FBVerifyToken string
	// Workers is how many Messenger workers this process runs; 0 makes a
	// process that only takes requests (another one does the work).
	Workers int
	// JobLease is how long a worker reserves what it claimed; another
	// process takes over a crashed worker's work after it.
	JobLease time.Duration

	// Web app sessions: ended after SessionIdle without use, and
	// SessionMax after sign-in whatever happens.
	SessionIdle time.Duration
	SessionMax  time.Duration
}

// Main is a running server: the database, the HTTP listener and the
// background work. Tests start one on port 0 with a temporary database.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Out receives what a person must read once: the first admin's
	// credentials and the demo's instructions.
	Out io.Writer

	DB *sqlstore.DB
	// Facebook is the Graph client; built from the Graph flags when nil.
	Facebook xerochat.Facebook
	// App is the use-case layer over DB and Facebook, made by Run.
	App *app.App

	server   *http.Server
	workers  []*messenger.Worker
	stopWork context.CancelFunc
	working  sync.WaitGroup
	listener net.Listener
	closers  []func() error
	// demo plays Facebook for the demo page (serve --demo only).
	demo   *demo.Facebook
	served chan error
}

// Run opens and migrates the database, creates the first admin on an empty
// database, and starts serving. It returns once the listener is open.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	if err := m.start(ctx); err != nil {
		m.Close()
		return err
	}
	return nil
}

// Open opens the database and builds the use-case layer.
func (m *Main) Open(ctx context.Context) error {
	if _, err := time.LoadLocation(m.Config.Timezone); err != nil {
		return fmt.Errorf("--timezone %q: %w", m.Config.Timezone, err)
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m.Out == nil {
		m.Out = io.Discard
	}
	db, err := sqlstore.Open(ctx, m.Config.DB, m.Config.DBOptions)
	if err != nil {
		return err
	}
	m.DB = db
	m.closers = append(m.closers, db.Close)
	if m.Config.Demo {
		m.demo = demo.StartFacebook()
		m.closers = append(m.closers, func() error { m.demo.Close(); return nil })
		m.Facebook = graph.New(m.demo.URL(), m.Config.GraphVersion)
	}
	if m.Facebook == nil {
		m.Facebook = graph.New(m.Config.GraphURL, m.Config.GraphVersion)
	}
	m.App = &app.App{Users: db, Contacts: db, Pages: db, Flows: db, Facebook: m.Facebook}
	return nil
}

// start listens, bootstraps the first admin, starts the workers and serves.
func (m *Main) start(ctx context.Context) error {
	var err error
	// Listen before the first admin is made, so the printed URLs are real.
	if m.listener, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.closers = append(m.closers, func() error { m.listener.Close(); return nil })
	admin, err := m.App.Bootstrap(ctx, m.Config.AdminEmail)
	if err != nil {
		return err
	}
	if admin != nil {
		fmt.Fprintf(m.Out, "Created the admin account (shown once, keep it safe):\n  e-mail:   %s\n  password: %s\n  API key:  %s\n",
			admin.Email, admin.Password, admin.APIKey)
	}
	if m.demo != nil {
		if err := m.demo.MirrorLabels(ctx, m.App); err != nil {
			return err
		}
	}
	m.startWorkers()
	m.server = &http.Server{
		Handler:           m.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		// Above the API's own 1 MiB query limit, so that an oversized query
		// gets the API's JSON answer rather than Go's plain-text 431.
		MaxHeaderBytes: 2 << 20,
		ErrorLog:       slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(m.listener) }()
	m.Logger.Info("xerochat: serving", "addr", m.listener.Addr().String(), "db", string(m.DB.Dialect()))
	if admin != nil && m.demo != nil {
		// The demo's data comes from real conversations through the
		// webhook, so it is seeded once the server answers.
		if err := m.seedDemo(ctx); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// handler composes the HTTP side: the API, the webhook, health checks and
// the web app.
func (m *Main) handler() http.Handler {
	loc, _ := time.LoadLocation(m.Config.Timezone) // checked by Open
	apiServer := &api.Server{App: m.App, Location: loc, Logger: m.Logger}
	webhook := &messenger.Webhook{Store: m.DB, AppSecret: m.Config.FBAppSecret, VerifyToken: m.Config.FBVerifyToken,
		Logger: m.Logger, Stored: m.wakeWorkers}
	sessions := &app.Sessions{App: m.App, Store: m.DB, Idle: m.Config.SessionIdle, Max: m.Config.SessionMax}
	// CSV imports run in every serving process, sharing jobs through the
	// database; the runner stops before the database closes.
	imports := &app.CSVImports{Jobs: m.DB, Contacts: m.DB, Logger: m.Logger}
	importCtx, stopImports := context.WithCancel(context.Background())
	var importing sync.WaitGroup
	importing.Go(func() { imports.Run(importCtx) })
	m.closers = append(m.closers, func() error { stopImports(); importing.Wait(); return nil })
	webApp := &web.Server{App: m.App, Sessions: sessions, Reads: m.DB, Lists: m.DB, Subs: m.DB, Imports: imports,
		Admin: m.DB, Packages: &app.Packages{Store: m.DB}, Flows: &app.FlowBuilder{App: m.App, Store: m.DB}, FlowEdits: m.DB,
		Location: loc, Logger: m.Logger}
	return httpserver.Routes{API: apiServer.Handler(), Webhook: webhook, Web: webApp.Handler(),
		Ping: m.DB.SQL().PingContext, Logger: m.Logger}.Handler()
}

// seedDemo seeds the demo through the running server and prints how to
// use it.
func (m *Main) seedDemo(ctx context.Context) error {
	if m.Config.Workers < 1 {
		return errors.New("the demo needs a Messenger worker: do not combine --demo with --workers 0")
	}
	seeded, err := m.demo.Seed(ctx, demo.Server{App: m.App, URL: m.URL(), AppSecret: m.Config.FBAppSecret,
		Idle: func(ctx context.Context) bool {
			batches, messages, profiles, err := m.DB.Backlog(ctx)
			return err == nil && batches+messages+profiles == 0
		}})
	if err != nil {
		return err
	}
	seeded.PrintInstructions(m.Out, m.URL())
	fmt.Fprintf(m.Out, "\nDashboard: %s/login\n  admin: the e-mail and password above\n  demo member: %s  password: %s\n",
		m.URL(), seeded.Member.Email, seeded.Member.Password)
	return nil
}

// URL is the base URL of the running server.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Close stops in order: HTTP first (in-flight requests may finish within the
// time limit), then background work, then the database.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.stopWork != nil {
		m.stopWork()
		m.working.Wait()
		m.stopWork = nil
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	m.closers = nil
	return errors.Join(errs...)
}

// startWorkers starts the Messenger workers, which run until Close.
func (m *Main) startWorkers() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopWork = cancel
	for range m.Config.Workers {
		w := &messenger.Worker{Store: m.DB, Facebook: m.Facebook, Logger: m.Logger, Lease: m.Config.JobLease}
		m.workers = append(m.workers, w)
		m.working.Go(func() { w.Run(ctx) })
	}
}

// wakeWorkers tells this process's workers that a batch has arrived.
func (m *Main) wakeWorkers() {
	for _, w := range m.workers {
		w.Wake()
	}
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := newFlags("serve", "Runs the XeroChat API server until SIGINT or SIGTERM.", stderr)
	var cfg Config
	fs.StringVar(&cfg.Addr, "addr", envOr("XEROCHAT_ADDR", "127.0.0.1:8080"), "listen address (env XEROCHAT_ADDR)")
	graphFlags(fs, &cfg.GraphURL, &cfg.GraphVersion)
	fs.StringVar(&cfg.Timezone, "timezone", envOr("XEROCHAT_TIMEZONE", "UTC"), "time zone of dates the API shows and of expiry dates (env XEROCHAT_TIMEZONE)")
	fs.StringVar(&cfg.AdminEmail, "admin-email", envOr("XEROCHAT_ADMIN_EMAIL", "admin@xerochat.local"), "e-mail of the admin created on an empty database (env XEROCHAT_ADMIN_EMAIL)")
	fs.BoolVar(&cfg.Demo, "demo", false, "on an empty database, also seed a demo member, page, subscribers, labels, contacts and a flow campaign (Facebook simulated in-process)")
	fs.StringVar(&cfg.FBAppSecret, "fb-app-secret", envOr("XEROCHAT_FB_APP_SECRET", ""), "Facebook app secret; when set, webhook POSTs must carry a valid X-Hub-Signature-256 (env XEROCHAT_FB_APP_SECRET)")
	fs.StringVar(&cfg.FBVerifyToken, "fb-verify-token", envOr("XEROCHAT_FB_VERIFY_TOKEN", ""), "token Facebook sends to verify the webhook (env XEROCHAT_FB_VERIFY_TOKEN)")
	fs.IntVar(&cfg.Workers, "workers", 1, "Messenger workers in this process (0: only take requests)")
	fs.DurationVar(&cfg.JobLease, "job-lease", 30*time.Second, "how long a worker reserves claimed work before another process may take it over")
	fs.DurationVar(&cfg.SessionIdle, "session-idle", app.DefaultIdle, "web app: a session unused this long ends")
	fs.DurationVar(&cfg.SessionMax, "session-max", app.DefaultMax, "web app: every session ends this long after sign-in")
	dbPoolFlags(fs, &cfg.DBOptions)
	logFormat := fs.String("log-format", envOr("XEROCHAT_LOG_FORMAT", "text"), "log format: text or json (env XEROCHAT_LOG_FORMAT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.DB = *db
	m := &Main{Config: cfg, Out: stdout}
	switch *logFormat {
	case "text":
		m.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		m.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return fmt.Errorf("--log-format %q: use text or json", *logFormat)
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "xerochat is serving the API at %s/api/\n", m.URL())
	select {
	case <-ctx.Done():
		m.Logger.Info("xerochat: shutting down")
	case err := <-m.served:
		m.Close()
		return err
	}
	return m.Close()
}
