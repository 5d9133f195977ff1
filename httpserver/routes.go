package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

// Routes are the handlers one xerochat listener serves.
type Routes struct {
	// API answers /api and everything under it, whatever the path's shape:
	// the contract wants its JSON even for unclean paths.
	API http.Handler
	// Webhook answers Facebook at /webhook.
	Webhook http.Handler
	// Web, when set, answers every other path (the web app: /, /login,
	// /app/..., its static files); without it they answer 404 in JSON.
	Web http.Handler
	// Ping tells whether the database answers, for GET /healthz.
	Ping func(context.Context) error
	// Ready tells whether the process can serve: the database answers and
	// its migrations are current, for GET /readyz.
	Ready func(context.Context) error
	// Instrument, when set, wraps the routes (metrics).
	Instrument func(http.Handler) http.Handler
	// Proxies are the reverse proxies believed about the client's address
	// and scheme.
	Proxies Proxies
	Logger  *slog.Logger
}

// Handler returns the whole server's handler, wrapped in the request log,
// panic recovery and the trusted proxies' view of the client. A path outside
// the routes answers 404 in the contract's shape.
func (rt Routes) Handler() http.Handler {
	if rt.Logger == nil {
		rt.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", rt.health)
	mux.HandleFunc("GET /readyz", rt.ready)
	if rt.Webhook != nil {
		mux.Handle("/webhook", rt.Webhook)
	}
	if rt.Web != nil {
		mux.Handle("/", rt.Web)
	} else {
		mux.HandleFunc("/", NotFound)
	}
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /api/ is routed before the mux: ServeMux answers unclean paths
		// such as /api//x with an HTML redirect.
		p := strings.TrimPrefix(r.URL.Path, "/index.php")
		if rt.API != nil && (strings.HasPrefix(p, "/api/") || p == "/api") {
			rt.API.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != path.Clean(r.URL.Path) {
			NotFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	var h http.Handler = root
	if rt.Instrument != nil {
		h = rt.Instrument(h)
	}
	return rt.Proxies.Wrap(LogRequests(rt.Logger, h))
}

// health answers {"status":"ok"} while the database answers.
func (rt Routes) health(w http.ResponseWriter, r *http.Request) {
	if rt.Ping != nil {
		if err := rt.Ping(r.Context()); err != nil {
			WriteError(w, http.StatusServiceUnavailable, "database unavailable")
			return
		}
	}
	WriteJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{"ok"})
}

// ready answers {"status":"ok"} when the process can take traffic: the
// database answers and its schema is the one this binary expects. A
// process started beside a newer database, or before `migrate` ran, is
// alive but not ready.
func (rt Routes) ready(w http.ResponseWriter, r *http.Request) {
	if rt.Ready != nil {
		if err := rt.Ready(r.Context()); err != nil {
			rt.Logger.WarnContext(r.Context(), "http: not ready", "err", err)
			WriteError(w, http.StatusServiceUnavailable, "not ready")
			return
		}
	}
	rt.health(w, r)
}

// NotFound answers a path that names nothing, in the contract's shape.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	WriteError(w, http.StatusNotFound, "Not found")
}
