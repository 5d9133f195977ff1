package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/httpserver"
)

// contentSecurityPolicy allows scripts, styles and images from this server
// only: no inline script can run, and no other site may frame a page.
// Forms post to this server only; formOrigins adds the origins a form's
// answer may redirect to (browsers apply form-action to the redirect as
// well): Facebook Login's dialog, after the Connect button.
func contentSecurityPolicy(formOrigins ...string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action " + strings.Join(append([]string{"'self'"}, formOrigins...), " ") +
		"; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// securityHeaders sets the headers every answer of the web app carries,
// with the policy csp. Pages hold personal data and one-time secrets (API
// keys, passwords), so nothing is cached.
func securityHeaders(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// sessionCookie names the cookie that carries the session token.
const sessionCookie = "xerochat_session"

// setSessionCookie gives the browser its session. Secure when the request
// came over HTTPS, directly or through a proxy that says so: a client that
// claims HTTPS falsely only loses its own cookie.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: overHTTPS(r), MaxAge: int(s.maxLifetime() / time.Second)})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: overHTTPS(r), MaxAge: -1})
}

func (s *Server) maxLifetime() time.Duration { return s.Sessions.MaxLifetime() }

// overHTTPS and clientIP are httpserver's view of the request: the
// scheme and the client's address as the connection, or a trusted proxy
// (--trusted-proxies), tells them; headers of anyone else are ignored.
// Failed sign-ins are counted, and logins recorded, under that address.
var (
	overHTTPS = httpserver.IsHTTPS
	clientIP  = httpserver.ClientIP
)

type userKey struct{}

// currentUser returns the signed-in user of the request, nil for a visitor.
func (s *Server) currentUser(r *http.Request) *xerochat.User {
	if u, ok := r.Context().Value(userKey{}).(*xerochat.User); ok {
		return u
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	u, err := s.Sessions.Check(r.Context(), c.Value)
	if err != nil {
		if xerochat.ErrorCode(err) == xerochat.EINTERNAL {
			s.Logger.Error("web: session check", "err", err)
		}
		return nil
	}
	return u
}

// signedIn runs h for a signed-in user and sends a visitor to the login
// page, which brings them back afterwards.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *view)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := s.currentUser(r)
		if u == nil {
			if _, err := r.Cookie(sessionCookie); err == nil {
				s.clearSessionCookie(w, r)
			}
			next := "/app"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
		v := &view{User: u}
		if r.Method == http.MethodGet {
			v.Notice = takeNotice(w, r)
		}
		if err := checkForm(r); err != nil {
			s.fail(w, r, v, err)
			return
		}
		h(w, r, v)
	}
}

// formFieldLimit bounds the form fields the API has no parameter for
// (question texts, completion messages); the API's own fields keep the
// API's limits.
const formFieldLimit = 20000

// checkForm holds a posted form to the rules the API holds its parameters
// to (xerochat.CheckField: UTF-8 without NUL, the same lengths for the same
// names), so that the browser stores nothing the API would refuse. A
// multipart form (a CSV file) is read by its own handler.
func checkForm(r *http.Request) error {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return &xerochat.Error{Code: xerochat.EINVALID, Message: "The form could not be read"}
	}
	for name, values := range r.PostForm {
		limit := 0 // the API's limit for the API's fields
		if longField(name) {
			limit = formFieldLimit
		}
		for _, v := range values {
			if err := xerochat.CheckField(name, v, limit); err != nil {
				return err
			}
		}
	}
	return nil
}

// longField tells the flow builder's texts, which the API has no
// parameter for: questions (q1_text, q2_options...), triggers and the
// completion message.
func longField(name string) bool {
	switch name {
	case "completion_message", "keywords", "payloads":
		return true
	}
	return len(name) > 1 && name[0] == 'q' && name[1] >= '0' && name[1] <= '9'
}

// admin runs h for a signed-in admin; a member gets the not-found page, so
// admin pages are as invisible to members as another member's records.
func (s *Server) admin(h func(http.ResponseWriter, *http.Request, *view)) http.HandlerFunc {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, v *view) {
		if !v.User.IsAdmin() {
			s.notFound(w, r, v)
			return
		}
		h(w, r, v)
	})
}

// safeNext keeps a post-login redirect on this site's app. The dashboard
// is /app, not /app/: the shared routes refuse unclean paths.
func safeNext(next string) string {
	if next == "/app" || strings.HasPrefix(next, "/app/") && !strings.Contains(next, "\\") {
		return next
	}
	return "/app"
}
