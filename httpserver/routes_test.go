package httpserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/httpserver"
)

// named answers its name, to tell which route took a request.
func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
}

// noRedirects shows a redirect as the answer it is, not where it leads.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// get requests a raw path (never cleaned by the client) and returns the
// status, content type and body.
func get(t *testing.T, base, path string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = path
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(body)
}

// TestRoutes checks which handler each path reaches, and that what no
// route names answers in the contract's JSON.
func TestRoutes(t *testing.T) {
	for _, withWeb := range []bool{false, true} {
		rt := httpserver.Routes{API: named("api"), Webhook: named("webhook"), Logger: slog.New(slog.DiscardHandler)}
		if withWeb {
			rt.Web = named("web")
		}
		srv := httptest.NewServer(rt.Handler())
		defer srv.Close()
		elsewhere := `{"status":"error","message":"Not found"}`
		if withWeb {
			elsewhere = "web"
		}
		for _, c := range []struct{ path, want string }{
			{"/api/get_contact", "api"},
			{"/api", "api"},
			{"/api//get_contact", "api"},          // the API's own rules, not ServeMux's redirect
			{"/api/x/../y", "api"},                // likewise: the API answers it 404 itself
			{"/index.php/api/get_contact", "api"}, // installs without URL rewriting
			{"/webhook", "webhook"},
			{"/healthz", `{"status":"ok"}`},
			{"/readyz", `{"status":"ok"}`},
			{"/login", elsewhere},
			{"/a/../login", `{"status":"error","message":"Not found"}`},
		} {
			code, _, body := get(t, srv.URL, c.path)
			if strings.TrimSpace(body) != c.want {
				t.Errorf("web %v, GET %s: want %s, got %d %s", withWeb, c.path, c.want, code, body)
			}
		}
	}
}

// TestHealthAndReadiness checks that a load balancer is told 503 when the
// database is down or its schema is not this binary's.
func TestHealthAndReadiness(t *testing.T) {
	down := errors.New("connection refused")
	var ping, ready error
	var logs bytes.Buffer
	rt := httpserver.Routes{
		Ping:   func(context.Context) error { return ping },
		Ready:  func(context.Context) error { return ready },
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	srv := httptest.NewServer(rt.Handler())
	defer srv.Close()
	for _, c := range []struct {
		name        string
		ping, ready error
		healthz     int
		readyz      int
	}{
		{"all well", nil, nil, 200, 200},
		{"schema behind", nil, errors.New("migration 13, want 14"), 200, 503},
		{"database down", down, down, 503, 503},
	} {
		ping, ready = c.ping, c.ready
		for path, want := range map[string]int{"/healthz": c.healthz, "/readyz": c.readyz} {
			code, ctype, body := get(t, srv.URL, path)
			if code != want || ctype != "application/json; charset=utf-8" || !strings.HasPrefix(body, `{"status":`) {
				t.Errorf("%s, GET %s: want %d in JSON, got %d %q %s", c.name, path, want, code, ctype, body)
			}
			if strings.Contains(body, "refused") || strings.Contains(body, "migration") {
				t.Errorf("%s, GET %s: the cause leaks into the answer: %s", c.name, path, body)
			}
		}
	}
	if !strings.Contains(logs.String(), "migration 13") {
		t.Errorf("the cause of not being ready is not logged:\n%s", logs.String())
	}
}

// TestPanicAnswersJSON checks that a handler's panic is logged and
// answered 500 in the contract's shape, and the server goes on.
func TestPanicAnswersJSON(t *testing.T) {
	var logs bytes.Buffer
	rt := httpserver.Routes{
		API:    http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("nil map") }),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	srv := httptest.NewServer(rt.Handler())
	defer srv.Close()
	code, ctype, body := get(t, srv.URL, "/api/get_contact")
	if code != 500 || ctype != "application/json; charset=utf-8" ||
		strings.TrimSpace(body) != `{"status":"error","message":"Internal server error"}` {
		t.Errorf("want the 500 envelope, got %d %q %s", code, ctype, body)
	}
	if !strings.Contains(logs.String(), "nil map") {
		t.Errorf("the panic is not logged:\n%s", logs.String())
	}
	if code, _, _ := get(t, srv.URL, "/healthz"); code != 200 {
		t.Errorf("after a panic, /healthz answers %d", code)
	}
}
