package httpserver_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xerochat/xerochat/httpserver"
)

func TestProxies(t *testing.T) {
	proxies, err := httpserver.ParseProxies("10.0.0.0/8, 127.0.0.1,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote, xff, proto string
		tls                      bool
		wantIP                   string
		wantHTTPS                bool
	}{
		{"direct client", "203.0.113.7:5000", "", "", false, "203.0.113.7", false},
		{"direct client over TLS", "203.0.113.7:5000", "", "", true, "203.0.113.7", true},
		{"direct client lying", "203.0.113.7:5000", "198.51.100.1", "https", false, "203.0.113.7", false},
		{"through a trusted proxy", "10.1.2.3:443", "198.51.100.1", "https", false, "198.51.100.1", true},
		{"through two trusted proxies", "127.0.0.1:443", "198.51.100.1, 10.9.9.9", "http", false, "198.51.100.1", false},
		{"a client prepending a lie", "10.1.2.3:443", "6.6.6.6, 198.51.100.1", "https", false, "198.51.100.1", true},
		{"IPv6 proxy", "[::1]:443", "2001:db8::5", "https", false, "2001:db8::5", true},
		{"trusted proxy without header", "10.1.2.3:443", "", "", false, "10.1.2.3", false},
		{"garbage header", "10.1.2.3:443", "not-an-ip", "", false, "10.1.2.3", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotIP string
			var gotHTTPS bool
			h := proxies.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotIP, gotHTTPS = httpserver.ClientIP(r), httpserver.IsHTTPS(r)
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if gotIP != tc.wantIP || gotHTTPS != tc.wantHTTPS {
				t.Fatalf("client %s https %v, want %s %v", gotIP, gotHTTPS, tc.wantIP, tc.wantHTTPS)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "nope", "1.2.3"} {
		if _, err := httpserver.ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) took it", bad)
		}
	}
}

// Every answer carries a request id; only a trusted proxy may choose it,
// and only a plain one.
func TestRequestID(t *testing.T) {
	proxies, _ := httpserver.ParseProxies("10.0.0.1")
	var seen string
	h := proxies.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = httpserver.RequestID(r.Context()) }))
	for _, tc := range []struct{ remote, header, want string }{
		{"10.0.0.1:1", "abc-123", "abc-123"},
		{"203.0.113.1:1", "abc-123", ""},
		{"10.0.0.1:1", "bad id\nforged=line", ""},
		{"10.0.0.1:1", "", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		if tc.header != "" {
			r.Header.Set("X-Request-ID", tc.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get("X-Request-ID")
		if got != seen || got == "" || tc.want != "" && got != tc.want || tc.want == "" && got == tc.header {
			t.Errorf("%s sending %q: answered %q, handler saw %q", tc.remote, tc.header, got, seen)
		}
	}
}
