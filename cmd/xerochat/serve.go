package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/api"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/demo"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/httpserver"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/metrics"
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
	// Facebook Login: the app's id (with FBAppSecret), the server's
	// external base URL (the OAuth redirect and the webhook callback live
	// under it) and the host of Facebook's login dialog.
	FBAppID     string
	PublicURL   string
	FBDialogURL string
	// Workers is how many Messenger workers this process runs; 0 makes a
	// process that only takes requests (another one does the work).
	Workers int
	// JobLease is how long a worker reserves what it claimed; another
	// process takes over a crashed worker's work after it.
	JobLease time.Duration
	// WebhookInsecure takes unsigned webhook POSTs when no app secret is
	// set: for local development only.
	WebhookInsecure bool
	// Retention is how long processed webhook batches, event keys and
	// finished outbox messages are kept (0: for ever).
	Retention time.Duration
	// TLS is how the listener speaks HTTPS, if it does.
	TLS TLSConfig
	// TrustedProxies lists the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (comma-separated addresses or CIDRs).
	TrustedProxies string
	// MetricsAddr, when set, serves Prometheus metrics at /metrics there,
	// apart from the public listener.
	MetricsAddr string

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
	location *time.Location // --timezone
	// Background work, stopped after HTTP and before the database: the
	// Messenger workers and the CSV import runner.
	workers  []*messenger.Worker
	imports  *app.CSVImports
	stopWork context.CancelFunc
	working  sync.WaitGroup
	listener net.Listener
	plain    net.Addr // the listener's address
	closers  []func() error
	// demo plays Facebook for the demo page (serve --demo only).
	demo    *demo.Facebook
	served  chan error
	metrics *metrics.Metrics
	// MetricsURL is the base URL of the metrics listener, if any.
	MetricsURL string
}

// Run opens and migrates the database, creates the first admin on an empty
// database, and starts serving. It returns once the listener is open.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		m.Close()
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
	loc, err := time.LoadLocation(m.Config.Timezone)
	if err != nil {
		return usagef("--timezone %q: not a time zone (use e.g. UTC or Europe/Berlin)", m.Config.Timezone)
	}
	m.location = loc
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m.Out == nil {
		m.Out = io.Discard
	}
	db, err := openDB(ctx, m.Config.DB, m.Config.DBOptions)
	if err != nil {
		return err
	}
	m.DB = db
	m.closers = append(m.closers, db.Close)
	if !db.SealsTokens() {
		m.Logger.Warn("xerochat: page access tokens are stored in clear; set XEROCHAT_SECRET_KEY to seal them at rest")
	}
	if m.Config.Demo {
		if m.Config.FBAppSecret == "" {
			// The demo's people sign their posts like Facebook, with a
			// secret of this process's own: its webhook stays closed to
			// anyone else.
			m.Config.FBAppSecret = rand.Text()
		}
		m.demo = demo.StartFacebook()
		m.closers = append(m.closers, func() error { m.demo.Close(); return nil })
		m.Facebook = graph.New(m.demo.URL(), m.Config.GraphVersion)
	}
	if m.Facebook == nil {
		fb := graph.New(m.Config.GraphURL, m.Config.GraphVersion)
		fb.AppID, fb.AppSecret = m.Config.FBAppID, m.Config.FBAppSecret
		m.Facebook = fb
	}
	if m.Config.MetricsAddr != "" {
		m.metrics = metrics.New()
		m.Facebook = m.metrics.Facebook(m.Facebook)
		read, write := db.Pools()
		m.metrics.DB("read", read)
		if write != read {
			m.metrics.DB("write", write)
		}
		m.metrics.WatchBacklog(func(ctx context.Context) (int, int, int, time.Duration, error) {
			batches, messages, profiles, err := db.Backlog(ctx)
			if err != nil {
				return 0, 0, 0, 0, err
			}
			lag, err := db.Lag(ctx)
			return batches, messages, profiles, lag, err
		})
		m.metrics.WatchCSVJobs(db.CSVJobCounts)
	}
	m.App = &app.App{Users: db, Contacts: db, Pages: db, Flows: db, Facebook: m.Facebook}
	return nil
}

