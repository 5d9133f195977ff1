package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/xerochat/xerochat"
)

// StoreBatch keeps a webhook body until it is processed, in its lane.
func (db *DB) StoreBatch(ctx context.Context, lane string, body []byte) (int64, error) {
	return db.write().insert(ctx, `INSERT INTO webhook_batches (lane, body, received_at) VALUES (?, ?, ?)`,
		lane, string(body), db.now())
}

// ClaimBatch leases the oldest unprocessed batch that heads its lane, for
// lease. Each lane is processed one batch at a time, in the order received,
// across all processes: a batch is handed out only once every earlier batch
// of its lane is done, and never while another of its lane is leased. The
// lanes go side by side. It returns nil when there is nothing to do now.
func (db *DB) ClaimBatch(ctx context.Context, lease time.Duration) (*xerochat.WebhookBatch, error) {
	// lanes steps through the lanes with work waiting, one probe each in
	// webhook_batches_heads; heads takes each lane's oldest batch. Of the
	// heads not leased, the oldest is locked and leased. On PostgreSQL a
	// concurrent claimer skips a head being taken (SKIP LOCKED) rather than
	// wait for it, and the UPDATE checks the head again once it holds the
	// row, so two claimers never both take it; a lane's later batches are
	// never candidates. One statement: on PostgreSQL it commits on its own,
	// one round trip.
	among, recheck, lock := "b.id IN (SELECT id FROM heads)", "", ""
	if db.dialect == Postgres {
		// Read by id from the few heads: as a join, PostgreSQL may merge
		// them with every batch ever kept, in id order.
		among = "b.id = ANY(ARRAY(SELECT id FROM heads))"
		// A head done since the statement began fails this check once
		// locked, and the claimer takes the next. (On SQLite no claim runs
		// beside another, and the check would lead it to read b by index
		// instead of by id.)
		recheck, lock = " AND b.done_at = 0", " FOR UPDATE OF b SKIP LOCKED"
	}
	claim := `UPDATE webhook_batches SET locked_until = ?, attempts = attempts + 1
		WHERE id = (
			WITH RECURSIVE lanes (lane) AS (
				SELECT (SELECT lane FROM webhook_batches WHERE done_at = 0 ORDER BY lane LIMIT 1)
				UNION ALL
				SELECT (SELECT e.lane FROM webhook_batches e WHERE e.done_at = 0 AND e.lane > l.lane ORDER BY e.lane LIMIT 1)
				FROM lanes l WHERE l.lane IS NOT NULL),
			heads (id) AS MATERIALIZED (
				SELECT (SELECT h.id FROM webhook_batches h WHERE h.done_at = 0 AND h.lane = l.lane ORDER BY h.id LIMIT 1)
				FROM lanes l WHERE l.lane IS NOT NULL)
			SELECT b.id FROM webhook_batches b
			WHERE ` + among + ` AND b.locked_until <= ?` + recheck + `
			ORDER BY b.id LIMIT 1` + lock + `)
		AND done_at = 0 AND locked_until <= ?
		RETURNING id, body, attempts`
	var b *xerochat.WebhookBatch
	run := func(c conn) error {
		now := db.now()
		var got xerochat.WebhookBatch
		var text string
		err := c.queryRow(ctx, claim, now+leaseSeconds(lease), now, now).Scan(&got.ID, &text, &got.Attempts)
		if isNoRows(err) {
			return nil
		} else if err != nil {
			return err
		}
		got.Body = []byte(text)
		b = &got
		return nil
	}
	var err error
	if db.group == nil {
		err = run(conn{q: db.wsql, pool: db.wsql, db: db})
	} else {
		// SQLite: a write that returns rows runs in the group commit.
		err = db.inTx(ctx, run)
	}
	return b, err
}

// leaseSeconds is what to add to db.now() for a lease or delay of d. Times
// are kept in whole seconds and the current one has partly gone by, so a
// second more makes a lease last at least d: a lease that ended early would
// let another worker take over work still in hand, and send a message twice.
func leaseSeconds(d time.Duration) int64 { return max(1, int64(d.Round(time.Second)/time.Second)) + 1 }

