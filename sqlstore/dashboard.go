package sqlstore

import (
	"context"
	"strconv"
	"time"

	"github.com/xerochat/xerochat"
)

var _ xerochat.DashboardService = (*DB)(nil)

// Counts returns the user's totals in one statement.
func (db *DB) Counts(ctx context.Context, userID int64) (xerochat.Counts, error) {
	var c xerochat.Counts
	err := db.read().queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM pages WHERE user_id = ?),
		(SELECT COUNT(*) FROM subscribers WHERE user_id = ?),
		(SELECT COUNT(*) FROM labels WHERE user_id = ?),
		(SELECT COUNT(*) FROM contacts WHERE user_id = ? AND deleted = 0),
		(SELECT COUNT(*) FROM flow_campaigns WHERE user_id = ?),
		(SELECT COUNT(*) FROM flow_answers a JOIN flow_campaigns f ON f.id = a.campaign_id WHERE f.user_id = ?)`,
		userID, userID, userID, userID, userID, userID).
		Scan(&c.Pages, &c.Subscribers, &c.Labels, &c.Contacts, &c.Campaigns, &c.Answers)
	return c, err
}

// bucket is the SQL expression of a time column's bucket start.
func bucket(col string) string {
	b := strconv.Itoa(xerochat.BucketSeconds)
	return `(` + col + ` / ` + b + `) * ` + b
}

// NewSubscribers counts subscribers by the bucket of their subscription.
func (db *DB) NewSubscribers(ctx context.Context, userID int64, since time.Time) ([]xerochat.TimeBucket, error) {
	return db.buckets(ctx, `SELECT `+bucket("subscribed_at")+` AS b, COUNT(*) FROM subscribers
		WHERE user_id = ? AND subscribed_at >= ? GROUP BY b ORDER BY b`, userID, since.Unix())
}

// Answers counts flow answers by the bucket they were given in.
func (db *DB) Answers(ctx context.Context, userID int64, since time.Time) ([]xerochat.TimeBucket, error) {
	return db.buckets(ctx, `SELECT `+bucket("a.answered_at")+` AS b, COUNT(*) FROM flow_answers a
		JOIN flow_campaigns f ON f.id = a.campaign_id
		WHERE f.user_id = ? AND a.answered_at >= ? GROUP BY b ORDER BY b`, userID, since.Unix())
}

func (db *DB) buckets(ctx context.Context, q string, args ...any) ([]xerochat.TimeBucket, error) {
	rows, err := db.read().query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []xerochat.TimeBucket
	for rows.Next() {
		var start, n int64
		if err := rows.Scan(&start, &n); err != nil {
			return nil, err
		}
		out = append(out, xerochat.TimeBucket{Start: time.Unix(start, 0), N: n})
	}
	return out, rows.Err()
}

// ListPages returns the user's pages, oldest first.
func (db *DB) ListPages(ctx context.Context, userID int64) ([]*xerochat.Page, error) {
	rows, err := db.read().query(ctx, `SELECT `+pageColumns+` FROM pages WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*xerochat.Page
	for rows.Next() {
		p, err := db.scanPage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
