package web

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/xerochat/xerochat"
)

// maxUpload bounds an uploaded CSV file: 100,000 rows of a few columns fit
// well within it.
const maxUpload = 32 << 20

// importCSV stores the uploaded file as an import job of the group and
// shows its progress page.
func (s *Server) importCSV(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	file, hdr, err := r.FormFile("file")
	var content []byte
	if err == nil {
		content, err = io.ReadAll(file)
		file.Close()
	}
	if err != nil {
		msg := xerochat.MsgCSVNoFile
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			msg = xerochat.MsgCSVTooMany
		}
		v.Errors = map[string]string{"file": msg}
		s.renderGroup(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	job, err := s.Imports.Start(r.Context(), v.User.ID, id, hdr.Filename, content)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		s.notFound(w, r, v)
		return
	}
	if isAppError(err) {
		v.Errors = fieldError("file", err)
		s.renderGroup(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/app/imports/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

func (s *Server) findJob(w http.ResponseWriter, r *http.Request, v *view) (*xerochat.CSVJob, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return nil, false
	}
	job, err := s.Imports.Jobs.FindCSVJob(r.Context(), v.User.ID, id)
	if err != nil {
		s.fail(w, r, v, err)
		return nil, false
	}
	return job, true
}

// progressText is the line the progress page and its live updates show.
func progressText(j *xerochat.CSVJob) string {
	switch j.State {
	case xerochat.CSVDone:
		return fmt.Sprintf("Finished: %d of %d rows read, %d contacts added, %d rows rejected.", j.Done, j.Total, j.Added, j.Rejected)
	case xerochat.CSVFailed:
		return "The import failed: " + j.Error
	case xerochat.CSVPending:
		return fmt.Sprintf("Waiting to start: %d rows.", j.Total)
	}
	return fmt.Sprintf("%d of %d rows done (%d added, %d rejected so far).", j.Done, j.Total, j.Added, j.Rejected)
}

type importData struct {
	Job      *xerochat.CSVJob
	Text     string
	Finished bool
}

// importJob shows an import's progress (updated live by app.js) or, once
// finished, its summary and the link to the rejected rows.
func (s *Server) importJob(w http.ResponseWriter, r *http.Request, v *view) {
	job, ok := s.findJob(w, r, v)
	if !ok {
		return
	}
	v.Title, v.Nav = "Import of "+job.FileName, "contacts"
	v.Data = importData{Job: job, Text: progressText(job), Finished: job.State == xerochat.CSVDone || job.State == xerochat.CSVFailed}
	s.render(w, r, "import", v)
}

// importProgress answers the progress page's live updates.
func (s *Server) importProgress(w http.ResponseWriter, r *http.Request, v *view) {
	job, ok := s.findJob(w, r, v)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"done": job.Done, "total": job.Total, "added": job.Added,
		"rejected": job.Rejected, "state": job.State, "text": progressText(job),
		"finished": job.State == xerochat.CSVDone || job.State == xerochat.CSVFailed})
}

// csvDownload starts a streamed CSV answer named name.
func csvDownload(w http.ResponseWriter, name string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	return csv.NewWriter(w)
}

// rejectedCSV streams the rejected rows: the file's own columns, then the
// line and the reason (the message create_contact gives for that row).
func (s *Server) rejectedCSV(w http.ResponseWriter, r *http.Request, v *view) {
	job, ok := s.findJob(w, r, v)
	if !ok {
		return
	}
	cw := csvDownload(w, fmt.Sprintf("import-%d-rejected.csv", job.ID))
	_ = cw.Write(append(append([]string{}, job.Header...), "line", "reason"))
	err := s.Imports.Jobs.EachCSVReject(r.Context(), v.User.ID, job.ID, func(rj xerochat.CSVReject) error {
		raw := make([]string, len(job.Header))
		copy(raw, rj.Raw)
		return cw.Write(append(raw, strconv.Itoa(rj.Line), rj.Reason))
	})
	cw.Flush()
	if err != nil {
		s.Logger.Error("web: rejected rows", "job", job.ID, "err", err)
	}
}

// exportCSV streams a group's contacts; memory stays flat however many.
// Expired members may still export: their data is theirs.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	g, err := s.App.Contacts.FindContactGroup(r.Context(), v.User.ID, id)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	cw := csvDownload(w, fmt.Sprintf("contacts-%d.csv", g.ID))
	_ = cw.Write([]string{"id", "email", "phone_number", "first_name", "last_name", "unsubscribed"})
	n := 0
	err = s.Lists.EachContact(r.Context(), v.User.ID, id, func(c *xerochat.Contact) error {
		if n++; n%1000 == 0 {
			cw.Flush()
		}
		return cw.Write([]string{strconv.FormatInt(c.ID, 10), c.Email, c.PhoneNumber, c.FirstName, c.LastName, flagText(c.Unsubscribed)})
	})
	cw.Flush()
	if err != nil {
		s.Logger.Error("web: export", "group", id, "err", err)
	}
}

func flagText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
