package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
)

// usersPerPage is how many users one page of the admin's list shows.
const usersPerPage = 50

type adminOverview struct {
	Users    int
	Packages int
}

// adminHome is the admin's overview.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request, v *view) {
	n, err := s.App.Users.CountUsers(r.Context())
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	pkgs, err := s.App.Users.ListPackages(r.Context())
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Title, v.Nav, v.Data = "Administration", "admin", adminOverview{Users: n, Packages: len(pkgs)}
	s.render(w, r, "admin", v)
}

type usersData struct {
	Users     []*xerochat.User
	Packages  []*xerochat.Package
	Search    string
	NextAfter int64
	Secret    string
}

// adminUsers lists, searches and pages through users, with the form that
// creates a member.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderUsers(w, r, http.StatusOK, v)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, v *view) {
	ctx := r.Context()
	q := xerochat.UserQuery{Search: strings.TrimSpace(r.URL.Query().Get("q")), Limit: usersPerPage}
	q.After, _ = strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	users, more, err := s.Admin.ListUsers(ctx, q)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	pkgs, err := s.App.Users.ListPackages(ctx)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	d := usersData{Users: users, Packages: pkgs, Search: q.Search}
	if more {
		d.NextAfter = users[len(users)-1].ID
	}
	if v.Form == nil {
		v.Form = url.Values{"package_id": {"1"}}
	}
	v.Title, v.Nav, v.Data = "Users", "admin", d
	s.renderStatus(w, r, status, "users", v)
}

// createUser makes a member with app.CreateMember, the use case of
// create_system_user: the same required fields and messages. A password
// left empty is generated and shown once.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, v *view) {
	f := url.Values{}
	for _, k := range []string{"name", "email", "password", "mobile", "address", "package_id", "expired_date"} {
		f.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	v.Form = f
	for _, k := range []string{"name", "email", "package_id", "expired_date"} {
		if f.Get(k) == "" {
			v.Errors = map[string]string{k: xerochat.MsgUserFieldsMissing}
			s.renderUsers(w, r, http.StatusUnprocessableEntity, v)
			return
		}
	}
	pkg, _ := strconv.ParseInt(f.Get("package_id"), 10, 64)
	creds, err := s.App.CreateMember(r.Context(), xerochat.NewUser{Name: f.Get("name"), Email: f.Get("email"),
		Password: r.PostFormValue("password"), Mobile: f.Get("mobile"), Address: f.Get("address"), PackageID: pkg,
		ExpiredDate: f.Get("expired_date")})
	if isAppError(err) || xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		v.Errors = fieldError(userField(err), err)
		s.renderUsers(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Form = nil
	v.Notice = fmt.Sprintf(xerochat.MsgUserCreated, creds.Email)
	if creds.Password != "" {
		v.Notice += " " + fmt.Sprintf(xerochat.MsgPasswordShownOnce, creds.Email, creds.Password)
	}
	s.renderUsers(w, r, http.StatusOK, v)
}

// userField says which input an account rule's message concerns.
func userField(err error) string {
	switch xerochat.ErrorMessage(err) {
	case xerochat.MsgUserEmailBad, xerochat.MsgUserEmailTaken:
		return "email"
	case xerochat.MsgUserExpiryBad:
		return "expired_date"
	case xerochat.MsgPackageNotFound:
		return "package_id"
	case xerochat.MsgUserPasswordTooLong:
		return "password"
	case xerochat.MsgUserTypeBad:
		return "user_type"
	case xerochat.MsgUserStatusBad:
		return "status"
	}
	return "name"
}

type userData struct {
	Target   *xerochat.User
	Packages []*xerochat.Package
}

func (s *Server) findUser(w http.ResponseWriter, r *http.Request, v *view) (*xerochat.User, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return nil, false
	}
	u, err := s.App.Users.FindUser(r.Context(), xerochat.UserFilter{ID: id})
	if err != nil {
		s.fail(w, r, v, err)
		return nil, false
	}
	return u, true
}

