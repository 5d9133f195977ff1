package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/xerochat/xerochat"
)

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
// session, and keeps the session for Session. The writes queued before it
// go in its round trip.
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
	fcs, err := loadCampaigns(ctx, t.c, `c.page_ref = ?`, pageRef)
	if err == nil {
		t.cache.campaigns[pageRef] = fcs
	}
	return fcs, err
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
