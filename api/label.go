package api

import (
	"strings"

	"github.com/xerochat/xerochat"
)

type subscriberInfo struct {
	SubscriberID       string `json:"subscriber_id"`
	Labels             string `json:"labels"`
	FirstName          string `json:"first_name"`
	LastName           string `json:"last_name"`
	FullName           string `json:"full_name"`
	Gender             string `json:"gender"`
	Locale             string `json:"locale"`
	Timezone           string `json:"timezone"`
	PageName           string `json:"page_name"`
	PageID             string `json:"page_id"`
	Unavailable        string `json:"unavailable"`
	LastErrorMessage   string `json:"last_error_message"`
	LastErrorBroadcast string `json:"last_error_message_conversation_broadcast"`
	RefferrerSource    string `json:"refferer_source"`
	SubscribedAt       string `json:"subscribed_at"`
	Email              string `json:"email"`
	PhoneNumber        string `json:"phone_number"`
	Birthdate          string `json:"birthdate"`
	LastInteractionAt  string `json:"last_subscriber_interaction_time"`
}

func (s *Server) subscriberInformation(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("subscriber_id") {
		return nil, invalid("Provide subscriber_id field")
	}
	sub, err := s.Pages.FindSubscriber(c.ctx, c.user.ID, c.param("subscriber_id"), c.param("page_id"))
	if err != nil {
		return nil, err
	}
	birthdate := sub.Birthdate
	if birthdate == "" {
		birthdate = "0000-00-00"
	}
	return struct {
		Status         string         `json:"status"`
		SubscriberInfo subscriberInfo `json:"subscriber_info"`
	}{"success", subscriberInfo{
		SubscriberID: sub.PSID, Labels: strings.Join(sub.LabelIDs, ","), FirstName: sub.FirstName,
		LastName: sub.LastName, FullName: sub.FullName, Gender: sub.Gender, Locale: sub.Locale,
		Timezone: sub.Timezone, PageName: sub.PageName, PageID: sub.PageID, Unavailable: flagText(sub.Unavailable),
		LastErrorMessage: sub.LastErrorMessage, LastErrorBroadcast: sub.LastErrorBroadcast,
		RefferrerSource: sub.RefererSource, SubscribedAt: c.datetime(sub.SubscribedAt), Email: sub.Email,
		PhoneNumber: sub.PhoneNumber, Birthdate: birthdate, LastInteractionAt: c.datetime(sub.LastInteractionAt),
	}}, nil
}

type labelRow struct {
	LabelID   string `json:"label_id"`
	LabelName string `json:"label_name"`
}

const msgNoLabels = "No Matching Label Found"

func (s *Server) getAllLabels(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("page_id") {
		return nil, invalid("Provide page_id field")
	}
	page, err := s.Pages.FindEnabledPage(c.ctx, c.user.ID, c.param("page_id"))
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return nil, notFound(msgNoLabels)
	} else if err != nil {
		return nil, err
	}
	labels, err := s.Pages.ListLabels(c.ctx, page.ID)
	if err != nil {
		return nil, err
	}
	if len(labels) == 0 {
		return nil, notFound(msgNoLabels)
	}
	rows := make([]labelRow, 0, len(labels))
	for _, l := range labels {
		rows = append(rows, labelRow{LabelID: l.LabelID, LabelName: l.Name})
	}
	return struct {
		Status    string     `json:"status"`
		LabelInfo []labelRow `json:"label_info"`
	}{"success", rows}, nil
}

func (s *Server) createLabel(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("page_id") {
		return nil, invalid("Provide page_id field")
	}
	if !c.has("label_name") {
		return nil, invalid("Provide label_name field")
	}
	page, err := s.Pages.FindEnabledPage(c.ctx, c.user.ID, c.param("page_id"))
	if err != nil {
		return nil, err
	}
	name := c.param("label_name")
	label, err := s.Pages.FindLabelByName(c.ctx, page.ID, name)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		// Facebook makes a new label on every call, so the name is looked up
		// locally first: repeating a create returns the same label.
		fbID, err := s.Facebook.CreateLabel(c.ctx, page.AccessToken, page.PageID, name)
		if err != nil {
			return nil, err
		}
		label, err = s.Pages.SaveLabel(c.ctx, &xerochat.Label{UserID: c.user.ID, PageRef: page.ID, LabelID: fbID, Name: name})
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return struct {
		Status  string `json:"status"`
		LabelID string `json:"label_id"`
	}{"success", label.LabelID}, nil
}

// splitIDs reads a comma-separated id list, dropping blanks and repeats.
func splitIDs(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) assignLabel(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("page_id") {
		return nil, invalid("Provide page_id field")
	}
	if !c.has("subscriber_id") {
		return nil, invalid("Provide subscriber_id field")
	}
	ids := splitIDs(c.param("label_ids"))
	if len(ids) == 0 {
		return nil, invalid("Provide label_ids field")
	}
	page, err := s.Pages.FindEnabledPage(c.ctx, c.user.ID, c.param("page_id"))
	if err != nil {
		return nil, err
	}
	labels, err := s.Pages.FindLabels(c.ctx, page.ID, ids)
	if err != nil {
		return nil, err
	}
	sub, err := s.Pages.FindSubscriber(c.ctx, c.user.ID, c.param("subscriber_id"), page.PageID)
	if err != nil {
		return nil, err
	}
	// Each label is recorded as soon as Facebook has it, so a failure part
	// way leaves the local record matching Facebook's.
	for _, l := range labels {
		if err := s.Facebook.AssignLabel(c.ctx, page.AccessToken, l.LabelID, sub.PSID); err != nil {
			return nil, err
		}
		if err := s.Pages.AssignLabel(c.ctx, sub.ID, l.ID); err != nil {
			return nil, err
		}
	}
	return struct {
		Success bool   `json:"success"`
		Status  string `json:"status"`
	}{true, "success"}, nil
}
