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
		return nil, invalid(xerochat.MsgSubscriberIDRequired)
	}
	sub, err := s.App.Pages.FindSubscriber(c.ctx, c.user.ID, c.param("subscriber_id"), c.param("page_id"))
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

func (s *Server) getAllLabels(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("page_id") {
		return nil, invalid(xerochat.MsgPageIDRequired)
	}
	page, err := s.App.Pages.FindEnabledPage(c.ctx, c.user.ID, c.param("page_id"))
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return nil, notFound(xerochat.MsgNoLabels)
	} else if err != nil {
		return nil, err
	}
	labels, err := s.App.Pages.ListLabels(c.ctx, page.ID)
	if err != nil {
		return nil, err
	}
	if len(labels) == 0 {
		return nil, notFound(xerochat.MsgNoLabels)
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
		return nil, invalid(xerochat.MsgPageIDRequired)
	}
	if !c.has("label_name") {
		return nil, invalid(xerochat.MsgLabelNameRequired)
	}
	label, err := s.App.CreateLabel(c.ctx, c.user.ID, c.param("page_id"), c.param("label_name"))
	if err != nil {
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
		return nil, invalid(xerochat.MsgPageIDRequired)
	}
	if !c.has("subscriber_id") {
		return nil, invalid(xerochat.MsgSubscriberIDRequired)
	}
	ids := splitIDs(c.param("label_ids"))
	if len(ids) == 0 {
		return nil, invalid(xerochat.MsgLabelIDsRequired)
	}
	if err := s.App.AssignLabels(c.ctx, c.user.ID, c.param("page_id"), c.param("subscriber_id"), ids); err != nil {
		return nil, err
	}
	return struct {
		Success bool   `json:"success"`
		Status  string `json:"status"`
	}{true, "success"}, nil
}
