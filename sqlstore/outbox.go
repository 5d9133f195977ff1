package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
)

// The claims lock the rows they read FOR UPDATE SKIP LOCKED on PostgreSQL,
// so that concurrent workers claim different rows without waiting on each
// other; SQLite's single writer needs nothing.

// storedOutgoing is the outbox's JSON form of a message. Rows written
// before quick replies had payloads of their own hold plain strings, each
// both title and payload; both forms are read.
type storedOutgoing struct {
	Text         string            `json:"text"`
	QuickReplies []json.RawMessage `json:"quick_replies,omitempty"`
	Tag          string            `json:"tag,omitempty"`
}

type storedQuickReply struct {
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

func encodeOutgoing(m xerochat.Outgoing) ([]byte, error) {
	s := storedOutgoing{Text: m.Text, Tag: m.Tag}
	for _, q := range m.QuickReplies {
		raw, err := json.Marshal(storedQuickReply(q))
		if err != nil {
			return nil, err
		}
		s.QuickReplies = append(s.QuickReplies, raw)
	}
	return json.Marshal(s)
}

func decodeOutgoing(raw []byte) (xerochat.Outgoing, error) {
	var s storedOutgoing
	if err := json.Unmarshal(raw, &s); err != nil {
		return xerochat.Outgoing{}, fmt.Errorf("outbox message: %w", err)
	}
	m := xerochat.Outgoing{Text: s.Text, Tag: s.Tag}
	for _, r := range s.QuickReplies {
		var q storedQuickReply
		if err := json.Unmarshal(r, &q); err != nil {
			var title string
			if err := json.Unmarshal(r, &title); err != nil {
				return m, fmt.Errorf("outbox quick reply: %w", err)
			}
			q = storedQuickReply{Title: title, Payload: title}
		}
		m.QuickReplies = append(m.QuickReplies, xerochat.QuickReply(q))
	}
	return m, nil
}

// ClaimMessages leases up to limit due messages, oldest first. A
// person's message is handed out only when each earlier message to them
// has left the queue or comes before it in the same claim: the caller
// sends a person's messages in the order given, and the rest of them wait
// if one does not go out (see ReleaseMessages). So a person receives
// their messages in order, across processes and retries, and a worker
// takes a person's whole queue at once rather than a message per claim.
//
// Claims take turns: the check of the earlier messages reads their leases,
// which a claim running beside it would not see until it commits. SQLite's
// single writer does that itself; on PostgreSQL a transaction-scoped
// advisory lock does (held for the claim's few round trips).
func (db *DB) ClaimMessages(ctx context.Context, lease time.Duration, limit int) ([]*xerochat.OutboxMessage, error) {
	var out []*xerochat.OutboxMessage
	err := db.inTx(ctx, func(c conn) error {
		if db.dialect == Postgres {
			// The due messages must be read in id order from outbox_due,
			// stopping at the limit. On an outbox that autovacuum has not
			// analyzed yet (a new database, a burst), PostgreSQL takes it
			// for a few rows and would read every pending message and sort
			// them: 17–35 ms per claim with a few thousand queued, instead
			// of 0.4 ms. Forbidding the sort, for this transaction only,
			// leaves it the ordered index. Both go in one round trip.
			if _, err := c.exec(ctx, `SET LOCAL enable_sort = off; SELECT pg_advisory_xact_lock(`+outboxClaimLock+`)`); err != nil {
				return err
			}
		}
		now := db.now()
		// The check of the earlier messages runs per message read, through
		// outbox_pending (subscriber_id, id): OFFSET 0 keeps PostgreSQL from
		// turning it into a join, for which it would read every pending
		// message again.
		rows, err := c.query(ctx, `SELECT o.id, o.page_ref, o.subscriber_id, o.message, o.attempts + 1, p.access_token, s.psid
			FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id JOIN pages p ON p.id = s.page_ref
			WHERE o.state = 'pending' AND o.run_at <= ? AND o.locked_until <= ?
			AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.subscriber_id = o.subscriber_id AND e.state = 'pending' AND e.id < o.id
				AND (e.locked_until > ? OR e.run_at > ?) LIMIT 1 OFFSET 0)
			ORDER BY o.id LIMIT ?`, now, now, now, now, limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			m := &xerochat.OutboxMessage{}
			var raw string
			if err := rows.Scan(&m.ID, &m.PageRef, &m.SubscriberID, &raw, &m.Attempts, &m.PageToken, &m.PSID); err != nil {
				rows.Close()
				return err
			}
			if m.PageToken, err = db.tokens.open(m.PageToken); err != nil {
				rows.Close()
				return err
			}
			if m.Message, err = decodeOutgoing([]byte(raw)); err != nil {
				rows.Close()
				return err
			}
			out = append(out, m)
			ids = append(ids, m.ID)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		_, err = c.exec(ctx, `UPDATE outbox SET locked_until = ?, attempts = attempts + 1 WHERE id IN (`+placeholders(len(ids))+`)`,
			append([]any{now + leaseSeconds(lease)}, ids...)...)
		return err
	})
	return out, err
}

// outboxClaimLock is the key of the advisory lock outbox claims take
// turns by on PostgreSQL ("xcoutbox" in ASCII, unlikely to be another
// program's key).
const outboxClaimLock = "8674683367419232120"

// ReleaseMessages gives claimed messages back, unsent and as if never
// claimed, for the next claim: the messages after one to the same person
// that did not go out. A message claimed again since (its lease ran out)
// is left to its new claimer: each claim counts an attempt, so the count
// the claim returned tells whose lease it is.
func (db *DB) ReleaseMessages(ctx context.Context, msgs []*xerochat.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(msgs))
	for _, m := range msgs {
		args = append(args, m.ID, m.Attempts)
	}
	_, err := db.write().exec(ctx, `UPDATE outbox SET locked_until = 0, attempts = attempts - 1
		WHERE state = 'pending' AND (`+strings.TrimSuffix(strings.Repeat("(id = ? AND attempts = ?) OR ", len(msgs)), " OR ")+`)`, args...)
	return err
}

// placeholders returns n comma-separated '?'.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// MessagesSent marks messages delivered to Facebook, each with the id
// Facebook gave it, in one statement: a worker marks the messages it sent
// together, one commit for all of them.
func (db *DB) MessagesSent(ctx context.Context, messageIDs map[int64]string) error {
	if len(messageIDs) == 0 {
		return nil
	}
	var cases strings.Builder
	args := make([]any, 0, 3*len(messageIDs))
	ids := make([]any, 0, len(messageIDs))
	for id, mid := range messageIDs {
		cases.WriteString(" WHEN ? THEN ?")
		args = append(args, id, mid)
		ids = append(ids, id)
	}
	_, err := db.write().exec(ctx, `UPDATE outbox SET state = 'sent', locked_until = 0, message_id = CASE id`+cases.String()+
		` END WHERE id IN (`+placeholders(len(ids))+`)`, append(args, ids...)...)
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
		lock := ""
		if db.dialect == Postgres {
			lock = " FOR UPDATE OF s SKIP LOCKED"
		}
		rows, err := c.query(ctx, `SELECT s.id, s.psid, s.profile_attempts + 1, p.access_token
			FROM subscribers s JOIN pages p ON p.id = s.page_ref
			WHERE s.profile_fetched IN (?, ?) AND s.profile_next_at <= ? ORDER BY s.id LIMIT ?`+lock,
			profilePending, profileRetrying, now, limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			j := &xerochat.ProfileJob{}
			if err := rows.Scan(&j.SubscriberID, &j.PSID, &j.Attempts, &j.PageToken); err != nil {
				rows.Close()
				return err
			}
			var err error
			if j.PageToken, err = db.tokens.open(j.PageToken); err != nil {
				rows.Close()
				return err
			}
			out = append(out, j)
			ids = append(ids, j.SubscriberID)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		_, err = c.exec(ctx, `UPDATE subscribers SET profile_next_at = ?, profile_attempts = profile_attempts + 1
			WHERE id IN (`+placeholders(len(ids))+`)`, append([]any{now + leaseSeconds(lease)}, ids...)...)
		return err
	})
	return out, err
}

