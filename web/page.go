package web

import (
	"net/http"

	"github.com/xerochat/xerochat"
)

type pagesData struct {
	Pages   []*xerochat.Page
	Connect connectSetup
}

// pagesList shows the member's connected pages with their bot switch, the
// last Graph error the workers recorded (a refused token: "Reconnect
// needed"), label sync, and the Connect with Facebook button.
func (s *Server) pagesList(w http.ResponseWriter, r *http.Request, v *view) {
	pages, err := s.Reads.ListPages(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Title, v.Nav, v.Data = "Pages", "pages", pagesData{Pages: pages, Connect: s.connectSetup()}
	s.render(w, r, "pages", v)
}

// setBot turns a page's bot on or off through app.SetBotEnabled: another
// member's page answers not found, as in /api.
func (s *Server) setBot(w http.ResponseWriter, r *http.Request, v *view) {
	pageID := r.PathValue("page")
	on := r.PostFormValue("enabled") == "1"
	page, err := s.App.Pages.FindUserPage(r.Context(), v.User.ID, pageID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	if err := s.App.SetBotEnabled(r.Context(), v.User.ID, pageID, on); err != nil {
		s.fail(w, r, v, err)
		return
	}
	state := "off"
	if on {
		state = "on"
	}
	s.redirectNotice(w, r, "/app/pages", "The bot of "+page.Name+" is now "+state+".")
}

// syncLabels imports the page's labels from Facebook again (app.SyncLabels,
// as `xerochat page sync-labels` does) and reports the summary or
// Facebook's refusal.
func (s *Server) syncLabels(w http.ResponseWriter, r *http.Request, v *view) {
	pageID := r.PathValue("page")
	res, err := s.App.SyncLabels(r.Context(), v.User.ID, pageID)
	switch xerochat.ErrorCode(err) {
	case "":
		s.redirectNotice(w, r, "/app/pages", res.Summary(pageID)+".")
	case xerochat.ENOTFOUND, xerochat.EINTERNAL:
		s.fail(w, r, v, err)
	default:
		s.redirectNotice(w, r, "/app/pages", "Labels not imported: "+xerochat.ErrorMessage(err))
	}
}
