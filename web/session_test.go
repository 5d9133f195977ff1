package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

func location(t *testing.T, res xerochattest.Response) string {
	t.Helper()
	if res.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; body: %.300s", res.Status, res.Body)
	}
	return res.Header.Get("Location")
}

func TestRootSendsVisitorsToLoginAndMembersToDashboard(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	if got := location(t, c.Get("/")); got != "/login" {
		t.Errorf("visitor: / sends to %q, want /login", got)
	}
	if got := location(t, c.Get("/app/pages")); got != "/login?next=%2Fapp%2Fpages" {
		t.Errorf("visitor: /app/pages sends to %q", got)
	}
	res := c.PostForm("/login", xerochattest.Vals("email", m.Email, "password", xerochattest.MemberPassword, "next", "/app/pages"))
	if got := location(t, res); got != "/app/pages" {
		t.Errorf("login sends to %q, want the page asked for", got)
	}
	if got := location(t, c.Get("/")); got != "/app" {
		t.Errorf("member: / sends to %q, want /app", got)
	}
	if res := c.Get("/app"); res.Status != http.StatusOK || !strings.Contains(string(res.Body), "Overview") {
		t.Errorf("dashboard: %d %.200s", res.Status, res.Body)
	}
}

func TestLoginRefusalsTellNothing(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	for _, tc := range []struct{ name, email, password string }{
		{"wrong password", m.Email, "not-the-password"},
		{"unknown e-mail", "nobody@example.com", "not-the-password"},
		{"e-mail in other case, wrong password", "ANN@example.com", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := ws.Client().PostForm("/login", xerochattest.Vals("email", tc.email, "password", tc.password))
			if res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), xerochat.MsgLoginFailed) {
				t.Errorf("status %d, want 401 with %q: %.400s", res.Status, xerochat.MsgLoginFailed, res.Body)
			}
			if c := res.Header.Get("Set-Cookie"); strings.Contains(c, "xerochat_session") {
				t.Errorf("a refused login set a session cookie: %s", c)
			}
		})
	}
}

func TestFailedLoginsAreThrottledPerAccount(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	for range 5 {
		c.PostForm("/login", xerochattest.Vals("email", m.Email, "password", "guess"))
	}
	res := c.PostForm("/login", xerochattest.Vals("email", m.Email, "password", xerochattest.MemberPassword))
	if res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), xerochat.MsgLoginThrottled) {
		t.Fatalf("right password after 5 failures: %d %.300s", res.Status, res.Body)
	}
	// An unknown e-mail is throttled alike, so throttling tells no account apart.
	for range 5 {
		c.PostForm("/login", xerochattest.Vals("email", "ghost@example.com", "password", "guess"))
	}
	res = c.PostForm("/login", xerochattest.Vals("email", "ghost@example.com", "password", "guess"))
	if !strings.Contains(string(res.Body), xerochat.MsgLoginThrottled) {
		t.Errorf("unknown e-mail after 5 failures: %.300s", res.Body)
	}
	ws.Advance(16 * time.Minute)
	c.Login(m.Email, xerochattest.MemberPassword)
}

func TestFailedLoginsAreThrottledPerAddress(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	for i := range 20 {
		c.PostForm("/login", xerochattest.Vals("email", "u"+string(rune('a'+i))+"@example.com", "password", "guess"))
	}
	res := c.PostForm("/login", xerochattest.Vals("email", m.Email, "password", xerochattest.MemberPassword))
	if !strings.Contains(string(res.Body), xerochat.MsgLoginThrottled) {
		t.Fatalf("a good login from an address with 20 failures: %d %.300s", res.Status, res.Body)
	}
}

func TestLoginRecordsLastLogin(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	info := func() map[string]any {
		res := ws.Get("get_user_info", xerochattest.Vals("api_key", ws.AdminKey, "user_id", itoa(m.ID)))
		return res.JSON(t)["user_info"].(map[string]any)
	}
	if got := info()["last_login_ip"]; got != "" {
		t.Fatalf("before any login last_login_ip = %v", got)
	}
	ws.Client().Login(m.Email, xerochattest.MemberPassword)
	u := info()
	if u["last_login_ip"] != "127.0.0.1" || u["last_login_at"] == "0000-00-00 00:00:00" {
		t.Errorf("after a dashboard login: last_login_at %v, last_login_ip %v", u["last_login_at"], u["last_login_ip"])
	}
}

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	check := func(path string, res xerochattest.Response) {
		t.Helper()
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: nosniff %q, Referrer-Policy %q", path, res.Header.Get("X-Content-Type-Options"), res.Header.Get("Referrer-Policy"))
		}
		if strings.Contains(string(res.Body), "<script>") || strings.Contains(string(res.Body), " onclick=") {
			t.Errorf("%s: inline script in the page", path)
		}
	}
	for _, p := range []string{"/", "/login", "/no/such/page", "/static/app.css", "/app"} {
		check(p, c.Get(p))
	}
	c.Login(m.Email, xerochattest.MemberPassword)
	for _, p := range []string{"/app", "/app/api-key", "/app/profile", "/app/pages", "/app/no-such-screen"} {
		check(p, c.Get(p))
	}
}

func TestSessionCookieFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted string
		secure  bool
	}{
		{"X-Forwarded-Proto from a trusted proxy", "127.0.0.1", true},
		{"X-Forwarded-Proto from anyone else", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) { sessionCookieFlags(t, tc.trusted, tc.secure) })
	}
}

// sessionCookieFlags signs in over HTTP and with X-Forwarded-Proto: https,
// from a peer trusted as a proxy or not.
func sessionCookieFlags(t *testing.T, trusted string, secureWhenForwarded bool) {
	ws := xerochattest.NewWebServer(t, xerochattest.TrustProxies(trusted))
	m := ws.NewMember("ann@example.com", "")
	login := func(https bool) *http.Cookie {
		req, _ := http.NewRequest(http.MethodPost, ws.URL+"/login",
			strings.NewReader(xerochattest.Vals("email", m.Email, "password", xerochattest.MemberPassword).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if https {
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		res := ws.Client().Do(req)
		for _, c := range (&http.Response{Header: res.Header}).Cookies() {
			if c.Name == "xerochat_session" {
				return c
			}
		}
		t.Fatalf("no session cookie: %v", res.Header)
		return nil
	}
	c := login(false)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("over HTTP: HttpOnly %v SameSite %v Secure %v", c.HttpOnly, c.SameSite, c.Secure)
	}
	if c := login(true); c.Secure != secureWhenForwarded {
		t.Errorf("forwarded as HTTPS: Secure %v, want %v", c.Secure, secureWhenForwarded)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
