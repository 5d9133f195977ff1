package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
)

// profile shows the user's name, mobile, address and the password form.
func (s *Server) profile(w http.ResponseWriter, r *http.Request, v *view) {
	v.Form = url.Values{"name": {v.User.Name}, "mobile": {v.User.Mobile}, "address": {v.User.Address}}
	s.renderProfile(w, r, http.StatusOK, v)
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, v *view) {
	v.Title, v.Nav = "Profile", "profile"
	s.renderStatus(w, r, status, "profile", v)
}

// saveProfile changes name, mobile and address with the store's update,
// the one /api's update_user uses.
func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request, v *view) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	mobile := strings.TrimSpace(r.PostFormValue("mobile"))
	address := strings.TrimSpace(r.PostFormValue("address"))
	v.Form = url.Values{"name": {name}, "mobile": {mobile}, "address": {address}}
	if name == "" {
		v.Errors = map[string]string{"name": xerochat.MsgNameRequired}
		s.renderProfile(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	err := s.App.Users.UpdateUser(r.Context(), v.User.ID, xerochat.UserUpdate{Name: &name, Mobile: &mobile, Address: &address})
	if isAppError(err) {
		v.Errors = fieldError("name", err)
		s.renderProfile(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/profile", xerochat.MsgProfileSaved)
}

// changePassword checks the current password, sets the new one (ending
// every session of the user) and signs this browser in again.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, v *view) {
	v.Form = url.Values{"name": {v.User.Name}, "mobile": {v.User.Mobile}, "address": {v.User.Address}}
	token, err := s.Sessions.ChangePassword(r.Context(), v.User, r.PostFormValue("current_password"),
		r.PostFormValue("new_password"), r.PostFormValue("repeat_password"), clientIP(r))
	if fe := (*app.FieldError)(nil); errors.As(err, &fe) {
		v.Errors = fieldError(fe.Field, err)
		s.renderProfile(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.setSessionCookie(w, r, token)
	s.redirectNotice(w, r, "/app/profile", xerochat.MsgPasswordChanged)
}