// start listens, bootstraps the first admin, starts the workers and serves.
func (m *Main) start(ctx context.Context) error {
	var err error
	if err := m.Config.TLS.check(); err != nil {
		return err
	}
	proxies, err := httpserver.ParseProxies(m.Config.TrustedProxies)
	if err != nil {
		return usageError{fmt.Errorf("--trusted-proxies: %w", err)}
	}
	// Listen before the first admin is made, so the printed URLs are real.
	if m.listener, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.closers = append(m.closers, func() error { m.listener.Close(); return nil })
	m.plain = m.listener.Addr()
	var redirect *http.Server
	if m.listener, redirect, err = m.Config.TLS.listen(m.listener, m.Logger); err != nil {
		return err
	}
	if redirect != nil {
		// ACME: the HTTP challenges and the redirect to HTTPS.
		go func() {
			if err := redirect.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.Logger.Error("xerochat: HTTP to HTTPS redirect", "addr", redirect.Addr, "err", err)
			}
		}()
		m.closers = append(m.closers, redirect.Close)
	}
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
	if m.Config.FBAppSecret == "" {
		if m.Config.WebhookInsecure {
			m.Logger.Warn("xerochat: the webhook takes unsigned POSTs (--webhook-insecure): anyone who can reach it can write into every page's conversations; use this for local development only")
		} else {
			m.Logger.Warn("xerochat: no --fb-app-secret: webhook POSTs are refused (403) until it is set, because unsigned posts could forge any page's events")
		}
	}
	if err := m.serveMetrics(); err != nil {
		return err
	}
	m.startWorkers()
	m.server = &http.Server{
		Handler:           m.handler(proxies),
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
	switch {
	case admin != nil && m.demo != nil:
		// The demo's data comes from real conversations through the
		// webhook, so it is seeded once the server answers.
		if err := m.seedDemo(ctx, admin.APIKey); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	case m.demo != nil:
		db := m.Config.DB
		if strings.Contains(db, "://") {
			db = "$XEROCHAT_DB" // a URL may hold a password
		}
		demo.PrintExisting(m.Out, db)
	}
	return nil
}

// handler composes the HTTP side: the API, the webhook, health checks and
// the web app.
func (m *Main) handler(proxies httpserver.Proxies) http.Handler {
	loc := m.location
	apiServer := &api.Server{App: m.App, Location: loc, Logger: m.Logger}
	webhook := &messenger.Webhook{Store: m.DB, AppSecret: m.Config.FBAppSecret, VerifyToken: m.Config.FBVerifyToken,
		AllowUnsigned: m.Config.WebhookInsecure, Logger: m.Logger, Stored: m.wakeWorkers}
	sessions := &app.Sessions{App: m.App, Store: m.DB, Idle: m.Config.SessionIdle, Max: m.Config.SessionMax}
	webApp := &web.Server{App: m.App, Sessions: sessions, Reads: m.DB, Lists: m.DB, Subs: m.DB, Imports: m.imports,
		Admin: m.DB, Packages: &app.Packages{Store: m.DB}, Flows: &app.FlowBuilder{App: m.App, Store: m.DB}, FlowEdits: m.DB,
		PublicURL: m.Config.PublicURL, Location: loc, Logger: m.Logger}
	if m.Config.FBAppID != "" && m.Config.FBAppSecret != "" && m.demo == nil {
		// DialogURL needs only the app id and the Graph version.
		dialog := graph.New(m.Config.GraphURL, m.Config.GraphVersion)
		dialog.AppID = m.Config.FBAppID
		webApp.Login = &app.FacebookLogins{App: m.App, Store: m.DB, Dialog: dialog, DialogBase: m.Config.FBDialogURL}
	}
	routes := httpserver.Routes{API: apiServer.Handler(), Webhook: webhook, Web: webApp.Handler(), Ping: m.DB.SQL().PingContext,
		Ready: m.DB.Ready, Proxies: proxies, Logger: m.Logger}
	if m.metrics != nil {
		routes.Instrument = func(h http.Handler) http.Handler { return m.metrics.Instrument(route, h) }
	}
	return routes.Handler()
}