// FailBatch records why a batch could not be processed and frees the lane
// for a retry after delay.
func (db *DB) FailBatch(ctx context.Context, id int64, cause error, delay time.Duration) error {
	_, err := db.write().exec(ctx, `UPDATE webhook_batches SET last_error = ?, locked_until = ? WHERE id = ?`,
		cause.Error(), db.now()+leaseSeconds(delay), id)
	return err
}

// Backlog counts the work not yet done: unprocessed batches, unsent
// messages and subscribers whose profile was never asked of Facebook (a
// profile that failed is retried, but no longer holds the subscriber back).
func (db *DB) Backlog(ctx context.Context) (batches, messages, profiles int, err error) {
	err = db.read().queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0),
		(SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
		(SELECT COUNT(*) FROM subscribers WHERE profile_fetched = ?)`, profilePending).Scan(&batches, &messages, &profiles)
	return
}

// InBatch runs fn in one transaction that also marks the batch done: one
// commit per batch, not per event. fn applies the events through the
// xerochat.BatchTx it is given; when it fails, nothing of the batch
// commits, and the batch is retried later. The batch runs first without a
// savepoint per event, and again with them only if an event failed (see
// xerochat.BatchTx).
func (db *DB) InBatch(ctx context.Context, batchID int64, fn func(xerochat.BatchTx) error) error {
	err := db.inBatch(ctx, batchID, fn, false)
	if errors.Is(err, xerochat.ErrBatchRestart) {
		err = db.inBatch(ctx, batchID, fn, true)
	}
	return err
}

func (db *DB) inBatch(ctx context.Context, batchID int64, fn func(xerochat.BatchTx) error, savepoints bool) error {
	return db.inTx(ctx, func(c conn) error {
		if db.dialect == Postgres && !savepoints {
			c.later = &laterWrites{}
		}
		b := batchTx{tx: eventTx{c: c, cache: &batchCache{pages: map[string]*xerochat.Page{}, campaigns: map[int64][]*xerochat.FlowCampaign{},
			sessions: map[int64]*xerochat.FlowSession{}}},
			savepoints: savepoints, failed: new(bool)}
		err := fn(b)
		if *b.failed {
			return xerochat.ErrBatchRestart
		}
		if err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE webhook_batches SET done_at = ?, locked_until = 0 WHERE id = ?`, db.now(), batchID)
		if err != nil && c.later != nil {
			// The last event's queued writes went with this statement: which
			// of them failed, only a run with savepoints can tell.
			return xerochat.ErrBatchRestart
		}
		return err
	})
}

// batchTx is xerochat.BatchTx inside InBatch's transaction.
type batchTx struct {
	tx         eventTx
	savepoints bool
	failed     *bool // an event failed in a run without savepoints
}

// ApplyEvent runs fn in a savepoint that first records the key, so that an
// event whose key is known is skipped and each event's effects commit
// exactly once, together with its key; a failed event is rolled back alone.
// Without savepoints, a failed event fails the whole run.
func (b batchTx) ApplyEvent(ctx context.Context, key string, fn func(xerochat.EventTx) error) (bool, error) {
	if !b.savepoints {
		if *b.failed {
			return false, xerochat.ErrBatchRestart
		}
		applied, err := b.applyOnce(ctx, key, fn)
		if err != nil {
			*b.failed = true
			return false, xerochat.ErrBatchRestart
		}
		return applied, nil
	}
	c := b.tx.c
	if _, err := c.exec(ctx, `SAVEPOINT event`); err != nil {
		return false, err
	}
	applied, err := b.applyOnce(ctx, key, fn)
	if err != nil {
		if _, rerr := c.exec(ctx, `ROLLBACK TO SAVEPOINT event`); rerr != nil {
			return false, rerr
		}
		clear(b.tx.cache.sessions)
		applied = false
	}
	if _, rerr := c.exec(ctx, `RELEASE SAVEPOINT event`); rerr != nil {
		return false, rerr
	}
	return applied, err
}

// applyOnce records the key and runs fn, unless the key was recorded before.
func (b batchTx) applyOnce(ctx context.Context, key string, fn func(xerochat.EventTx) error) (bool, error) {
	res, err := b.tx.c.exec(ctx, `INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)
		ON CONFLICT (event_key) DO NOTHING`, key, b.tx.c.db.now())
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, fn(b.tx)
}