// adminUser shows one user with the forms to edit, reset the password and
// rotate the API key.
func (s *Server) adminUser(w http.ResponseWriter, r *http.Request, v *view) {
	u, ok := s.findUser(w, r, v)
	if !ok {
		return
	}
	s.renderUser(w, r, http.StatusOK, v, u)
}

func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, status int, v *view, u *xerochat.User) {
	pkgs, err := s.App.Users.ListPackages(r.Context())
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	if v.Form == nil {
		v.Form = url.Values{"name": {u.Name}, "mobile": {u.Mobile}, "address": {u.Address},
			"package_id": {strconv.FormatInt(u.PackageID, 10)}, "expired_date": {u.ExpiredDate}, "status": {strconv.Itoa(u.Status)},
			"user_type": {u.Type}}
	}
	v.Title, v.Nav, v.Data = u.Email, "admin", userData{Target: u, Packages: pkgs}
	s.renderStatus(w, r, status, "user", v)
}

// updateUser sends the changed fields to the store's UpdateUser, the one
// update_user uses, after update_user's own checks of expiry and status.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, v *view) {
	u, ok := s.findUser(w, r, v)
	if !ok {
		return
	}
	f := url.Values{}
	for _, k := range []string{"name", "mobile", "address", "package_id", "expired_date", "status", "user_type"} {
		f.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	v.Form = f
	var upd xerochat.UserUpdate
	str := func(k, cur string, dst **string) {
		if val := f.Get(k); val != cur {
			*dst = &val
		}
	}
	str("name", u.Name, &upd.Name)
	str("mobile", u.Mobile, &upd.Mobile)
	str("address", u.Address, &upd.Address)
	str("expired_date", u.ExpiredDate, &upd.ExpiredDate)
	if pkg, err := strconv.ParseInt(f.Get("package_id"), 10, 64); err == nil && pkg != u.PackageID {
		upd.PackageID = &pkg
	}
	if st, err := strconv.Atoi(f.Get("status")); err == nil && st != u.Status {
		upd.Status = &st
	}
	if typ := f.Get("user_type"); typ != "" && typ != u.Type {
		upd.Type = &typ
	}
	// The same rules as update_user's, from the domain.
	err := upd.Validate()
	if err == nil {
		err = s.App.Users.UpdateUser(r.Context(), u.ID, upd)
	}
	if fe := (*app.FieldError)(nil); errors.As(err, &fe) {
		v.Errors = fieldError(fe.Field, err)
		s.renderUser(w, r, http.StatusUnprocessableEntity, v, u)
		return
	}
	if isAppError(err) || xerochat.ErrorMessage(err) == xerochat.MsgPackageNotFound {
		v.Errors = fieldError(userField(err), err)
		s.renderUser(w, r, http.StatusUnprocessableEntity, v, u)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/admin/users/"+strconv.FormatInt(u.ID, 10), "Saved.")
}

// resetPassword gives the user a new generated password, shown once; all
// of the user's sessions end.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, v *view) {
	u, ok := s.findUser(w, r, v)
	if !ok {
		return
	}
	pw, err := s.Sessions.ResetPassword(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Notice = fmt.Sprintf(xerochat.MsgPasswordShownOnce, u.Email, pw)
	s.renderUser(w, r, http.StatusOK, v, u)
}

// rotateUserKey makes a new API key for the user (app.RotateAPIKey), shown once.
func (s *Server) rotateUserKey(w http.ResponseWriter, r *http.Request, v *view) {
	u, ok := s.findUser(w, r, v)
	if !ok {
		return
	}
	key, err := s.App.RotateAPIKey(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Notice = fmt.Sprintf(xerochat.MsgKeyShownOnce, u.Email, key)
	s.renderUser(w, r, http.StatusOK, v, u)
}
