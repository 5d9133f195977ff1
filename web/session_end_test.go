package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// signedIn reports whether the client's session still opens the dashboard.
func signedIn(t *testing.T, c *xerochattest.WebClient) bool {
	t.Helper()
	res := c.Get("/app")
	switch res.Status {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		if !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("signed out, but sent to %q", res.Header.Get("Location"))
		}
		return false
	}
	t.Fatalf("/app: status %d", res.Status)
	return false
}

func TestChangingThePasswordEndsEverySession(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	here, elsewhere := ws.Client(), ws.Client()
	here.Login(m.Email, xerochattest.MemberPassword)
	elsewhere.Login(m.Email, xerochattest.MemberPassword)

	for _, tc := range []struct {
		name, current, next, repeat, want string
	}{
		{"wrong current password", "nope", "new-password-1", "new-password-1", xerochat.MsgPasswordWrong},
		{"too short", xerochattest.MemberPassword, "short", "short", xerochat.MsgPasswordShort},
		{"typed differently", xerochattest.MemberPassword, "new-password-1", "new-password-2", xerochat.MsgPasswordMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := here.PostForm("/app/profile/password", xerochattest.Vals("current_password", tc.current,
				"new_password", tc.next, "repeat_password", tc.repeat))
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), tc.want) {
				t.Errorf("status %d, want 422 with %q", res.Status, tc.want)
			}
		})
	}
	if !signedIn(t, elsewhere) {
		t.Fatal("a refused change ended a session")
	}
	res := here.PostForm("/app/profile/password", xerochattest.Vals("current_password", xerochattest.MemberPassword,
		"new_password", "new-password-1", "repeat_password", "new-password-1"))
	if got := location(t, res); got != "/app/profile" {
		t.Fatalf("change sends to %q", got)
	}
	if signedIn(t, elsewhere) {
		t.Error("the other browser is still signed in after the password changed")
	}
	if !signedIn(t, here) {
		t.Error("the browser that changed the password was signed out")
	}
	if res := ws.Client().PostForm("/login", xerochattest.Vals("email", m.Email, "password", xerochattest.MemberPassword)); res.Status != http.StatusUnauthorized {
		t.Errorf("the old password still signs in: %d", res.Status)
	}
	ws.Client().Login(m.Email, "new-password-1")
}

func TestDeactivatingAUserEndsTheirSessions(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	if res := ws.Post("update_user/"+itoa(m.ID), xerochattest.Vals("api_key", ws.AdminKey, "status", "0")); res.Message(t) != "" {
		t.Fatalf("update_user: %s", res.Body)
	}
	if signedIn(t, c) {
		t.Fatal("an inactive user is still signed in")
	}
	res := ws.Client().PostForm("/login", xerochattest.Vals("email", m.Email, "password", xerochattest.MemberPassword))
	if res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), xerochat.MsgLoginInactive) {
		t.Errorf("an inactive user signing in: %d %.300s", res.Status, res.Body)
	}
	// Reactivating does not bring the ended session back.
	ws.Post("update_user/"+itoa(m.ID), xerochattest.Vals("api_key", ws.AdminKey, "status", "1"))
	if signedIn(t, c) {
		t.Error("reactivation revived an ended session")
	}
}

func TestSessionsExpire(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	t.Run("idle", func(t *testing.T) {
		c := ws.Client()
		c.Login(m.Email, xerochattest.MemberPassword)
		ws.Advance(time.Hour)
		if !signedIn(t, c) {
			t.Fatal("signed out after an hour of use")
		}
		ws.Advance(2*time.Hour + time.Minute)
		if signedIn(t, c) {
			t.Error("still signed in after more than two idle hours")
		}
	})
	t.Run("absolute", func(t *testing.T) {
		c := ws.Client()
		c.Login(m.Email, xerochattest.MemberPassword)
		for range 13 { // 23h50m of use, never idle for two hours
			ws.Advance(110 * time.Minute)
			if !signedIn(t, c) {
				t.Fatal("a session in use ended before its lifetime")
			}
		}
		ws.Advance(20 * time.Minute) // 24h10m after sign-in, 20 minutes idle
		if signedIn(t, c) {
			t.Error("still signed in past the absolute lifetime")
		}
	})
}

func TestLogoutEndsTheSessionOnTheServer(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	req, _ := http.NewRequest(http.MethodGet, ws.URL+"/app", nil)
	cookies := c.HTTP.Jar.Cookies(req.URL)
	if got := location(t, c.PostForm("/logout", nil)); got != "/login?bye=1" {
		t.Errorf("logout sends to %q", got)
	}
	// The cookie a thief copied before the logout no longer works.
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	if res := ws.Client().Do(req); res.Status != http.StatusSeeOther {
		t.Errorf("the old cookie after logout: status %d", res.Status)
	}
}

func TestCrossSiteRequestsAreRefused(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	for _, tc := range []struct{ name, header, value string }{
		{"Sec-Fetch-Site cross-site", "Sec-Fetch-Site", "cross-site"},
		{"foreign Origin", "Origin", "http://evil.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/app/api-key", "/app/profile", "/logout", "/app/profile/password"} {
				req, _ := http.NewRequest(http.MethodPost, ws.URL+path, strings.NewReader("name=Mallory"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set(tc.header, tc.value)
				// c.HTTP, not c.Do: Do would mark the request same-origin.
				res, err := c.HTTP.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s: status %d, want 403", path, res.StatusCode)
				}
			}
		})
	}
	// Nothing changed: the key still works, the name is the same, the session lives.
	if res := ws.Get("get_flow_campaigns", xerochattest.Vals("api_key", m.Key)); string(res.Body) != "[]\n" {
		t.Errorf("the API key changed: %s", res.Body)
	}
	if !signedIn(t, c) {
		t.Error("a cross-site logout ended the session")
	}
}
