// Package web is xerochat's web app: the pages members and admins use in a
// browser, served by the same process as /api. It is a door like /api:
// every change goes through the use-case layer (app), so the browser obeys
// exactly the rules a client of the API obeys, and shows the same messages.
//
// Pages are rendered on the server from templates embedded in the binary;
// a little JavaScript (static/app.js) adds copy buttons, confirmations and
// live progress, and the pages work without it.
package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
)

//go:embed templates static
var files embed.FS

// Server serves the web app. Build it with its fields set, then call
// Handler once.
type Server struct {
	App      *app.App
	Sessions *app.Sessions
	// Reads holds the queries only screens need (lists, counts, series).
	Reads xerochat.DashboardService
	// Lists pages through contact groups and contacts.
	Lists xerochat.ContactListService
	// Subs pages through subscribers and their answers.
	Subs xerochat.SubscriberListService
	// Imports runs CSV imports as jobs in the database.
	Imports *app.CSVImports
	// Flows saves campaigns from the builder; FlowEdits lists their answers.
	Flows     *app.FlowBuilder
	FlowEdits xerochat.FlowEditService
	// Admin lists users and keeps packages; Packages holds their rules.
	Admin    xerochat.AdminService
	Packages *app.Packages
	// Login connects pages with Facebook Login; nil when the server has no
	// Facebook app (--fb-app-id and --fb-app-secret), and the Pages screen
	// then says what to configure.
	Login *app.FacebookLogins
	// PublicURL is the server's external base URL (--public-url): the
	// Facebook Login redirect goes to it, and the Pages screen shows the
	// webhook callback to configure at Facebook under it.
	PublicURL string
	// Location is the server's configured time zone: every time shown is in it.
	Location *time.Location
	Logger   *slog.Logger

	pages map[string]*template.Template
}

// Handler returns the web app's handler: /, /login, /logout, /app/... and
// /static/.... Every answer carries the security headers, and every
// state-changing request from another site is refused.
func (s *Server) Handler() http.Handler {
	if s.Location == nil {
		s.Location = time.UTC
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.pages = s.parseTemplates()
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.root)
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	s.memberRoutes(mux)
	s.adminRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.notFound(w, r, nil) })

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderStatus(w, r, http.StatusForbidden, "error", &view{Title: "Refused", Message: xerochat.MsgCrossSiteRefused})
	}))
	return securityHeaders(contentSecurityPolicy(s.dialogOrigins()...), cop.Handler(mux))
}

// memberRoutes are the screens behind sign-in, one file each.
func (s *Server) memberRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app", s.signedIn(s.overview))
	mux.HandleFunc("GET /app/api-key", s.signedIn(s.apiKey))
	mux.HandleFunc("POST /app/api-key", s.signedIn(s.newAPIKey))
	mux.HandleFunc("GET /app/profile", s.signedIn(s.profile))
	mux.HandleFunc("POST /app/profile", s.signedIn(s.saveProfile))
	mux.HandleFunc("POST /app/profile/password", s.signedIn(s.changePassword))
	mux.HandleFunc("GET /app/pages", s.signedIn(s.pagesList))
	mux.HandleFunc("POST /app/pages/{page}/bot", s.signedIn(s.setBot))
	mux.HandleFunc("POST /app/pages/{page}/sync-labels", s.signedIn(s.syncLabels))
	mux.HandleFunc("POST /app/pages/facebook", s.signedIn(s.startLogin))
	mux.HandleFunc("GET /app/pages/facebook/callback", s.signedIn(s.loginCallback))
	mux.HandleFunc("POST /app/pages/facebook/connect", s.signedIn(s.choosePages))
	mux.HandleFunc("GET /app/subscribers", s.signedIn(s.subscribers))
	mux.HandleFunc("GET /app/subscribers/{page}/{psid}", s.signedIn(s.subscriber))
	mux.HandleFunc("POST /app/subscribers/{page}/{psid}/labels", s.signedIn(s.assignLabel))
	mux.HandleFunc("POST /app/subscribers/{page}/{psid}/labels/remove", s.signedIn(s.removeLabel))
	mux.HandleFunc("GET /app/labels", s.signedIn(s.labels))
	mux.HandleFunc("POST /app/labels", s.signedIn(s.createLabel))
	mux.HandleFunc("GET /app/flows", s.signedIn(s.flows))
	mux.HandleFunc("GET /app/flows/new", s.signedIn(s.newFlow))
	mux.HandleFunc("POST /app/flows", s.signedIn(s.saveFlow))
	mux.HandleFunc("GET /app/flows/{id}", s.signedIn(s.flowAnswers))
	mux.HandleFunc("GET /app/flows/{id}/edit", s.signedIn(s.editFlow))
	mux.HandleFunc("POST /app/flows/{id}", s.signedIn(s.saveFlow))
	mux.HandleFunc("GET /app/flows/{id}/answers.csv", s.signedIn(s.answersCSV))
	mux.HandleFunc("GET /app/contacts", s.signedIn(s.contactGroups))
	mux.HandleFunc("POST /app/contacts/groups", s.signedIn(s.createGroup))
	mux.HandleFunc("GET /app/contacts/groups/{id}", s.signedIn(s.group))
	mux.HandleFunc("POST /app/contacts/groups/{id}/rename", s.signedIn(s.renameGroup))
	mux.HandleFunc("POST /app/contacts/groups/{id}/delete", s.signedIn(s.deleteGroup))
	mux.HandleFunc("POST /app/contacts/groups/{id}/contacts", s.signedIn(s.createContact))
	mux.HandleFunc("POST /app/contacts/groups/{id}/import", s.signedIn(s.importCSV))
	mux.HandleFunc("GET /app/contacts/groups/{id}/export.csv", s.signedIn(s.exportCSV))
	mux.HandleFunc("GET /app/contacts/{id}", s.signedIn(s.contact))
	mux.HandleFunc("POST /app/contacts/{id}", s.signedIn(s.updateContact))
	mux.HandleFunc("POST /app/contacts/{id}/delete", s.signedIn(s.deleteContact))
	mux.HandleFunc("GET /app/imports/{id}", s.signedIn(s.importJob))
	mux.HandleFunc("GET /app/imports/{id}/progress", s.signedIn(s.importProgress))
	mux.HandleFunc("GET /app/imports/{id}/rejected.csv", s.signedIn(s.rejectedCSV))
}

