package xerochat

import (
	"context"
	"time"
)

// Counts are the totals a member's overview shows.
type Counts struct {
	Pages, Subscribers, Labels, Contacts, Campaigns, Answers int64
}

// TimeBucket counts events in a slice of time starting at Start.
type TimeBucket struct {
	Start time.Time
	N     int64
}

// BucketSeconds is the width of the buckets DashboardService returns: every
// time zone's offset is a multiple of 15 minutes, so buckets of this width
// add up to whole days in any zone.
const BucketSeconds = 900

// DashboardService answers the reads that only the web app's screens need.
// Every method is scoped to one user.
type DashboardService interface {
	Counts(ctx context.Context, userID int64) (Counts, error)
	// NewSubscribers and Answers count the user's new subscribers and flow
	// answers since the given time, in BucketSeconds-wide buckets (empty
	// buckets are left out).
	NewSubscribers(ctx context.Context, userID int64, since time.Time) ([]TimeBucket, error)
	Answers(ctx context.Context, userID int64, since time.Time) ([]TimeBucket, error)
	// ListPages returns the user's pages, oldest first.
	ListPages(ctx context.Context, userID int64) ([]*Page, error)
}
