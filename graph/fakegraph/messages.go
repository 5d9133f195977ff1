package fakegraph

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// Send API limits Facebook enforces.
const (
	maxQuickReplies = 13
	maxTitle        = 20 // runes; longer titles are cut, not refused
	maxText         = 2000
	window          = 24 * time.Hour
)

// tags are the message tags Facebook accepts with MESSAGE_TAG.
var tags = []string{"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "CUSTOMER_FEEDBACK", "HUMAN_AGENT", "POST_PURCHASE_UPDATE"}

// sendMessage is POST /me/messages, with a JSON or form body.
func (s *Server) sendMessage(rq *request, _ string) (any, *FBError) {
	if rq.manager.declined("pages_messaging") {
		return nil, &FBError{HTTPStatus: 403, Code: 230, Type: "OAuthException",
			Message: "(#230) Requires pages_messaging permission to manage the object"}
	}
	var recipient struct {
		ID string `json:"id"`
	}
	raw := rq.params.Get("recipient")
	if raw == "" {
		return nil, paramError("The parameter recipient is required")
	}
	if json.Unmarshal([]byte(raw), &recipient) != nil || recipient.ID == "" {
		return nil, paramError("param recipient must be an object with an id")
	}
	u := rq.page.users[recipient.ID]
	if u == nil {
		e := ErrNoMatchingUser()
		return nil, &e
	}
	mt, tag := rq.params.Get("messaging_type"), rq.params.Get("tag")
	switch mt {
	case "RESPONSE", "UPDATE":
	case "MESSAGE_TAG":
		if !slices.Contains(tags, tag) {
			return nil, paramError(fmt.Sprintf("Param tag must be one of %v - got %q", tags, tag))
		}
	case "":
		return nil, paramError("The parameter messaging_type is required")
	default:
		return nil, paramError(fmt.Sprintf("Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG} - got %q", mt))
	}
	msg, ferr := parseMessage(rq.params.Get("message"))
	if ferr != nil {
		return nil, ferr
	}
	if s.window && mt != "MESSAGE_TAG" && (u.messaged.IsZero() || time.Since(u.messaged) > window) {
		e := ErrOutsideWindow()
		return nil, &e
	}
	m := SentMessage{
		PageID:        rq.page.id,
		PageToken:     rq.token,
		PSID:          recipient.ID,
		MessageID:     "m_" + rand.Text(),
		MessagingType: mt,
		Text:          msg.Text,
		QuickReplies:  msg.quickReplies,
		At:            time.Now(),
	}
	if mt == "MESSAGE_TAG" {
		m.Tag = tag
	}
	s.sent = append(s.sent, m)
	return map[string]string{"recipient_id": recipient.ID, "message_id": m.MessageID}, nil
}

type message struct {
	Text         string          `json:"text"`
	Attachment   json.RawMessage `json:"attachment"`
	QuickReplies []struct {
		ContentType string `json:"content_type"`
		Title       string `json:"title"`
		Payload     string `json:"payload"`
	} `json:"quick_replies"`
	quickReplies []QuickReply
}

// parseMessage checks the message object as the Send API does and returns
// it with the quick replies as the person will see them.
func parseMessage(raw string) (*message, *FBError) {
	if raw == "" {
		return nil, paramError("The parameter message is required")
	}
	var m message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, paramError("param message must be a JSON object")
	}
	if m.Text == "" && len(m.Attachment) == 0 {
		return nil, paramError("Message cannot be empty, must provide valid attachment or text")
	}
	if utf8.RuneCountInString(m.Text) > maxText {
		return nil, paramError(fmt.Sprintf("Length of param message[text] must be less than or equal to %d", maxText))
	}
	if len(m.QuickReplies) > maxQuickReplies {
		return nil, paramError(fmt.Sprintf("param message[quick_replies] must have at most %d items", maxQuickReplies))
	}
	for i, q := range m.QuickReplies {
		switch q.ContentType {
		case "text":
			if q.Title == "" {
				return nil, paramError(fmt.Sprintf("param message[quick_replies][%d][title] must be non-empty", i))
			}
			if q.Payload == "" {
				return nil, paramError(fmt.Sprintf("param message[quick_replies][%d][payload] must be non-empty", i))
			}
		case "user_phone_number", "user_email":
		default:
			return nil, paramError(fmt.Sprintf("param message[quick_replies][%d][content_type] must be one of "+
				"{text, user_phone_number, user_email}", i))
		}
		m.quickReplies = append(m.quickReplies, QuickReply{ContentType: q.ContentType, Title: cut(q.Title), Payload: q.Payload})
	}
	return &m, nil
}

func cut(title string) string {
	if utf8.RuneCountInString(title) <= maxTitle {
		return title
	}
	return string([]rune(title)[:maxTitle])
}

// profileField reads one profile field; ok is false for a field the node
// does not have, and v is nil for a field that is not set.
func profileField(p Profile, f string) (v any, ok bool) {
	str := func(s string) (any, bool) {
		if s == "" {
			return nil, true
		}
		return s, true
	}
	switch f {
	case "first_name":
		return str(p.FirstName)
	case "last_name":
		return str(p.LastName)
	case "name":
		return str(p.Name)
	case "profile_pic":
		return str(p.ProfilePic)
	case "locale":
		return str(p.Locale)
	case "gender":
		return str(p.Gender)
	case "timezone":
		if p.Timezone == nil {
			return nil, true
		}
		return *p.Timezone, true
	}
	return nil, false
}

// object is GET /{id}: a person's profile, or the token's page itself.
// Fields that are not set are left out. A person known only by a full name
// answers that name whatever was asked, which is how Facebook answers for
// people whose name parts it will not give.
func (s *Server) object(rq *request, id string) (any, *FBError) {
	if id == "me" || id == rq.page.id {
		return map[string]string{"id": rq.page.id, "name": rq.page.name}, nil
	}
	u := rq.page.users[id]
	if u == nil {
		e := ErrNoMatchingUser()
		return nil, &e
	}
	fields := splitFields(rq.params.Get("fields"))
	if len(fields) == 0 {
		fields = []string{"first_name", "last_name", "profile_pic"}
	}
	out := map[string]any{"id": id}
	for _, f := range fields {
		if f == "id" {
			continue
		}
		v, ok := profileField(u.profile, f)
		if !ok {
			return nil, paramError("Tried accessing nonexisting field (" + f + ") on node type (User)")
		}
		if v != nil {
			out[f] = v
		}
	}
	p := u.profile
	if p.FirstName == "" && p.LastName == "" && p.Name != "" {
		out["name"] = p.Name
	}
	return out, nil
}