// adminRoutes are the admin's screens; members get the not-found page.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/admin", s.admin(s.adminHome))
	mux.HandleFunc("GET /app/admin/users", s.admin(s.adminUsers))
	mux.HandleFunc("POST /app/admin/users", s.admin(s.createUser))
	mux.HandleFunc("GET /app/admin/users/{id}", s.admin(s.adminUser))
	mux.HandleFunc("POST /app/admin/users/{id}", s.admin(s.updateUser))
	mux.HandleFunc("POST /app/admin/users/{id}/password", s.admin(s.resetPassword))
	mux.HandleFunc("POST /app/admin/users/{id}/api-key", s.admin(s.rotateUserKey))
	mux.HandleFunc("GET /app/admin/packages", s.admin(s.adminPackages))
	mux.HandleFunc("POST /app/admin/packages", s.admin(s.createPackage))
	mux.HandleFunc("GET /app/admin/packages/{id}", s.admin(s.adminPackage))
	mux.HandleFunc("POST /app/admin/packages/{id}", s.admin(s.updatePackage))
	mux.HandleFunc("POST /app/admin/packages/{id}/delete", s.admin(s.deletePackage))
}

// view is what every template receives. Data holds the screen's own
// record; Errors maps a form field's name to the message shown next to it.
type view struct {
	Title   string
	Nav     string
	User    *xerochat.User
	Notice  string
	Message string
	// Expired is the expiry notice of a member whose validity ended.
	Expired string
	Errors  map[string]string
	Form    url.Values
	Data    any
}

// root sends a visitor to their dashboard or to the login page.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if u := s.currentUser(r); u != nil {
		http.Redirect(w, r, "/app", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// fail answers an error of a use case on a page: ENOTFOUND is the
// not-found page (another member's record looks like a missing one), a
// fault of ours is logged and shown without detail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	switch xerochat.ErrorCode(err) {
	case xerochat.ENOTFOUND:
		s.notFound(w, r, v)
	case xerochat.EINTERNAL:
		s.Logger.Error("web: internal error", "path", r.URL.Path, "err", err)
		v = orView(v)
		v.Title, v.Message = "Something went wrong", "Something went wrong on our side. Try again in a moment."
		s.renderStatus(w, r, http.StatusInternalServerError, "error", v)
	default:
		v = orView(v)
		v.Title, v.Message = "Refused", xerochat.ErrorMessage(err)
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "error", v)
	}
}

func orView(v *view) *view {
	if v == nil {
		return &view{}
	}
	return v
}

// notFound is the one not-found page, for paths and for records alike.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *view) {
	v = orView(v)
	if v.User == nil {
		v.User = s.currentUser(r)
	}
	v.Title, v.Message = xerochat.MsgNotFoundPage, xerochat.MsgNotFoundPageDesc
	s.renderStatus(w, r, http.StatusNotFound, "error", v)
}

// render writes a page with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, v *view) {
	s.renderStatus(w, r, http.StatusOK, name, v)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t, ok := s.pages[name]
	if !ok {
		s.Logger.Error("web: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v.User != nil && !v.User.IsAdmin() && !v.User.CanUseAPI(time.Now().In(s.Location)) && v.User.Status == 1 {
		v.Expired = strings.Replace(xerochat.MsgMemberExpired, "%s", v.User.ExpiryDay(), 1)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		s.Logger.Error("web: render", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fieldError returns the form errors for an application error: a message
// the use case gave goes next to the field it concerns.
func fieldError(field string, err error) map[string]string {
	return map[string]string{field: xerochat.ErrorMessage(err)}
}

// isAppError tells a refusal a person can fix from a fault of ours.
func isAppError(err error) bool {
	var e *xerochat.Error
	return errors.As(err, &e) && e.Code != xerochat.EINTERNAL && e.Code != xerochat.ENOTFOUND
}

// noticeCookie carries a notice across a redirect. A cookie rather than a
// query parameter, so that a link from elsewhere cannot put words on a page.
const noticeCookie = "xerochat_notice"

// redirectNotice sends the browser to path with a notice to show there
// (post, redirect, get: a reload does not repeat the action).
func (s *Server) redirectNotice(w http.ResponseWriter, r *http.Request, path, notice string) {
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: url.QueryEscape(notice), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: overHTTPS(r), MaxAge: 60})
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// takeNotice returns the notice a redirect left, and clears it.
func takeNotice(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Path: "/", MaxAge: -1})
	n, _ := url.QueryUnescape(c.Value)
	return n
}
