package web

import (
	"net/http"
	"net/url"

	"github.com/xerochat/xerochat"
)

// loginForm shows the sign-in form; a signed-in user goes to the dashboard.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if s.currentUser(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := &view{Title: "Sign in", Form: url.Values{"next": {r.URL.Query().Get("next")}}}
	if r.URL.Query().Get("bye") != "" {
		v.Notice = xerochat.MsgSignedOut
	}
	s.render(w, r, "login", v)
}

// login signs a person in. Every refusal (unknown e-mail, wrong password,
// throttled) is one message above the form, so that none tells which
// accounts exist.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	v := &view{Title: "Sign in", Form: url.Values{"email": {email}, "next": {r.PostFormValue("next")}}}
	switch {
	case email == "":
		v.Errors = map[string]string{"email": xerochat.MsgEmailRequired}
	case password == "":
		v.Errors = map[string]string{"password": xerochat.MsgPasswordRequired}
	}
	if v.Errors != nil {
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "login", v)
		return
	}
	in, err := s.Sessions.Login(r.Context(), email, password, clientIP(r))
	if err != nil {
		if !isAppError(err) && xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
			s.fail(w, r, v, err)
			return
		}
		v.Message = xerochat.ErrorMessage(err)
		s.renderStatus(w, r, http.StatusUnauthorized, "login", v)
		return
	}
	s.setSessionCookie(w, r, in.Token)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// logout ends the session on the server, not only in the browser.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Sessions.Logout(r.Context(), c.Value); err != nil {
			s.fail(w, r, nil, err)
			return
		}
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
}
