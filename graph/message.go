package graph

import (
	"context"
	"errors"
	"net/http"

	"github.com/xerochat/xerochat"
)

// sendBody is the Send API request.
type sendBody struct {
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	MessagingType string `json:"messaging_type"`
	Tag           string `json:"tag,omitempty"`
	Message       struct {
		Text         string           `json:"text"`
		QuickReplies []quickReplyBody `json:"quick_replies,omitempty"`
	} `json:"message"`
}

type quickReplyBody struct {
	ContentType string `json:"content_type"`
	Title       string `json:"title"`
	Payload     string `json:"payload"`
}

// SendMessage sends m to psid through the Send API and returns Facebook's
// message id. Without a tag it is a RESPONSE, which Facebook accepts only
// within 24 hours of the person's last message. Facebook allows 13 quick
// replies and cuts titles after 20 characters.
func (c *Client) SendMessage(ctx context.Context, pageToken, psid string, m xerochat.Outgoing) (string, error) {
	var body sendBody
	body.Recipient.ID = psid
	body.MessagingType = "RESPONSE"
	if m.Tag != "" {
		body.MessagingType = "MESSAGE_TAG"
		body.Tag = m.Tag
	}
	body.Message.Text = m.Text
	for _, q := range m.QuickReplies {
		body.Message.QuickReplies = append(body.Message.QuickReplies,
			quickReplyBody{ContentType: "text", Title: q.Title, Payload: q.Payload})
	}
	const path = "/me/messages"
	var out struct {
		RecipientID string `json:"recipient_id"`
		MessageID   string `json:"message_id"`
	}
	if err := c.postJSON(ctx, pageToken, path, body, &out); err != nil {
		return "", err
	}
	if out.MessageID == "" {
		return "", unreachable(http.MethodPost, path, errors.New("answer without a message_id"))
	}
	return out.MessageID, nil
}
