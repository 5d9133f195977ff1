package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
)

// loginCallbackPath is where Facebook Login sends the browser back; the
// redirect URI is PublicURL with this path.
const loginCallbackPath = "/app/pages/facebook/callback"

// connectSetup is the Pages screen's "Connect with Facebook" card: the
// button when the server can run Facebook Login, else what the operator
// must configure.
type connectSetup struct {
	Ready bool
	// Missing names the flags the server lacks, when not Ready.
	Missing string
	// Webhook is the callback URL to configure in the Facebook app, "" when
	// the public URL is not known.
	Webhook string
}

func (s *Server) connectSetup() connectSetup {
	var missing []string
	if s.Login == nil {
		missing = append(missing, "--fb-app-id and --fb-app-secret (env XEROCHAT_FB_APP_ID, XEROCHAT_FB_APP_SECRET)")
	}
	if s.PublicURL == "" {
		missing = append(missing, "--public-url (env XEROCHAT_PUBLIC_URL)")
	}
	c := connectSetup{Ready: len(missing) == 0, Missing: strings.Join(missing, " and ")}
	if s.PublicURL != "" {
		c.Webhook = s.publicBase() + "/webhook"
	}
	return c
}

func (s *Server) publicBase() string { return strings.TrimRight(s.PublicURL, "/") }

func (s *Server) redirectURI() string { return s.publicBase() + loginCallbackPath }

// dialogOrigins are the origins the Connect button's answer redirects to.
func (s *Server) dialogOrigins() []string {
	if s.Login == nil {
		return nil
	}
	base := s.Login.DialogBase
	if base == "" {
		base = "https://www.facebook.com"
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// sessionHash is the digest of the request's session token: a login in
// progress belongs to the browser session that started it. signedIn has
// checked the cookie.
func sessionHash(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return xerochat.HashSessionToken(c.Value)
}

// connectData is what the connect screen shows: a refusal, the pages to
// choose from, or the outcome per page.
type connectData struct {
	Setup   connectSetup
	Refused string
	Choice  *app.LoginChoice
	Results []connectResult
}

type connectResult struct {
	Name, PageID, Text string
	OK                 bool
}

// startLogin is the Connect button: it opens a login bound to the session
// and sends the browser to Facebook's dialog.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, v *view) {
	if !s.connectSetup().Ready {
		s.notFound(w, r, v)
		return
	}
	dialog, err := s.Login.Start(r.Context(), sessionHash(r), v.User.ID, s.redirectURI())
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, dialog, http.StatusSeeOther)
}

// loginCallback is where Facebook sends the browser back: a wrong or
// missing state, a cancelled dialog, missing permissions or Facebook's
// refusal are explained (nothing stored); otherwise the person's pages are
// offered to choose from. Their page tokens stay on the server.
func (s *Server) loginCallback(w http.ResponseWriter, r *http.Request, v *view) {
	if !s.connectSetup().Ready {
		s.notFound(w, r, v)
		return
	}
	q := r.URL.Query()
	choice, err := s.Login.Finish(r.Context(), sessionHash(r), v.User.ID, s.redirectURI(),
		app.LoginCallback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")})
	d := connectData{Setup: s.connectSetup(), Choice: choice}
	if err != nil {
		s.refuseConnect(w, r, v, d, err)
		return
	}
	v.Title, v.Nav, v.Data = "Connect with Facebook", "pages", d
	s.render(w, r, "connect", v)
}

// choosePages connects the ticked pages and reports each one.
func (s *Server) choosePages(w http.ResponseWriter, r *http.Request, v *view) {
	if !s.connectSetup().Ready {
		s.notFound(w, r, v)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, v, &xerochat.Error{Code: xerochat.EINVALID, Message: err.Error()})
		return
	}
	outcomes, err := s.Login.Choose(r.Context(), sessionHash(r), v.User.ID, r.PostForm.Get("login"), r.PostForm["page"])
	d := connectData{Setup: s.connectSetup()}
	if err != nil {
		s.refuseConnect(w, r, v, d, err)
		return
	}
	for _, o := range outcomes {
		d.Results = append(d.Results, s.connectResult(r, o))
	}
	v.Title, v.Nav, v.Data = "Connect with Facebook", "pages", d
	s.render(w, r, "connect", v)
}

// connectResult says what happened to one chosen page.
func (s *Server) connectResult(r *http.Request, o app.PageConnection) connectResult {
	res := connectResult{Name: o.Name, PageID: o.PageID}
	switch {
	case o.Connected != nil && o.Err == nil && o.Connected.LabelsErr == nil:
		res.OK, res.Text = true, "Connected, bot on; "+o.Connected.Labels.Summary(o.PageID)+"."
	case o.Connected != nil && o.Err == nil:
		res.OK, res.Text = true, "Connected, bot on; labels not imported: "+xerochat.ErrorMessage(o.Connected.LabelsErr)+
			". Sync them from the Pages screen later."
	case o.Connected != nil:
		res.Text = "Stored, but Facebook did not subscribe the app to the page's webhook (" + xerochat.ErrorMessage(o.Err) +
			"). Connect it again to repair this."
	case xerochat.ErrorCode(o.Err) == xerochat.EINTERNAL:
		s.Logger.Error("web: connect page", "page", o.PageID, "err", o.Err)
		res.Text = "Not connected: something went wrong on our side. Try again in a moment."
	default:
		res.Text = "Not connected: " + xerochat.ErrorMessage(o.Err)
	}
	return res
}

// refuseConnect shows why a login ended, with the Connect button to try
// again; faults of ours are the error page.
func (s *Server) refuseConnect(w http.ResponseWriter, r *http.Request, v *view, d connectData, err error) {
	if !isAppError(err) {
		s.fail(w, r, v, err)
		return
	}
	d.Refused = xerochat.ErrorMessage(err)
	v.Title, v.Nav, v.Data = "Connect with Facebook", "pages", d
	s.renderStatus(w, r, http.StatusUnprocessableEntity, "connect", v)
}
