package xerochat

import (
	"context"
	"errors"
	"time"
)

// Facebook is everything xerochat asks of Facebook's Graph API, in domain
// types. The graph package implements it over HTTP; the fake Facebook of the
// tests speaks the same wire format, so the same client serves both.
//
// A failed call returns an error in which errors.As finds a *FacebookError:
// its Kind tells the caller what to do (reconnect the page, back off, give
// up), and it unwraps to an *Error with code EUNAVAILABLE whose Message is
// Facebook's own text (e.g. "(#100) The user ID is not valid."), so the API
// can pass that text on unchanged.
type Facebook interface {
	// SendMessage sends m to the person with that PSID through the Send API
	// and returns Facebook's message id.
	SendMessage(ctx context.Context, pageToken, psid string, m Outgoing) (string, error)
	// UserProfile fetches what Facebook tells of the person with that PSID.
	UserProfile(ctx context.Context, pageToken, psid string) (*Profile, error)

	// PageLabels lists every label of the page, following Graph's paging.
	PageLabels(ctx context.Context, pageToken, pageID string) ([]FacebookLabel, error)
	// CreateLabel makes a page label and returns its Facebook id. Facebook
	// does not deduplicate names: each call makes a new label.
	CreateLabel(ctx context.Context, pageToken, pageID, name string) (string, error)
	// AssignLabel puts a label on the person with that PSID.
	AssignLabel(ctx context.Context, pageToken, labelID, psid string) error
	// RemoveLabel takes a label off the person with that PSID.
	RemoveLabel(ctx context.Context, pageToken, labelID, psid string) error

	// ExchangeCode turns the code Facebook Login handed to redirectURI into a
	// user access token.
	ExchangeCode(ctx context.Context, code, redirectURI string) (string, error)
	// LongLivedToken exchanges a user token for a long-lived one (about 60
	// days); page tokens read with it do not expire on their own.
	LongLivedToken(ctx context.Context, userToken string) (string, error)
	// Permissions lists the permissions the person granted, by name.
	Permissions(ctx context.Context, userToken string) ([]string, error)
	// UserPages lists the pages the person manages, with a page token each,
	// following Graph's paging.
	UserPages(ctx context.Context, userToken string) ([]FacebookPage, error)
	// Me checks a token and returns the id and name of what it belongs to
	// (for a page token: the page).
	Me(ctx context.Context, token string) (id, name string, err error)
	// SubscribeApp subscribes the app to the page's webhook fields.
	SubscribeApp(ctx context.Context, pageToken, pageID string, fields []string) error
	// UnsubscribeApp ends the app's webhook subscription on the page.
	UnsubscribeApp(ctx context.Context, pageToken, pageID string) error
}

// WebhookFields are the page webhook fields the server handles, the ones a
// connected page is subscribed to.
var WebhookFields = []string{"messages", "messaging_postbacks", "messaging_referrals", "inbox_labels"}

// LoginPermissions are the permissions Facebook Login asks for: what
// Messenger pages need (listing pages, messaging, subscribing the app to the
// page's webhook, reading it).
var LoginPermissions = []string{"pages_show_list", "pages_messaging", "pages_manage_metadata", "pages_read_engagement"}

// FacebookLabel is a page label as Facebook lists it.
type FacebookLabel struct {
	ID   string
	Name string
}

// FacebookPage is a page a person manages, as Facebook lists it.
type FacebookPage struct {
	ID          string
	Name        string
	AccessToken string
	Tasks       []string // MANAGE, MESSAGING, ...
}

// QuickReply is a text button under a message; tapping it sends Payload.
type QuickReply struct {
	Title   string
	Payload string
}

// Outgoing is a message to send to a subscriber: the one shape a message
// has from the flow engine through the outbox to the Send API.
type Outgoing struct {
	Text         string
	QuickReplies []QuickReply
	// Tag, when set, sends the message as MESSAGE_TAG with this tag (such
	// as "ACCOUNT_UPDATE"), which is how a page may write outside the 24
	// hours after the person's last message.
	Tag string
}

// Profile is what Facebook tells of a person. Empty fields mean Facebook did
// not say; Timezone is the offset from UTC in hours as text ("-7", "5.5").
type Profile struct {
	FirstName, LastName, FullName, ProfilePic, Locale, Gender, Timezone string
}

// Kinds of Facebook failure, which decide what the caller does next.
const (
	// FacebookInvalidToken: the token is invalid or expired (Graph code
	// 190); nothing works until the page is connected again.
	FacebookInvalidToken = "invalid_token"
	// FacebookRateLimited: Facebook throttled the caller; back off, retry.
	FacebookRateLimited = "rate_limited"
	// FacebookOutsideWindow: the person last wrote more than 24 hours ago
	// and the message carried no tag.
	FacebookOutsideWindow = "outside_window"
	// FacebookRefused: any other error Facebook answered with; retrying the
	// same call will not help.
	FacebookRefused = "refused"
	// FacebookUnreachable: no usable answer at all (network, timeout, not
	// Graph JSON); retrying later may help.
	FacebookUnreachable = "unreachable"
)

// FacebookError is a failed Facebook call, classified.
type FacebookError struct {
	Kind string // one of the Facebook* kinds
	// Message is safe to show a client: Facebook's own text, or a vague
	// "could not be reached" when Facebook did not answer.
	Message string
	// RetryAfter is how long Facebook asked a throttled caller to wait;
	// zero when it did not say.
	RetryAfter time.Duration
	// Err is the cause with the details for logs (never the token).
	Err error
}

func (e *FacebookError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "facebook " + e.Kind + ": " + e.Message
}

// Unwrap exposes the failure as an EUNAVAILABLE application error carrying
// the client-safe message, and the cause.
func (e *FacebookError) Unwrap() []error {
	errs := []error{&Error{Code: EUNAVAILABLE, Message: e.Message}}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// FacebookErrorKind returns the kind of a Facebook failure in err's chain,
// "" when err is not one.
func FacebookErrorKind(err error) string {
	var e *FacebookError
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
