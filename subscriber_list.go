package xerochat

import (
	"context"
	"time"
)

// SubscriberQuery selects a page of one page's subscribers: those after
// the id After (keyset pagination), matching Search (name or PSID) and
// carrying the label LabelRef when set.
type SubscriberQuery struct {
	PageRef  int64
	Search   string
	LabelRef int64
	After    int64
	Limit    int
}

// SubscriberAnswer is one flow answer of a subscriber, with its campaign.
type SubscriberAnswer struct {
	CampaignID   int64
	CampaignName string
	Question     string
	Answer       string
	AnsweredAt   time.Time
}

// SubscriberListService lists what the web app's subscriber and label
// screens show. Every method is scoped to one user.
type SubscriberListService interface {
	// ListSubscribers returns up to q.Limit of the user's subscribers of the
	// page by id, with their labels' Facebook ids, and whether more follow.
	ListSubscribers(ctx context.Context, userID int64, q SubscriberQuery) ([]*Subscriber, bool, error)
	// AnswersOfSubscriber returns every flow answer of the user's subscriber,
	// by campaign and question order.
	AnswersOfSubscriber(ctx context.Context, userID, subscriberID int64) ([]SubscriberAnswer, error)
}