// States of a subscriber's profile (subscribers.profile_fetched).
const (
	profilePending  = 0 // never fetched: the subscriber is not shown yet
	profileFetched  = 1
	profileRetrying = 2 // a fetch failed; shown without it, fetched again later
)

// SaveProfile stores a fetched profile. Fields Graph did not give keep
// what the subscriber had.
func (db *DB) SaveProfile(ctx context.Context, subscriberID int64, p xerochat.Profile) error {
	_, err := db.write().exec(ctx, `UPDATE subscribers SET profile_fetched = ?,
		first_name = CASE WHEN ? <> '' THEN ? ELSE first_name END,
		last_name = CASE WHEN ? <> '' THEN ? ELSE last_name END,
		full_name = CASE WHEN ? <> '' THEN ? ELSE full_name END,
		profile_pic = CASE WHEN ? <> '' THEN ? ELSE profile_pic END,
		locale = CASE WHEN ? <> '' THEN ? ELSE locale END,
		gender = CASE WHEN ? <> '' THEN ? ELSE gender END,
		timezone = CASE WHEN ? <> '' THEN ? ELSE timezone END
		WHERE id = ?`, profileFetched, p.FirstName, p.FirstName, p.LastName, p.LastName, p.FullName, p.FullName, p.ProfilePic, p.ProfilePic,
		p.Locale, p.Locale, p.Gender, p.Gender, p.Timezone, p.Timezone, subscriberID)
	return err
}

// RetryProfile schedules another fetch of the subscriber's profile after a
// failed one. From then on the subscriber is shown without a profile:
// Facebook did not give one, and the person is kept.
func (db *DB) RetryProfile(ctx context.Context, subscriberID int64, at time.Time) error {
	_, err := db.write().exec(ctx, `UPDATE subscribers SET profile_next_at = ?, profile_fetched = ? WHERE id = ? AND profile_fetched <> ?`,
		at.Unix(), profileRetrying, subscriberID, profileFetched)
	return err
}
