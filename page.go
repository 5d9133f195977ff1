package xerochat

import (
	"context"
	"time"
)

// Page is a Facebook page a user connected. The access token is a secret: it
// is used for Graph calls and never returned by any endpoint.
type Page struct {
	ID           int64 // our row id
	UserID       int64
	PageID       string // Facebook's page id
	Name         string
	AccessToken  string
	BotEnabled   bool
	ErrorMessage string // the last Graph failure that disabled sending, if any
}

// Subscriber is a person who messaged a page, known by the page-scoped id.
// Times are zero and texts "" when never set.
type Subscriber struct {
	ID                 int64
	UserID             int64
	PageRef            int64 // Page.ID
	PageID             string
	PageName           string
	PSID               string
	FirstName          string
	LastName           string
	FullName           string
	Gender             string
	Locale             string
	Timezone           string
	ProfilePic         string
	Unavailable        bool
	LastErrorMessage   string
	LastErrorBroadcast string
	RefererSource      string
	SubscribedAt       time.Time
	Email              string
	PhoneNumber        string
	Birthdate          string // YYYY-MM-DD or ""
	LastInteractionAt  time.Time
	LabelIDs           []string // Facebook label ids assigned, oldest label first
}

// Label is a page label, mirrored from Facebook.
type Label struct {
	ID        int64 // our row id
	UserID    int64
	PageRef   int64
	LabelID   string // Facebook's label id
	Name      string
	CreatedAt time.Time
}

// PageService keeps pages, their subscribers and labels. Methods taking a
// userID only ever see that user's records.
type PageService interface {
	// ConnectPage creates or updates the user's page with p.PageID. A page
	// connected by another user is ECONFLICT.
	ConnectPage(ctx context.Context, p *Page) (*Page, error)
	// FindEnabledPage returns the user's page if its bot is enabled.
	FindEnabledPage(ctx context.Context, userID int64, pageID string) (*Page, error)
	// FindUserPage returns the user's page whatever its bot's state;
	// ENOTFOUND (MsgPageNotConnected) for another user's page.
	FindUserPage(ctx context.Context, userID int64, pageID string) (*Page, error)
	// SetBotEnabled turns the bot of the user's page on or off.
	SetBotEnabled(ctx context.Context, userID int64, pageID string, enabled bool) error

	// FindSubscriber returns the user's subscriber with that PSID; pageID,
	// when not "", picks the page. With several matches the oldest wins.
	FindSubscriber(ctx context.Context, userID int64, psid, pageID string) (*Subscriber, error)

	// ListLabels returns the page's labels, oldest first.
	ListLabels(ctx context.Context, pageRef int64) ([]*Label, error)
	// FindLabelByName returns the page's label with exactly that name.
	FindLabelByName(ctx context.Context, pageRef int64, name string) (*Label, error)
	// FindLabels resolves Facebook label ids of a page; ENOTFOUND if any is
	// not a label of that page.
	FindLabels(ctx context.Context, pageRef int64, labelIDs []string) ([]*Label, error)
	// SaveLabel stores a label (idempotent on the page and Facebook id).
	SaveLabel(ctx context.Context, l *Label) (*Label, error)
	// AssignLabel records that the label is on the subscriber.
	AssignLabel(ctx context.Context, subscriberID, labelRef int64) error
	// UnassignLabel records that the label is no longer on the subscriber.
	UnassignLabel(ctx context.Context, subscriberID, labelRef int64) error
}
