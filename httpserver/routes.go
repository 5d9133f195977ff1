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
	Ping   func(context.Context) error
	Logger *slog.Logger
}

// Handler returns the whole server's handler, wrapped in the request log
// and panic recovery. A path outside the routes answers 404 in the
// contract's shape.
func (rt Routes) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", rt.health)
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
	logger := rt.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return LogRequests(logger, root)
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

// NotFound answers a path that names nothing, in the contract's shape.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	WriteError(w, http.StatusNotFound, "Not found")
}