// eventTx is xerochat.EventTx inside InBatch's transaction.
type eventTx struct {
	c     conn
	cache *batchCache
}

// batchCache keeps what the events of one batch read again and again —
// pages and their campaigns, which events do not change — for the length
// of the batch's transaction: on PostgreSQL each read is a round trip on
// the one ordered lane.
type batchCache struct {
	pages     map[string]*xerochat.Page
	campaigns map[int64][]*xerochat.FlowCampaign
	// sessions holds the flow session of each subscriber found in the
	// batch (nil: none), read with the subscriber and kept up to date by
	// SetSession and EndSession; emptied when an event is rolled back.
	sessions map[int64]*xerochat.FlowSession
}

func (t eventTx) Page(ctx context.Context, pageID string) (*xerochat.Page, error) {
	if p, ok := t.cache.pages[pageID]; ok {
		return p, nil
	}
	p, err := findPage(ctx, t.c, pageID)
	if err == nil {
		t.cache.pages[pageID] = p
	}
	return p, err
}

// subscriberSession, added to a statement that finds a subscriber, also
// reads their flow session, which a message event asks for next: one round
// trip instead of two.
const subscriberSession = `, (SELECT f.campaign_id FROM flow_sessions f WHERE f.subscriber_id = subscribers.id),
	(SELECT f.position FROM flow_sessions f WHERE f.subscriber_id = subscribers.id)`

func (t eventTx) Subscriber(ctx context.Context, page *xerochat.Page, psid string, at time.Time, touch bool) (int64, error) {
	find, args := `SELECT id`+subscriberSession+` FROM subscribers WHERE page_ref = ? AND psid = ?`, []any{page.ID, psid}
	if touch {
		// SET reads the row as it was, so both CASEs see the old time.
		find = `UPDATE subscribers SET unavailable = CASE WHEN last_interaction_at < ? THEN 0 ELSE unavailable END,
			last_interaction_at = CASE WHEN last_interaction_at < ? THEN ? ELSE last_interaction_at END
			WHERE page_ref = ? AND psid = ? RETURNING id` + subscriberSession
		args = []any{at.Unix(), at.Unix(), at.Unix(), page.ID, psid}
	}
	id, err := t.findSubscriber(ctx, find, args)
	if !isNoRows(err) {
		return id, err
	}
	err = t.c.queryRow(ctx, `INSERT INTO subscribers (user_id, page_ref, psid, subscribed_at, last_interaction_at, profile_fetched)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (page_ref, psid) DO NOTHING RETURNING id`,
		page.UserID, page.ID, psid, at.Unix(), at.Unix(), profilePending).Scan(&id)
	if !isNoRows(err) {
		if err == nil {
			t.cache.sessions[id] = nil
		}
		return id, err
	}
	// Another transaction stored the person in the meantime.
	return t.findSubscriber(ctx, find, args)
}

// findSubscriber runs a statement that returns a subscriber's id and
// session, and keeps the session for Session.
func (t eventTx) findSubscriber(ctx context.Context, query string, args []any) (int64, error) {
	var id int64
	var campaign, position sql.NullInt64
	if err := t.c.queryRow(ctx, query, args...).Scan(&id, &campaign, &position); err != nil {
		return 0, err
	}
	var s *xerochat.FlowSession
	if campaign.Valid {
		s = &xerochat.FlowSession{SubscriberID: id, CampaignID: campaign.Int64, Position: int(position.Int64)}
	}
	t.cache.sessions[id] = s
	return id, nil
}

func (t eventTx) SetReferer(ctx context.Context, subscriberID int64, source string) error {
	return t.c.execLater(ctx, `UPDATE subscribers SET referer_source = ? WHERE id = ?`, source, subscriberID)
}

func (t eventTx) SetContact(ctx context.Context, subscriberID int64, email, phone string) error {
	return t.c.execLater(ctx, `UPDATE subscribers SET
		email = CASE WHEN ? <> '' THEN ? ELSE email END,
		phone_number = CASE WHEN ? <> '' THEN ? ELSE phone_number END WHERE id = ?`,
		email, email, phone, phone, subscriberID)
}

