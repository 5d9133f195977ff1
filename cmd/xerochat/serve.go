package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/api"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/sqlstore"
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
	// Graph is the Facebook client; built from the Graph flags when nil.
	Graph    *graph.Client
	server   *http.Server
	workers  []*messenger.Worker
	stopWork context.CancelFunc
	working  sync.WaitGroup
	listener net.Listener
	closers  []func() error
	// demoGraph plays Facebook for the demo page (serve --demo only).
	demoGraph *fakegraph.Server
	// afterOpen runs once the database is open, before serving.
	afterOpen []func(context.Context) error
	served    chan error
}

// Run opens and migrates the database, creates the first admin on an empty
// database, and starts serving. It returns once the listener is open.
func (m *Main) Run(ctx context.Context) error {
	loc, err := time.LoadLocation(m.Config.Timezone)
	if err != nil {
		return fmt.Errorf("--timezone %q: %w", m.Config.Timezone, err)
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m.Out == nil {
		m.Out = io.Discard
	}
	m.DB, err = sqlstore.Open(ctx, m.Config.DB, m.Config.DBOptions)
	if err != nil {
		return err
	}
	m.closers = append(m.closers, m.DB.Close)
	if m.Graph == nil {
		m.Graph = graph.New(m.Config.GraphURL, m.Config.GraphVersion)
	}
	// Listen before the first admin is made, so the printed URLs are real.
	m.listener, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		m.Close()
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.closers = append(m.closers, func() error { m.listener.Close(); return nil })
	created, err := m.bootstrap(ctx)
	if err != nil {
		m.Close()
		return err
	}
	for _, fn := range m.afterOpen {
		if err := fn(ctx); err != nil {
			m.Close()
			return err
		}
	}
	apiServer := &api.Server{Users: m.DB, Contacts: m.DB, Pages: m.DB, Flows: m.DB, Facebook: m.Graph,
		Location: loc, Logger: m.Logger}
	m.startWorkers()
	webhook := &messenger.Webhook{Store: m.DB, AppSecret: m.Config.FBAppSecret, VerifyToken: m.Config.FBVerifyToken,
		Logger: m.Logger, Stored: m.wakeWorkers}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", m.health)
	mux.Handle("/webhook", webhook)
	mux.HandleFunc("/", notFound)
	apiHandler := apiServer.Handler()
	// /api/ is routed before the mux: ServeMux answers unclean paths such
	// as /api//x with an HTML redirect, and the contract wants JSON always.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api" {
			apiHandler.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != path.Clean(r.URL.Path) {
			notFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	m.server = &http.Server{
		Handler:           logRequests(m.Logger, root),
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
	if created && m.Config.Demo {
		// The demo's data comes from real conversations through the
		// webhook, so it is seeded once the server answers.
		if err := m.seedDemo(ctx); err != nil {
			m.Close()
			return fmt.Errorf("demo: %w", err)
		}
	}
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
		w := &messenger.Worker{Store: m.DB, Graph: m.Graph, Logger: m.Logger, Lease: m.Config.JobLease}
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

// bootstrap creates the first admin when the database has no user, and
// prints its credentials: the only time the password and key are shown.
// Several processes starting at once on one empty database race here; the
// e-mail's unique index lets exactly one win, and the others carry on.
// created tells whether this process made the admin.
func (m *Main) bootstrap(ctx context.Context) (created bool, err error) {
	n, err := m.DB.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	password := randomPassword()
	id, err := m.DB.CreateUser(ctx, xerochat.NewUser{Name: "Admin", Email: m.Config.AdminEmail, Password: password,
		Type: xerochat.UserTypeAdmin, PackageID: 1})
	if xerochat.ErrorCode(err) == xerochat.ECONFLICT {
		return false, nil
	} else if err != nil {
		return false, err
	}
	key, err := m.DB.RotateAPIKey(ctx, id)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(m.Out, "Created the admin account (shown once, keep it safe):\n  e-mail:   %s\n  password: %s\n  API key:  %s\n",
		m.Config.AdminEmail, password, key)
	return true, nil
}

func (m *Main) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := m.DB.SQL().PingContext(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"status":"error","message":"database unavailable"}`+"\n")
		return
	}
	io.WriteString(w, `{"status":"ok"}`+"\n")
}

// notFound answers any path outside the API in the API's error shape.
func notFound(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"status":"error","message":"Not found"}`+"\n")
}

// statusRecorder remembers the status and size of an answer for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request. It logs the path only: the query
// string carries API keys. A panic in a handler is logged and answered 500
// in the contract's shape instead of dropping the connection.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.Error("http: panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					rec.Header().Set("Content-Type", "application/json; charset=utf-8")
					rec.WriteHeader(http.StatusInternalServerError)
					io.WriteString(rec, `{"status":"error","message":"Internal server error"}`+"\n")
				}
			}
			logger.Info("http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "ms", strconv.FormatFloat(float64(time.Since(start).Microseconds())/1000, 'f', 2, 64),
				"remote", r.RemoteAddr)
		}()
		next.ServeHTTP(rec, r)
	})
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
	if cfg.Demo {
		stopDemo, err := m.startDemoGraph()
		if err != nil {
			return err
		}
		defer stopDemo()
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
