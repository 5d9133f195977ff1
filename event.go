package xerochat

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"
)

// Kinds of Messenger events the server acts on.
const (
	EventMessage  = "message"
	EventPostback = "postback"
	EventReferral = "referral"
	EventLabel    = "inbox_label"
)

// Event is one thing a person did on a page, as read from a webhook batch.
type Event struct {
	// Key identifies the event across re-deliveries: the message id where
	// Facebook gives one, else a digest of what identifies it.
	Key    string
	Kind   string
	PageID string
	PSID   string
	Time   time.Time

	Text              string // message text
	QuickReplyPayload string // the payload of a tapped quick reply
	Payload           string // postback payload
	RefererSource     string // referral source (SHORTLINK, ADS, ...), from a referral or a postback's referral

	LabelID    string // inbox_label: the Facebook label id
	LabelName  string
	LabelAdded bool // inbox_label: true when added, false when removed
}

// Bounds on what one webhook event may carry. Facebook's own ids are
// decimal numbers of at most 20 digits; its texts are far below these
// bounds. An event beyond them is not Facebook's, and is dropped alone.
const (
	MaxFacebookIDLen = 32    // page ids, PSIDs, label ids
	MaxEventKeyLen   = 255   // a message id, or a digest
	MaxEventTextLen  = 20000 // message text, in characters
	MaxPayloadLen    = 1000  // quick-reply and postback payloads (Facebook's limit)
	MaxLabelNameLen  = 255   // a label's name, as create_label takes it
	MaxRefererLen    = 512   // a referral's source and ref
)

// Validate checks an event against the bounds above: ids that are decimal
// numbers of bounded length, texts of bounded length. The error names the
// first field that breaks them.
func (e *Event) Validate() error {
	for _, id := range []struct{ name, v string }{{"page id", e.PageID}, {"PSID", e.PSID}} {
		if !facebookID(id.v) {
			return Errorf(EINVALID, "%s %.40q is not a Facebook id", id.name, id.v)
		}
	}
	if e.Kind == EventLabel && !facebookID(e.LabelID) {
		return Errorf(EINVALID, "label id %.40q is not a Facebook id", e.LabelID)
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"key", e.Key, MaxEventKeyLen}, {"text", e.Text, MaxEventTextLen}, {"quick reply payload", e.QuickReplyPayload, MaxPayloadLen},
		{"payload", e.Payload, MaxPayloadLen}, {"referral", e.RefererSource, MaxRefererLen}, {"label name", e.LabelName, MaxLabelNameLen},
	} {
		if utf8.RuneCountInString(f.v) > f.max {
			return Errorf(EINVALID, "%s is longer than %d characters", f.name, f.max)
		}
	}
	return nil
}

// facebookID reports whether s is a decimal id of bounded length.
func facebookID(s string) bool {
	if s == "" || len(s) > MaxFacebookIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FlowSession is where a subscriber is in a running flow campaign:
// Position is the 1-based position of the question awaiting an answer.
type FlowSession struct {
	SubscriberID int64
	CampaignID   int64
	Position     int
}

// EventTx is what handling one event may read and change; all of it
// commits together, or none of it does.
type EventTx interface {
	// Page returns the connected page with that Facebook id, ENOTFOUND if none.
	Page(ctx context.Context, pageID string) (*Page, error)
	// Subscriber returns the id of the page's subscriber with that PSID,
	// creating it (subscribed at the given time, profile to be fetched) if
	// new. With touch, the time is also recorded as the person's latest
	// interaction, in the same statement.
	Subscriber(ctx context.Context, page *Page, psid string, at time.Time, touch bool) (subscriberID int64, err error)
	// SetReferer records where the person came from.
	SetReferer(ctx context.Context, subscriberID int64, source string) error
	// SetContact stores an e-mail or phone number the person gave in a flow;
	// empty values leave the field as is.
	SetContact(ctx context.Context, subscriberID int64, email, phone string) error
	// Campaigns returns the page's flow campaigns with their questions.
	Campaigns(ctx context.Context, pageRef int64) ([]*FlowCampaign, error)
	// Session returns the subscriber's running flow, nil if none.
	Session(ctx context.Context, subscriberID int64) (*FlowSession, error)
	// SetSession starts or moves the subscriber's flow.
	SetSession(ctx context.Context, s FlowSession) error
	// EndSession ends the subscriber's flow.
	EndSession(ctx context.Context, subscriberID int64) error
	// SaveAnswer stores an answer, replacing an earlier one to the question.
	SaveAnswer(ctx context.Context, campaignID, questionID, subscriberID int64, answer string) error
	// Send queues a message to the subscriber; queued messages go out in order.
	Send(ctx context.Context, page *Page, subscriberID int64, m Outgoing) error
	// SetLabel records a label added to or removed from the subscriber in the
	// page's inbox, storing the label if it is new.
	SetLabel(ctx context.Context, page *Page, subscriberID int64, labelID, name string, added bool) error
}

// WebhookBatch is a webhook body kept by intake, claimed for processing.
type WebhookBatch struct {
	ID   int64
	Body []byte
	// Attempts counts the claims of this batch, this one included.
	Attempts int
}

// BatchTx is the transaction a webhook batch is applied in: every event's
// effects and the batch's completion commit together, once.
//
// A batch is first run without savepoints, which on PostgreSQL cost two
// round trips per event. Should an event fail there, ApplyEvent returns
// ErrBatchRestart, and this and every later ApplyEvent of the run do
// nothing; the function given to InBatch must return that error as it
// comes. InBatch then rolls the run back and runs the function again, each
// event in a savepoint of its own, as described below. The first run may
// also take a key recorded by an earlier batch for new and call fn, to
// find out at a later statement and restart: only the answers of the run
// that completes count.
type BatchTx interface {
	// ApplyEvent runs fn in a savepoint that first records the event's key.
	// An event whose key was recorded before (a re-delivery, or a batch
	// processed again after a crash) is skipped: applied is false and fn is
	// not called. When fn fails, the savepoint is rolled back, so the event
	// leaves no trace, and its error is returned.
	ApplyEvent(ctx context.Context, key string, fn func(EventTx) error) (applied bool, err error)
}

// ErrBatchRestart is ApplyEvent's answer when an event failed in a run of
// the batch without savepoints: the batch is about to run again with them.
var ErrBatchRestart = errors.New("an event failed: the batch runs again, each event in a savepoint")

// OutboxMessage is a queued message claimed for sending.
type OutboxMessage struct {
	ID           int64
	PageRef      int64
	PageToken    string
	SubscriberID int64
	PSID         string
	Message      Outgoing
	Attempts     int
}

// ProfileJob is a subscriber whose Graph profile is to be fetched.
type ProfileJob struct {
	SubscriberID int64
	PSID         string
	PageToken    string
	Attempts     int
}