func (t eventTx) Campaigns(ctx context.Context, pageRef int64) ([]*xerochat.FlowCampaign, error) {
	if fcs, ok := t.cache.campaigns[pageRef]; ok {
		return fcs, nil
	}
	fcs, err := t.loadCampaigns(ctx, pageRef)
	if err == nil {
		t.cache.campaigns[pageRef] = fcs
	}
	return fcs, err
}

func (t eventTx) loadCampaigns(ctx context.Context, pageRef int64) ([]*xerochat.FlowCampaign, error) {
	rows, err := t.c.query(ctx, `SELECT id FROM flow_campaigns WHERE page_ref = ? ORDER BY id`, pageRef)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*xerochat.FlowCampaign, 0, len(ids))
	for _, id := range ids {
		fc, err := loadCampaign(ctx, t.c, `id = ?`, id)
		if err != nil {
			return nil, err
		}
		out = append(out, fc)
	}
	return out, nil
}

func (t eventTx) Session(ctx context.Context, subscriberID int64) (*xerochat.FlowSession, error) {
	if s, ok := t.cache.sessions[subscriberID]; ok {
		if s == nil {
			return nil, nil
		}
		copied := *s
		return &copied, nil
	}
	s := &xerochat.FlowSession{SubscriberID: subscriberID}
	err := t.c.queryRow(ctx, `SELECT campaign_id, position FROM flow_sessions WHERE subscriber_id = ?`, subscriberID).
		Scan(&s.CampaignID, &s.Position)
	if isNoRows(err) {
		return nil, nil
	}
	return s, err
}

func (t eventTx) SetSession(ctx context.Context, s xerochat.FlowSession) error {
	err := t.c.execLater(ctx, `INSERT INTO flow_sessions (subscriber_id, campaign_id, position, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (subscriber_id) DO UPDATE SET campaign_id = excluded.campaign_id, position = excluded.position,
		updated_at = excluded.updated_at`, s.SubscriberID, s.CampaignID, s.Position, t.c.db.now())
	if err == nil {
		t.cache.sessions[s.SubscriberID] = &s
	}
	return err
}

func (t eventTx) EndSession(ctx context.Context, subscriberID int64) error {
	err := t.c.execLater(ctx, `DELETE FROM flow_sessions WHERE subscriber_id = ?`, subscriberID)
	if err == nil {
		t.cache.sessions[subscriberID] = nil
	}
	return err
}

func (t eventTx) SaveAnswer(ctx context.Context, campaignID, questionID, subscriberID int64, answer string) error {
	return saveAnswer(ctx, t.c, campaignID, questionID, subscriberID, answer)
}

func (t eventTx) Send(ctx context.Context, page *xerochat.Page, subscriberID int64, m xerochat.Outgoing) error {
	raw, err := encodeOutgoing(m)
	if err != nil {
		return err
	}
	now := t.c.db.now()
	return t.c.execLater(ctx, `INSERT INTO outbox (page_ref, subscriber_id, message, run_at, created_at) VALUES (?, ?, ?, ?, ?)`,
		page.ID, subscriberID, string(raw), now, now)
}

func (t eventTx) SetLabel(ctx context.Context, page *xerochat.Page, subscriberID int64, labelID, name string, added bool) error {
	l, err := scanLabel(t.c.queryRow(ctx, `SELECT `+labelColumns+` FROM labels WHERE page_ref = ? AND label_id = ?`, page.ID, labelID))
	if isNoRows(err) {
		if !added {
			return nil
		}
		if name == "" {
			name = labelID
		}
		l, err = saveLabel(ctx, t.c, &xerochat.Label{UserID: page.UserID, PageRef: page.ID, LabelID: labelID, Name: name})
	}
	if err != nil {
		return err
	}
	if added {
		return t.c.execLater(ctx, `INSERT INTO subscriber_labels (subscriber_id, label_ref) VALUES (?, ?) ON CONFLICT DO NOTHING`, subscriberID, l.ID)
	}
	return t.c.execLater(ctx, `DELETE FROM subscriber_labels WHERE subscriber_id = ? AND label_ref = ?`, subscriberID, l.ID)
}
