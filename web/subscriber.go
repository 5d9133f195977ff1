package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
)

// subscribersPerPage is how many subscribers one page of the list shows.
const subscribersPerPage = 50

// pagePicker is the member's pages and the one a screen shows.
type pagePicker struct {
	Pages []*xerochat.Page
	Page  *xerochat.Page
}

// pickPage reads the ?page= a screen is about (the member's first page
// when none is given). Another member's page is not found.
func (s *Server) pickPage(w http.ResponseWriter, r *http.Request, v *view) (pagePicker, bool) {
	pages, err := s.Reads.ListPages(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return pagePicker{}, false
	}
	pp := pagePicker{Pages: pages}
	want := r.URL.Query().Get("page")
	for _, p := range pages {
		if p.PageID == want || want == "" && pp.Page == nil {
			pp.Page = p
		}
	}
	if want != "" && pp.Page == nil {
		s.notFound(w, r, v)
		return pp, false
	}
	return pp, true
}

type subscribersData struct {
	pagePicker
	Labels    []*xerochat.Label
	LabelName map[string]string
	Label     string
	Search    string
	List      []*xerochat.Subscriber
	NextAfter int64
}

// subscribers lists one page's subscribers: searchable by name or PSID,
// filtered by label, a page at a time by id.
func (s *Server) subscribers(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	pp, ok := s.pickPage(w, r, v)
	if !ok {
		return
	}
	v.Title, v.Nav = "Subscribers", "subscribers"
	d := subscribersData{pagePicker: pp, Search: strings.TrimSpace(r.URL.Query().Get("q")), Label: r.URL.Query().Get("label")}
	if pp.Page != nil {
		labels, err := s.App.Pages.ListLabels(ctx, pp.Page.ID)
		if err != nil {
			s.fail(w, r, v, err)
			return
		}
		d.Labels, d.LabelName = labels, labelNames(labels)
		q := xerochat.SubscriberQuery{PageRef: pp.Page.ID, Search: d.Search, Limit: subscribersPerPage}
		q.After, _ = strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		if d.Label != "" {
			found, err := s.App.Pages.FindLabels(ctx, pp.Page.ID, []string{d.Label})
			if err != nil {
				s.fail(w, r, v, err)
				return
			}
			q.LabelRef = found[0].ID
		}
		list, more, err := s.Subs.ListSubscribers(ctx, v.User.ID, q)
		if err != nil {
			s.fail(w, r, v, err)
			return
		}
		d.List = list
		if more {
			d.NextAfter = list[len(list)-1].ID
		}
	}
	v.Data = d
	s.render(w, r, "subscribers", v)
}

func labelNames(labels []*xerochat.Label) map[string]string {
	m := make(map[string]string, len(labels))
	for _, l := range labels {
		m[l.LabelID] = l.Name
	}
	return m
}

type subscriberData struct {
	Sub       *xerochat.Subscriber
	Labels    []*xerochat.Label // the page's labels
	LabelName map[string]string
	Answers   []xerochat.SubscriberAnswer
	Error     string
}

// subscriber shows every field subscriber_information has, the labels
// with assign/remove, and the subscriber's flow answers.
func (s *Server) subscriber(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderSubscriber(w, r, http.StatusOK, v, "")
}

func (s *Server) renderSubscriber(w http.ResponseWriter, r *http.Request, status int, v *view, errMsg string) {
	ctx := r.Context()
	page, err := s.App.Pages.FindUserPage(ctx, v.User.ID, r.PathValue("page"))
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	sub, err := s.App.Pages.FindSubscriber(ctx, v.User.ID, r.PathValue("psid"), page.PageID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	labels, err := s.App.Pages.ListLabels(ctx, page.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	answers, err := s.Subs.AnswersOfSubscriber(ctx, v.User.ID, sub.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Title, v.Nav = "Subscriber "+sub.PSID, "subscribers"
	v.Data = subscriberData{Sub: sub, Labels: labels, LabelName: labelNames(labels), Answers: answers, Error: errMsg}
	s.renderStatus(w, r, status, "subscriber", v)
}

// assignLabel and removeLabel change a subscriber's labels through
// Facebook by assign_label's rules (app.AssignLabels / RemoveLabels);
// Facebook's refusal is shown as assign_label answers it.
func (s *Server) assignLabel(w http.ResponseWriter, r *http.Request, v *view) {
	s.changeLabel(w, r, v, true)
}

func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request, v *view) {
	s.changeLabel(w, r, v, false)
}

func (s *Server) changeLabel(w http.ResponseWriter, r *http.Request, v *view, add bool) {
	pageID, psid := r.PathValue("page"), r.PathValue("psid")
	if _, err := s.App.Pages.FindSubscriber(r.Context(), v.User.ID, psid, pageID); err != nil {
		s.fail(w, r, v, err)
		return
	}
	label := r.PostFormValue("label_id")
	var err error
	if label == "" {
		err = &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgLabelIDsRequired}
	} else if add {
		err = s.App.AssignLabels(r.Context(), v.User.ID, pageID, psid, []string{label})
	} else {
		err = s.App.RemoveLabels(r.Context(), v.User.ID, pageID, psid, []string{label})
	}
	// The page and the subscriber are the member's (checked above), so a
	// refusal now is about the label, the bot or Facebook: shown on the page.
	if err != nil && xerochat.ErrorCode(err) != xerochat.EINTERNAL {
		s.renderSubscriber(w, r, http.StatusUnprocessableEntity, v, xerochat.ErrorMessage(err))
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	notice := "Label removed."
	if add {
		notice = "Label assigned."
	}
	s.redirectNotice(w, r, "/app/subscribers/"+pageID+"/"+psid, notice)
}