// route names a request for the metrics: the API endpoint, or the door.
func route(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/index.php")
	switch {
	case strings.HasPrefix(p, "/api/"):
		return "api/" + api.EndpointName(p)
	case p == "/webhook", p == "/healthz", p == "/readyz":
		return p[1:]
	}
	return "other"
}

// serveMetrics serves /metrics on its own listener, when asked to.
func (m *Main) serveMetrics() error {
	if m.metrics == nil {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("--metrics-addr %s: %w", m.Config.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	m.closers = append(m.closers, srv.Close)
	m.MetricsURL = "http://" + ln.Addr().String()
	m.Logger.Info("xerochat: metrics", "addr", ln.Addr().String())
	return nil
}

// seedDemo seeds the demo through the running server and prints how to
// use it.
func (m *Main) seedDemo(ctx context.Context, adminKey string) error {
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
	seeded.PrintInstructions(m.Out, m.URL(), adminKey)
	fmt.Fprintf(m.Out, "\nDashboard: %s/login\n  admin: the e-mail and password above\n  demo member: %s  password: %s\n",
		m.URL(), seeded.Member.Email, seeded.Member.Password)
	return nil
}

// URL is the base URL of the running server.
func (m *Main) URL() string {
	if m.Config.TLS.enabled() {
		return "https://" + m.plain.String()
	}
	return "http://" + m.plain.String()
}

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

// startWorkers starts the Messenger workers and the CSV import runner,
// which run until Close. Imports run in every serving process, sharing
// their jobs through the database.
func (m *Main) startWorkers() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopWork = cancel
	m.imports = &app.CSVImports{Jobs: m.DB, Contacts: m.DB, Logger: m.Logger}
	m.working.Go(func() { m.imports.Run(ctx) })
	for range m.Config.Workers {
		w := &messenger.Worker{Store: m.DB, Facebook: m.Facebook, Logger: m.Logger, Lease: m.Config.JobLease,
			Retention: m.Config.Retention}
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
	fs.StringVar(&cfg.FBAppSecret, "fb-app-secret", envOr("XEROCHAT_FB_APP_SECRET", ""), "Facebook app secret: webhook POSTs must carry a valid X-Hub-Signature-256 made with it, and without it they are refused (env XEROCHAT_FB_APP_SECRET)")
	fs.StringVar(&cfg.FBAppID, "fb-app-id", envOr("XEROCHAT_FB_APP_ID", ""), "Facebook app id; with --fb-app-secret and --public-url, members connect pages with Facebook Login (env XEROCHAT_FB_APP_ID)")
	fs.StringVar(&cfg.PublicURL, "public-url", envOr("XEROCHAT_PUBLIC_URL", ""), "external base URL of this server, e.g. https://chat.example.com: Facebook Login's redirect and the webhook callback live under it (env XEROCHAT_PUBLIC_URL)")
	fs.StringVar(&cfg.FBDialogURL, "fb-dialog-url", envOr("XEROCHAT_FB_DIALOG_URL", graph.DefaultDialogURL), "base URL of Facebook Login's dialog (env XEROCHAT_FB_DIALOG_URL)")
	fs.StringVar(&cfg.FBVerifyToken, "fb-verify-token", envOr("XEROCHAT_FB_VERIFY_TOKEN", ""), "token Facebook sends to verify the webhook (env XEROCHAT_FB_VERIFY_TOKEN)")
	fs.IntVar(&cfg.Workers, "workers", 4, "Messenger workers in this process, each taking any page's lane (0: only take requests)")
	fs.DurationVar(&cfg.JobLease, "job-lease", 30*time.Second, "how long a worker reserves claimed work before another process may take it over")
	fs.BoolVar(&cfg.WebhookInsecure, "webhook-insecure", envOr("XEROCHAT_WEBHOOK_INSECURE", "") == "1", "without --fb-app-secret, take unsigned webhook POSTs: local development only (env XEROCHAT_WEBHOOK_INSECURE=1)")
	fs.DurationVar(&cfg.Retention, "retention", 14*24*time.Hour, "how long processed webhook batches, event keys and sent messages are kept (0: for ever)")
	fs.StringVar(&cfg.TLS.CertFile, "tls-cert", envOr("XEROCHAT_TLS_CERT", ""), "serve HTTPS with this certificate file (PEM; with --tls-key) (env XEROCHAT_TLS_CERT)")
	fs.StringVar(&cfg.TLS.KeyFile, "tls-key", envOr("XEROCHAT_TLS_KEY", ""), "the certificate's private key file (PEM) (env XEROCHAT_TLS_KEY)")
	acmeDomains := fs.String("acme-domain", envOr("XEROCHAT_ACME_DOMAIN", ""), "serve HTTPS with automatic certificates (ACME, Let's Encrypt) for these public domains, comma-separated (env XEROCHAT_ACME_DOMAIN)")
	fs.StringVar(&cfg.TLS.ACMECache, "acme-cache", envOr("XEROCHAT_ACME_CACHE", "acme-cache"), "folder the automatic certificates are kept in (env XEROCHAT_ACME_CACHE)")
	fs.StringVar(&cfg.TLS.ACMEEmail, "acme-email", envOr("XEROCHAT_ACME_EMAIL", ""), "e-mail the certificate authority may write to about expiring certificates (env XEROCHAT_ACME_EMAIL)")
	fs.StringVar(&cfg.TLS.HTTPAddr, "http-addr", envOr("XEROCHAT_HTTP_ADDR", ":80"), "with --acme-domain: plain-HTTP address for the certificate challenges and the redirect to HTTPS (env XEROCHAT_HTTP_ADDR)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", envOr("XEROCHAT_METRICS_ADDR", ""), "serve Prometheus metrics at /metrics on this address, apart from the public one (default: off) (env XEROCHAT_METRICS_ADDR)")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", envOr("XEROCHAT_TRUSTED_PROXIES", ""), "reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDRs, comma-separated (env XEROCHAT_TRUSTED_PROXIES)")
	fs.DurationVar(&cfg.SessionIdle, "session-idle", app.DefaultIdle, "web app: a session unused this long ends")
	fs.DurationVar(&cfg.SessionMax, "session-max", app.DefaultMax, "web app: every session ends this long after sign-in")
	dbPoolFlags(fs, &cfg.DBOptions)
	logFormat := fs.String("log-format", envOr("XEROCHAT_LOG_FORMAT", "text"), "log format: text or json (env XEROCHAT_LOG_FORMAT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := errors.Join(atLeast("workers", cfg.Workers, 0), atLeast("job-lease", cfg.JobLease, time.Second),
		atLeast("retention", cfg.Retention, 0), atLeast("session-idle", cfg.SessionIdle, time.Minute),
		atLeast("session-max", cfg.SessionMax, time.Minute), checkPoolFlags(cfg.DBOptions)); err != nil {
		return err
	}
	// Both URLs are bases that paths are appended to: a scheme and a host,
	// nothing after but an optional trailing slash.
	checkBaseURL := func(flag, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return usagef("--%s %q: want a base URL such as https://chat.example.com", flag, v)
		}
		return nil
	}
	if err := errors.Join(checkBaseURL("public-url", cfg.PublicURL), checkBaseURL("fb-dialog-url", cfg.FBDialogURL)); err != nil {
		return err
	}
	cfg.DB = *db
	cfg.TLS.ACMEDomains = splitList(*acmeDomains)
	m := &Main{Config: cfg, Out: stdout}
	switch *logFormat {
	case "text":
		m.Logger = slog.New(httpserver.LogHandler(slog.NewTextHandler(stderr, nil)))
	case "json":
		m.Logger = slog.New(httpserver.LogHandler(slog.NewJSONHandler(stderr, nil)))
	default:
		return usagef("--log-format %q: use text or json", *logFormat)
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "xerochat is serving the API at %s/api/ and the web app at %s/\n", m.URL(), m.URL())
	select {
	case <-ctx.Done():
		m.Logger.Info("xerochat: shutting down")
	case err := <-m.served:
		m.Close()
		return err
	}
	return m.Close()
}
