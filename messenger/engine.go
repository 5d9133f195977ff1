package messenger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/xerochat/xerochat"
)

// ErrDropped is returned for an event xerochat does not act on: its page is
// not connected, or the page's bot is disabled. Such events are logged and
// dropped; they are not failures.
var ErrDropped = errors.New("event dropped")

// Handle applies one event inside its transaction: it keeps the subscriber
// current, records referrals and inbox labels, and runs flow campaigns.
func Handle(ctx context.Context, tx xerochat.EventTx, ev xerochat.Event) error {
	page, err := tx.Page(ctx, ev.PageID)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return fmt.Errorf("%w: page %s is not connected", ErrDropped, ev.PageID)
	} else if err != nil {
		return err
	}
	if !page.BotEnabled {
		return fmt.Errorf("%w: the bot of page %s is disabled", ErrDropped, ev.PageID)
	}
	// A label changed in the inbox is not the person interacting.
	label := ev.Kind == xerochat.EventLabel
	subID, err := tx.Subscriber(ctx, page, ev.PSID, ev.Time, !label)
	if err != nil {
		return err
	}
	if label {
		return tx.SetLabel(ctx, page, subID, ev.LabelID, ev.LabelName, ev.LabelAdded)
	}
	if ev.RefererSource != "" {
		if err := tx.SetReferer(ctx, subID, ev.RefererSource); err != nil {
			return err
		}
	}
	if ev.Kind == xerochat.EventReferral {
		return nil
	}
	campaigns, err := tx.Campaigns(ctx, page.ID)
	if err != nil {
		return err
	}
	f := flow{tx: tx, page: page, subID: subID}
	if fc := triggered(campaigns, ev); fc != nil {
		return f.start(ctx, fc)
	}
	if ev.Kind != xerochat.EventMessage {
		return nil
	}
	session, err := tx.Session(ctx, subID)
	if err != nil || session == nil {
		return err
	}
	for _, fc := range campaigns {
		if fc.ID == session.CampaignID {
			return f.answer(ctx, fc, session, ev)
		}
	}
	// The campaign is gone; so is the flow.
	return tx.EndSession(ctx, subID)
}

// triggered returns the campaign the event starts: a message whose whole
// text is one of a campaign's keywords (ignoring case and surrounding
// space), or a postback or quick reply carrying one of its payloads.
func triggered(campaigns []*xerochat.FlowCampaign, ev xerochat.Event) *xerochat.FlowCampaign {
	text := strings.TrimSpace(ev.Text)
	for _, fc := range campaigns {
		if len(fc.Questions) == 0 {
			continue
		}
		for _, p := range fc.Payloads {
			if p == ev.Payload && ev.Payload != "" || p == ev.QuickReplyPayload && ev.QuickReplyPayload != "" {
				return fc
			}
		}
		if ev.Kind != xerochat.EventMessage || text == "" {
			continue
		}
		for _, k := range fc.Keywords {
			if strings.EqualFold(k, text) {
				return fc
			}
		}
	}
	return nil
}

// flow runs a campaign with one subscriber.
type flow struct {
	tx    xerochat.EventTx
	page  *xerochat.Page
	subID int64
}

// start begins the campaign at its first question; triggering a running
// flow again starts it over.
func (f flow) start(ctx context.Context, fc *xerochat.FlowCampaign) error {
	if err := f.tx.SetSession(ctx, xerochat.FlowSession{SubscriberID: f.subID, CampaignID: fc.ID, Position: 1}); err != nil {
		return err
	}
	return f.ask(ctx, fc.Questions[0], fc.Questions[0].Question)
}

// ask sends a question's text (or its re-prompt), with the options of a
// choice question as quick replies.
func (f flow) ask(ctx context.Context, q *xerochat.FlowQuestion, text string) error {
	m := xerochat.Outgoing{Text: text}
	if q.Type == xerochat.QuestionChoice {
		// The payload is the option itself, which Validate matches.
		for _, o := range q.Options {
			m.QuickReplies = append(m.QuickReplies, xerochat.QuickReply{Title: o, Payload: o})
		}
	}
	return f.tx.Send(ctx, f.page, f.subID, m)
}

// answer takes the subscriber's reply to the awaited question: a valid one
// is stored and the flow moves on; an invalid one is re-prompted and not
// stored.
func (f flow) answer(ctx context.Context, fc *xerochat.FlowCampaign, s *xerochat.FlowSession, ev xerochat.Event) error {
	if s.Position < 1 || s.Position > len(fc.Questions) {
		return f.tx.EndSession(ctx, f.subID)
	}
	q := fc.Questions[s.Position-1]
	value, ok := Validate(q, ev.Text, ev.QuickReplyPayload)
	if !ok {
		text := q.Reprompt
		if text == "" {
			text = defaultReprompt(q)
		}
		return f.ask(ctx, q, text)
	}
	if err := f.tx.SaveAnswer(ctx, fc.ID, q.ID, f.subID, value); err != nil {
		return err
	}
	switch q.Type {
	case xerochat.QuestionEmail:
		if err := f.tx.SetContact(ctx, f.subID, value, ""); err != nil {
			return err
		}
	case xerochat.QuestionPhone:
		if err := f.tx.SetContact(ctx, f.subID, "", value); err != nil {
			return err
		}
	}
	if s.Position < len(fc.Questions) {
		next := fc.Questions[s.Position]
		if err := f.tx.SetSession(ctx, xerochat.FlowSession{SubscriberID: f.subID, CampaignID: fc.ID, Position: s.Position + 1}); err != nil {
			return err
		}
		return f.ask(ctx, next, next.Question)
	}
	if err := f.tx.EndSession(ctx, f.subID); err != nil {
		return err
	}
	if fc.CompletionMessage != "" {
		return f.tx.Send(ctx, f.page, f.subID, xerochat.Outgoing{Text: fc.CompletionMessage})
	}
	return nil
}

// defaultReprompt is sent when a question has no re-prompt of its own.
func defaultReprompt(q *xerochat.FlowQuestion) string {
	what := map[string]string{
		xerochat.QuestionEmail:  "an e-mail address",
		xerochat.QuestionPhone:  "a phone number",
		xerochat.QuestionNumber: "a number",
		xerochat.QuestionDate:   "a date such as 2024-12-31",
		xerochat.QuestionChoice: "one of the options",
	}[q.Type]
	if what == "" {
		return q.Question
	}
	return fmt.Sprintf("Please answer with %s. %s", what, q.Question)
}
