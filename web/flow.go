package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
)

// answersPerPage is how many subscribers one page of answers shows.
const answersPerPage = 50

// blankSlots is how many empty question slots the builder offers.
const blankSlots = 2

type flowsData struct {
	Campaigns []*xerochat.FlowCampaign
	HasPages  bool
}

// flows lists the member's campaigns, as get_flow_campaigns does.
func (s *Server) flows(w http.ResponseWriter, r *http.Request, v *view) {
	fcs, err := s.App.Flows.ListFlowCampaigns(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	pages, err := s.Reads.ListPages(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Title, v.Nav, v.Data = "Flow campaigns", "flows", flowsData{Campaigns: fcs, HasPages: len(pages) > 0}
	s.render(w, r, "flows", v)
}

// questionSlot is one question of the builder's form.
type questionSlot struct {
	N        int
	ID       int64
	Text     string
	Type     string
	Options  string // one per line
	Reprompt string
}

type builderData struct {
	ID                int64
	Name              string
	PageID            string
	Pages             []*xerochat.Page
	Keywords          string
	Payloads          string
	CompletionMessage string
	Questions         []questionSlot
	Types             []string
	Error             string
}

var questionTypes = []string{xerochat.QuestionText, xerochat.QuestionEmail, xerochat.QuestionPhone,
	xerochat.QuestionNumber, xerochat.QuestionDate, xerochat.QuestionChoice}

// newFlow shows an empty builder.
func (s *Server) newFlow(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderBuilder(w, r, http.StatusOK, v, &builderData{PageID: r.URL.Query().Get("page")})
}

// editFlow shows the builder filled with a campaign of the member's.
func (s *Server) editFlow(w http.ResponseWriter, r *http.Request, v *view) {
	fc, ok := s.findFlow(w, r, v)
	if !ok {
		return
	}
	d := &builderData{ID: fc.ID, Name: fc.Name, Keywords: strings.Join(fc.Keywords, "\n"),
		Payloads: strings.Join(fc.Payloads, "\n"), CompletionMessage: fc.CompletionMessage}
	pages, err := s.Reads.ListPages(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	for _, p := range pages {
		if p.ID == fc.PageRef {
			d.PageID = p.PageID
		}
	}
	for _, q := range fc.Questions {
		d.Questions = append(d.Questions, questionSlot{ID: q.ID, Text: q.Question, Type: q.Type,
			Options: strings.Join(q.Options, "\n"), Reprompt: q.Reprompt})
	}
	s.renderBuilder(w, r, http.StatusOK, v, d)
}

func (s *Server) renderBuilder(w http.ResponseWriter, r *http.Request, status int, v *view, d *builderData) {
	pages, err := s.Reads.ListPages(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	d.Pages, d.Types = pages, questionTypes
	for range blankSlots {
		d.Questions = append(d.Questions, questionSlot{Type: xerochat.QuestionText})
	}
	for i := range d.Questions {
		d.Questions[i].N = i + 1
	}
	v.Title, v.Nav, v.Data = "Flow campaign builder", "flows", d
	if d.ID == 0 {
		v.Title = "New flow campaign"
	}
	s.renderStatus(w, r, status, "builder", v)
}

// lines splits a textarea into its non-empty lines (commas also separate
// keywords and payloads, as people type them).
func lines(s string, commas bool) []string {
	var out []string
	sep := func(r rune) bool { return r == '\n' || r == '\r' || commas && r == ',' }
	for _, l := range strings.FieldsFunc(s, sep) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// readBuilder reads the builder's form into a flow file, skipping empty
// question slots, with the stored question id of each question kept.
func readBuilder(r *http.Request) (*builderData, xerochat.FlowFile, []int64) {
	f := r.PostForm
	d := &builderData{Name: f.Get("flow_name"), PageID: f.Get("page_id"), Keywords: f.Get("keywords"),
		Payloads: f.Get("payloads"), CompletionMessage: f.Get("completion_message")}
	ff := xerochat.FlowFile{FlowName: d.Name, CompletionMessage: d.CompletionMessage}
	ff.Triggers.Keywords, ff.Triggers.Payloads = lines(d.Keywords, true), lines(d.Payloads, true)
	var ids []int64
	for i := 1; f.Has(fmt.Sprintf("q%d_text", i)); i++ {
		slot := questionSlot{Text: strings.TrimSpace(f.Get(fmt.Sprintf("q%d_text", i))), Type: f.Get(fmt.Sprintf("q%d_type", i)),
			Options: f.Get(fmt.Sprintf("q%d_options", i)), Reprompt: strings.TrimSpace(f.Get(fmt.Sprintf("q%d_reprompt", i)))}
		slot.ID, _ = strconv.ParseInt(f.Get(fmt.Sprintf("q%d_id", i)), 10, 64)
		if slot.Text == "" && strings.TrimSpace(slot.Options) == "" && slot.Reprompt == "" {
			continue // an empty slot
		}
		d.Questions = append(d.Questions, slot)
		ff.Questions = append(ff.Questions, xerochat.FlowFileQuestion{Question: slot.Text, Type: slot.Type,
			Options: lines(slot.Options, false), Reprompt: slot.Reprompt})
		ids = append(ids, slot.ID)
	}
	return d, ff, ids
}

// saveFlow creates or updates a campaign through app.FlowBuilder: the
// flow file's validation, the member's own page, stable question ids.
// "Add question slots" re-shows the form with more room instead.
func (s *Server) saveFlow(w http.ResponseWriter, r *http.Request, v *view) {
	var id int64
	if r.PathValue("id") != "" {
		var ok bool
		if id, ok = pathID(r, "id"); !ok {
			s.notFound(w, r, v)
			return
		}
	}
	_ = r.ParseForm()
	d, ff, ids := readBuilder(r)
	d.ID = id
	if r.PostForm.Get("more") != "" {
		for range 3 {
			d.Questions = append(d.Questions, questionSlot{Type: xerochat.QuestionText})
		}
		s.renderBuilder(w, r, http.StatusOK, v, d)
		return
	}
	saved, err := s.Flows.Save(r.Context(), v.User.ID, d.PageID, id, ff, ids)
	if xerochat.ErrorCode(err) == xerochat.EINVALID {
		d.Error = xerochat.ErrorMessage(err)
		s.renderBuilder(w, r, http.StatusUnprocessableEntity, v, d)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/flows/"+strconv.FormatInt(saved, 10), "Campaign "+strings.TrimSpace(ff.FlowName)+" saved.")
}

func (s *Server) findFlow(w http.ResponseWriter, r *http.Request, v *view) (*xerochat.FlowCampaign, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return nil, false
	}
	fc, err := s.App.Flows.FindFlowCampaign(r.Context(), v.User.ID, id)
	if err != nil {
		s.fail(w, r, v, err)
		return nil, false
	}
	return fc, true
}

type answersData struct {
	Campaign  *xerochat.FlowCampaign
	Rows      []xerochat.AnswerRow
	NextAfter int64
}

// flowAnswers shows a campaign's answers, one row per subscriber and one
// column per question, a page at a time.
func (s *Server) flowAnswers(w http.ResponseWriter, r *http.Request, v *view) {
	fc, ok := s.findFlow(w, r, v)
	if !ok {
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	rows, more, err := s.FlowEdits.ListAnswerRows(r.Context(), v.User.ID, fc.ID, after, answersPerPage)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	d := answersData{Campaign: fc, Rows: rows}
	if more {
		d.NextAfter = rows[len(rows)-1].SubscriberID
	}
	v.Title, v.Nav, v.Data = fc.Name, "flows", d
	s.render(w, r, "answers", v)
}

// answersCSV streams every answer of the campaign: one row per subscriber
// (in order of their first answer, as get_all_subscriber_flow_info lists
// them), one column per question. Memory stays flat.
func (s *Server) answersCSV(w http.ResponseWriter, r *http.Request, v *view) {
	fc, ok := s.findFlow(w, r, v)
	if !ok {
		return
	}
	col := map[int64]int{}
	header := []string{"subscriber_id"}
	for i, q := range fc.Questions {
		col[q.ID] = i + 1
		header = append(header, q.Question)
	}
	cw := csvDownload(w, fmt.Sprintf("campaign-%d-answers.csv", fc.ID))
	_ = cw.Write(header)
	var row []string
	flush := func() error {
		if row == nil {
			return nil
		}
		err := cw.Write(row)
		cw.Flush()
		return err
	}
	err := s.App.Flows.EachAnswer(r.Context(), fc, func(a xerochat.FlowAnswer) error {
		if row == nil || row[0] != a.PSID {
			if err := flush(); err != nil {
				return err
			}
			row = make([]string, len(header))
			row[0] = a.PSID
		}
		if i, ok := col[a.QuestionID]; ok {
			row[i] = a.Answer
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	cw.Flush()
	if err != nil {
		s.Logger.Error("web: answers export", "campaign", fc.ID, "err", err)
	}
}
