package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/xerochat/xerochat"
)

// skipLocked lets concurrent PostgreSQL workers claim different rows
// without waiting on each other; SQLite's single writer needs nothing.
func (db *DB) skipLocked() string {
	if db.dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ClaimMessages leases up to limit due messages. A message is only handed
// out once every earlier message to the same subscriber has left the queue,
// so a person receives them in order even across processes and retries.
func (db *DB) ClaimMessages(ctx context.Context, lease time.Duration, limit int) ([]*xerochat.OutboxMessage, error) {
	var out []*xerochat.OutboxMessage
	err := db.inTx(ctx, func(c conn) error {
		now := db.now()
		rows, err := c.query(ctx, `UPDATE outbox SET locked_until = ?, attempts = attempts + 1 WHERE id IN (
			SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.run_at <= ? AND o.locked_until <= ?
			AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.subscriber_id = o.subscriber_id AND e.state = 'pending' AND e.id < o.id)
			ORDER BY o.id LIMIT ?`+db.skipLocked()+`)
			RETURNING id, page_ref, subscriber_id, message, attempts`, now+leaseSeconds(lease), now, now, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			m := &xerochat.OutboxMessage{}
			var raw string
			if err := rows.Scan(&m.ID, &m.PageRef, &m.SubscriberID, &raw, &m.Attempts); err != nil {
				rows.Close()
				return err
			}
			_ = json.Unmarshal([]byte(raw), &m.Message)
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range out {
			err := c.queryRow(ctx, `SELECT p.access_token, s.psid FROM subscribers s JOIN pages p ON p.id = s.page_ref
				WHERE s.id = ?`, m.SubscriberID).Scan(&m.PageToken, &m.PSID)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// MessageSent marks a message delivered to Facebook.
func (db *DB) MessageSent(ctx context.Context, id int64, messageID string) error {
	_, err := db.write().exec(ctx, `UPDATE outbox SET state = 'sent', message_id = ?, locked_until = 0 WHERE id = ?`, messageID, id)
	return err
}

// RetryMessage puts a message back in the queue, due at the given time.
func (db *DB) RetryMessage(ctx context.Context, id int64, at time.Time, cause string) error {
	_, err := db.write().exec(ctx, `UPDATE outbox SET run_at = ?, locked_until = 0, last_error = ? WHERE id = ?`, at.Unix(), cause, id)
	return err
}

// MessageFailed takes a message out of the queue for good, with the reason.
func (db *DB) MessageFailed(ctx context.Context, id int64, cause string) error {
	_, err := db.write().exec(ctx, `UPDATE outbox SET state = 'failed', locked_until = 0, last_error = ? WHERE id = ?`, cause, id)
	return err
}

// SetPageError records a Graph failure that stops sending on a page (such
// as an expired token), for the page's owner to see.
func (db *DB) SetPageError(ctx context.Context, pageRef int64, msg string) error {
	_, err := db.write().exec(ctx, `UPDATE pages SET error_message = ? WHERE id = ?`, msg, pageRef)
	return err
}

// SetSubscriberError records why a message to the subscriber was refused,
// shown as last_error_message by subscriber_information.
func (db *DB) SetSubscriberError(ctx context.Context, subscriberID int64, msg string) error {
	_, err := db.write().exec(ctx, `UPDATE subscribers SET last_error_message = ? WHERE id = ?`, msg, subscriberID)
	return err
}

// ClaimProfiles leases up to limit subscribers whose profile is due.
func (db *DB) ClaimProfiles(ctx context.Context, lease time.Duration, limit int) ([]*xerochat.ProfileJob, error) {
	var out []*xerochat.ProfileJob
	err := db.inTx(ctx, func(c conn) error {
		now := db.now()
		rows, err := c.query(ctx, `UPDATE subscribers SET profile_next_at = ?, profile_attempts = profile_attempts + 1
			WHERE id IN (SELECT id FROM subscribers WHERE profile_fetched = 0 AND profile_next_at <= ?
			ORDER BY id LIMIT ?`+db.skipLocked()+`)
			RETURNING id, page_ref, psid, profile_attempts`, now+leaseSeconds(lease), now, limit)
		if err != nil {
			return err
		}
		refs := map[int64]int64{}
		for rows.Next() {
			j := &xerochat.ProfileJob{}
			var pageRef int64
			if err := rows.Scan(&j.SubscriberID, &pageRef, &j.PSID, &j.Attempts); err != nil {
				rows.Close()
				return err
			}
			refs[j.SubscriberID] = pageRef
			out = append(out, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, j := range out {
			if err := c.queryRow(ctx, `SELECT access_token FROM pages WHERE id = ?`, refs[j.SubscriberID]).Scan(&j.PageToken); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// SaveProfile stores a fetched profile. Fields Graph did not give keep
// what the subscriber had.
func (db *DB) SaveProfile(ctx context.Context, subscriberID int64, p xerochat.Profile) error {
	_, err := db.write().exec(ctx, `UPDATE subscribers SET profile_fetched = 1,
		first_name = CASE WHEN ? <> '' THEN ? ELSE first_name END,
		last_name = CASE WHEN ? <> '' THEN ? ELSE last_name END,
		full_name = CASE WHEN ? <> '' THEN ? ELSE full_name END,
		profile_pic = CASE WHEN ? <> '' THEN ? ELSE profile_pic END,
		locale = CASE WHEN ? <> '' THEN ? ELSE locale END,
		gender = CASE WHEN ? <> '' THEN ? ELSE gender END,
		timezone = CASE WHEN ? <> '' THEN ? ELSE timezone END
		WHERE id = ?`, p.FirstName, p.FirstName, p.LastName, p.LastName, p.FullName, p.FullName, p.ProfilePic, p.ProfilePic,
		p.Locale, p.Locale, p.Gender, p.Gender, p.Timezone, p.Timezone, subscriberID)
	return err
}

// RetryProfile schedules another fetch of the subscriber's profile.
func (db *DB) RetryProfile(ctx context.Context, subscriberID int64, at time.Time) error {
	_, err := db.write().exec(ctx, `UPDATE subscribers SET profile_next_at = ? WHERE id = ?`, at.Unix(), subscriberID)
	return err
}
