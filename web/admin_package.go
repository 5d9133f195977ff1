package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
)

type packagesData struct {
	Packages []*xerochat.Package
	Trial    int64
}

// adminPackages lists the packages with the form that creates one.
func (s *Server) adminPackages(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderPackages(w, r, http.StatusOK, v)
}

func (s *Server) renderPackages(w http.ResponseWriter, r *http.Request, status int, v *view) {
	pkgs, err := s.App.Users.ListPackages(r.Context())
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	if v.Form == nil {
		v.Form = url.Values{"price": {"0"}, "validity": {"30"}}
	}
	v.Title, v.Nav, v.Data = "Packages", "admin", packagesData{Packages: pkgs, Trial: xerochat.TrialPackageID}
	s.renderStatus(w, r, status, "packages", v)
}

// packageForm reads a package's fields; a validity that is no number is
// refused like a negative one.
func packageForm(r *http.Request) (url.Values, xerochat.NewPackage) {
	f := url.Values{}
	for _, k := range []string{"package_name", "price", "validity"} {
		f.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	p := xerochat.NewPackage{Name: f.Get("package_name"), Price: f.Get("price"),
		Visible: r.PostFormValue("visible") == "1", Highlight: r.PostFormValue("highlight") == "1"}
	var err error
	if p.Validity, err = strconv.ParseInt(f.Get("validity"), 10, 64); err != nil {
		p.Validity = -1
	}
	if p.Visible {
		f.Set("visible", "1")
	}
	if p.Highlight {
		f.Set("highlight", "1")
	}
	return f, p
}

// packageErrors places a package rule's message next to its field.
func packageErrors(err error) (map[string]string, bool) {
	if fe := (*app.FieldError)(nil); errors.As(err, &fe) {
		return fieldError(fe.Field, err), true
	}
	return nil, false
}

// createPackage makes a package by app.Packages' rules.
func (s *Server) createPackage(w http.ResponseWriter, r *http.Request, v *view) {
	f, p := packageForm(r)
	_, err := s.Packages.Create(r.Context(), p)
	if errs, ok := packageErrors(err); ok {
		v.Form, v.Errors = f, errs
		s.renderPackages(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/admin/packages", "Package "+p.Name+" created.")
}

// adminPackage shows a package's edit form.
func (s *Server) adminPackage(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	p, err := s.Admin.FindPackage(r.Context(), id)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Form = url.Values{"package_name": {p.Name}, "price": {p.Price}, "validity": {strconv.FormatInt(p.Validity, 10)}}
	if p.Visible {
		v.Form.Set("visible", "1")
	}
	if p.Highlight {
		v.Form.Set("highlight", "1")
	}
	s.renderPackage(w, r, http.StatusOK, v, p)
}

func (s *Server) renderPackage(w http.ResponseWriter, r *http.Request, status int, v *view, p *xerochat.Package) {
	v.Title, v.Nav, v.Data = "Package "+p.Name, "admin", packagesData{Packages: []*xerochat.Package{p}, Trial: xerochat.TrialPackageID}
	s.renderStatus(w, r, status, "package", v)
}

// updatePackage edits a package by app.Packages' rules.
func (s *Server) updatePackage(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	cur, err := s.Admin.FindPackage(r.Context(), id)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	f, p := packageForm(r)
	err = s.Packages.Update(r.Context(), id, p)
	if errs, ok := packageErrors(err); ok {
		v.Form, v.Errors = f, errs
		s.renderPackage(w, r, http.StatusUnprocessableEntity, v, cur)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/admin/packages", "Package "+p.Name+" saved.")
}

// deletePackage soft-deletes a package; Trial stays (app.Packages).
func (s *Server) deletePackage(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	err := s.Packages.Delete(r.Context(), id)
	if isAppError(err) {
		v.Notice = xerochat.ErrorMessage(err)
		s.renderPackages(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/admin/packages", "Package deleted.")
}
