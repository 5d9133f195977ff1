package web

import (
	"net/http"
	"strings"

	"github.com/xerochat/xerochat"
)

type labelsData struct {
	pagePicker
	Labels []*xerochat.Label
}

// labels lists a page's labels, oldest first, as get_all_labels does.
func (s *Server) labels(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderLabels(w, r, http.StatusOK, v)
}

func (s *Server) renderLabels(w http.ResponseWriter, r *http.Request, status int, v *view) {
	pp, ok := s.pickPage(w, r, v)
	if !ok {
		return
	}
	d := labelsData{pagePicker: pp}
	if pp.Page != nil {
		var err error
		if d.Labels, err = s.App.Pages.ListLabels(r.Context(), pp.Page.ID); err != nil {
			s.fail(w, r, v, err)
			return
		}
	}
	v.Title, v.Nav, v.Data = "Labels", "labels", d
	s.renderStatus(w, r, status, "labels", v)
}

// createLabel makes a label through Facebook with app.CreateLabel, the
// use case of create_label: idempotent by name, and refused on a page
// whose bot is off with the same message.
func (s *Server) createLabel(w http.ResponseWriter, r *http.Request, v *view) {
	pageID := r.URL.Query().Get("page")
	name := strings.TrimSpace(r.PostFormValue("label_name"))
	if _, err := s.App.Pages.FindUserPage(r.Context(), v.User.ID, pageID); err != nil {
		s.fail(w, r, v, err)
		return
	}
	var err error
	if name == "" {
		err = &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgLabelNameRequired}
	} else {
		_, err = s.App.CreateLabel(r.Context(), v.User.ID, pageID, name)
	}
	// The page is the member's (checked above), so a refusal now (bot off,
	// Facebook's error) belongs next to the field.
	if err != nil && xerochat.ErrorCode(err) != xerochat.EINTERNAL {
		v.Form = r.PostForm
		v.Errors = fieldError("label_name", err)
		s.renderLabels(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/labels?page="+pageID, "Label "+name+" is on the page.")
}
