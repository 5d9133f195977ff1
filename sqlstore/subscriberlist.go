package sqlstore

import (
	"context"

	"github.com/xerochat/xerochat"
)

var _ xerochat.SubscriberListService = (*DB)(nil)

// ListSubscribers pages through a page's subscribers by id (keyset: no
// OFFSET scan), then reads the labels of that page's rows in one query.
func (db *DB) ListSubscribers(ctx context.Context, userID int64, q xerochat.SubscriberQuery) ([]*xerochat.Subscriber, bool, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	where := `s.user_id = ? AND s.page_ref = ? AND s.id > ?`
	args := []any{userID, q.PageRef, q.After}
	if q.Search != "" {
		p := likePattern(q.Search)
		where += ` AND (LOWER(s.full_name) LIKE ? ESCAPE '\' OR LOWER(s.first_name) LIKE ? ESCAPE '\'
			OR LOWER(s.last_name) LIKE ? ESCAPE '\' OR s.psid = ?)`
		args = append(args, p, p, p, q.Search)
	}
	if q.LabelRef != 0 {
		where += ` AND EXISTS (SELECT 1 FROM subscriber_labels sl WHERE sl.subscriber_id = s.id AND sl.label_ref = ?)`
		args = append(args, q.LabelRef)
	}
	c := db.read()
	rows, err := c.query(ctx, `SELECT `+subscriberColumns+` FROM subscribers s JOIN pages p ON p.id = s.page_ref
		WHERE `+where+` ORDER BY s.id LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, false, err
	}
	var out []*xerochat.Subscriber
	byID := map[int64]*xerochat.Subscriber{}
	for rows.Next() {
		s, err := scanSubscriber(rows)
		if err != nil {
			rows.Close()
			return nil, false, err
		}
		out = append(out, s)
		byID[s.ID] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	if len(out) == 0 {
		return out, false, nil
	}
	lrows, err := c.query(ctx, `SELECT sl.subscriber_id, l.label_id FROM subscriber_labels sl JOIN labels l ON l.id = sl.label_ref
		JOIN subscribers s ON s.id = sl.subscriber_id
		WHERE s.page_ref = ? AND s.user_id = ? AND s.id >= ? AND s.id <= ? ORDER BY l.id`,
		q.PageRef, userID, out[0].ID, out[len(out)-1].ID)
	if err != nil {
		return nil, false, err
	}
	defer lrows.Close()
	for lrows.Next() {
		var sid int64
		var lid string
		if err := lrows.Scan(&sid, &lid); err != nil {
			return nil, false, err
		}
		if s, ok := byID[sid]; ok {
			s.LabelIDs = append(s.LabelIDs, lid)
		}
	}
	return out, more, lrows.Err()
}

// AnswersOfSubscriber returns the subscriber's flow answers by campaign and
// question order; another user's subscriber has none.
func (db *DB) AnswersOfSubscriber(ctx context.Context, userID, subscriberID int64) ([]xerochat.SubscriberAnswer, error) {
	rows, err := db.read().query(ctx, `SELECT f.id, f.name, q.question, a.answer, a.answered_at
		FROM flow_answers a JOIN flow_questions q ON q.id = a.question_id JOIN flow_campaigns f ON f.id = a.campaign_id
		JOIN subscribers s ON s.id = a.subscriber_id
		WHERE a.subscriber_id = ? AND s.user_id = ? AND f.user_id = ? ORDER BY f.id, q.position`, subscriberID, userID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []xerochat.SubscriberAnswer
	for rows.Next() {
		var a xerochat.SubscriberAnswer
		var at int64
		if err := rows.Scan(&a.CampaignID, &a.CampaignName, &a.Question, &a.Answer, &at); err != nil {
			return nil, err
		}
		a.AnsweredAt = unix(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
