package sqlstore

import (
	"context"
	"fmt"

	"github.com/xerochat/xerochat"
)

const pageColumns = `id, user_id, page_id, name, access_token, bot_enabled, error_message`

// scanPage reads a page row, opening its sealed access token.
func (db *DB) scanPage(row interface{ Scan(...any) error }) (*xerochat.Page, error) {
	var p xerochat.Page
	var enabled int
	if err := row.Scan(&p.ID, &p.UserID, &p.PageID, &p.Name, &p.AccessToken, &enabled, &p.ErrorMessage); err != nil {
		return nil, err
	}
	p.BotEnabled = enabled == 1
	token, err := db.tokens.open(p.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", p.PageID, err)
	}
	p.AccessToken = token
	return &p, nil
}

// ConnectPage creates or updates the user's page with p.PageID.
func (db *DB) ConnectPage(ctx context.Context, p *xerochat.Page) (*xerochat.Page, error) {
	var out *xerochat.Page
	token, err := db.tokens.seal(p.AccessToken)
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(c conn) error {
		// Only the owner is read: a token sealed with a key since lost is
		// replaced all the same.
		var cur struct{ ID, UserID int64 }
		err := c.queryRow(ctx, `SELECT id, user_id FROM pages WHERE page_id = ?`, p.PageID).Scan(&cur.ID, &cur.UserID)
		switch {
		case err == nil && cur.UserID != p.UserID:
			return &xerochat.Error{Code: xerochat.ECONFLICT, Message: xerochat.MsgPageElsewhere}
		case err == nil:
			_, err = c.exec(ctx, `UPDATE pages SET name = ?, access_token = ?, bot_enabled = ?, error_message = '' WHERE id = ?`,
				p.Name, token, flag(p.BotEnabled), cur.ID)
		case isNoRows(err):
			_, err = c.insert(ctx, `INSERT INTO pages (user_id, page_id, name, access_token, bot_enabled, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, p.UserID, p.PageID, p.Name, token, flag(p.BotEnabled), db.now())
			if uniqueViolation(err, "page_id") {
				return &xerochat.Error{Code: xerochat.ECONFLICT, Message: xerochat.MsgPageElsewhere}
			}
		}
		if err != nil {
			return err
		}
		out, err = db.scanPage(c.queryRow(ctx, `SELECT `+pageColumns+` FROM pages WHERE page_id = ?`, p.PageID))
		return err
	})
	return out, err
}

// FindPage returns the connected page with that Facebook id, whoever owns
// it and whether or not its bot is enabled; ENOTFOUND if none. It is for
// administration and Messenger intake, never for a tenant's request.
func (db *DB) FindPage(ctx context.Context, pageID string) (*xerochat.Page, error) {
	return findPage(ctx, db.read(), pageID)
}

func findPage(ctx context.Context, c conn, pageID string) (*xerochat.Page, error) {
	p, err := c.db.scanPage(c.queryRow(ctx, `SELECT `+pageColumns+` FROM pages WHERE page_id = ?`, pageID))
	return p, notFound(err, xerochat.MsgPageNotConnected)
}

// FindUserPage returns the user's page with that Facebook id, whatever the
// state of its bot.
func (db *DB) FindUserPage(ctx context.Context, userID int64, pageID string) (*xerochat.Page, error) {
	p, err := db.scanPage(db.read().queryRow(ctx, `SELECT `+pageColumns+` FROM pages WHERE page_id = ? AND user_id = ?`, pageID, userID))
	return p, notFound(err, xerochat.MsgPageNotConnected)
}

// SetBotEnabled turns the bot of the user's page on or off.
func (db *DB) SetBotEnabled(ctx context.Context, userID int64, pageID string, enabled bool) error {
	res, err := db.write().exec(ctx, `UPDATE pages SET bot_enabled = ? WHERE page_id = ? AND user_id = ?`, flag(enabled), pageID, userID)
	return affectedOne(res, err, xerochat.MsgPageNotConnected)
}

// FindEnabledPage returns the user's page with that Facebook id if its bot
// is enabled; any other case is the same ENOTFOUND.
func (db *DB) FindEnabledPage(ctx context.Context, userID int64, pageID string) (*xerochat.Page, error) {
	p, err := db.scanPage(db.read().queryRow(ctx, `SELECT `+pageColumns+` FROM pages
		WHERE page_id = ? AND user_id = ? AND bot_enabled = 1`, pageID, userID))
	return p, notFound(err, xerochat.MsgNoEnabledBot)
}

const subscriberColumns = `s.id, s.user_id, s.page_ref, p.page_id, p.name, s.psid, s.first_name, s.last_name, s.full_name,
	s.gender, s.locale, s.timezone, s.profile_pic, s.unavailable, s.last_error_message, s.last_error_broadcast,
	s.referer_source, s.subscribed_at, s.email, s.phone_number, s.birthdate, s.last_interaction_at`

func scanSubscriber(row interface{ Scan(...any) error }) (*xerochat.Subscriber, error) {
	var s xerochat.Subscriber
	var unavailable int
	var subscribed, interacted int64
	err := row.Scan(&s.ID, &s.UserID, &s.PageRef, &s.PageID, &s.PageName, &s.PSID, &s.FirstName, &s.LastName, &s.FullName,
		&s.Gender, &s.Locale, &s.Timezone, &s.ProfilePic, &unavailable, &s.LastErrorMessage, &s.LastErrorBroadcast,
		&s.RefererSource, &subscribed, &s.Email, &s.PhoneNumber, &s.Birthdate, &interacted)
	if err != nil {
		return nil, err
	}
	s.Unavailable = unavailable == 1
	s.SubscribedAt, s.LastInteractionAt = unix(subscribed), unix(interacted)
	return &s, nil
}

// FindSubscriber returns the user's subscriber with that PSID, with the
// Facebook ids of its labels. A subscriber whose profile has not been
// asked of Facebook yet is not shown: the moments until the worker fetches
// it would show a subscriber without names (a failed fetch shows it).
func (db *DB) FindSubscriber(ctx context.Context, userID int64, psid, pageID string) (*xerochat.Subscriber, error) {
	q := `SELECT ` + subscriberColumns + ` FROM subscribers s JOIN pages p ON p.id = s.page_ref
		WHERE s.user_id = ? AND s.psid = ? AND s.profile_fetched <> ?`
	args := []any{userID, psid, profilePending}
	if pageID != "" {
		q, args = q+` AND p.page_id = ?`, append(args, pageID)
	}
	c := db.read()
	s, err := scanSubscriber(c.queryRow(ctx, q+` ORDER BY s.id LIMIT 1`, args...))
	if err != nil {
		return nil, notFound(err, xerochat.MsgSubscriberNotFound)
	}
	rows, err := c.query(ctx, `SELECT l.label_id FROM subscriber_labels sl JOIN labels l ON l.id = sl.label_ref
		WHERE sl.subscriber_id = ? ORDER BY l.id`, s.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		s.LabelIDs = append(s.LabelIDs, id)
	}
	return s, rows.Err()
}

const labelColumns = `id, user_id, page_ref, label_id, name, created_at`

func scanLabel(row interface{ Scan(...any) error }) (*xerochat.Label, error) {
	var l xerochat.Label
	var created int64
	if err := row.Scan(&l.ID, &l.UserID, &l.PageRef, &l.LabelID, &l.Name, &created); err != nil {
		return nil, err
	}
	l.CreatedAt = unix(created)
	return &l, nil
}

// ListLabels returns the page's labels, oldest first.
func (db *DB) ListLabels(ctx context.Context, pageRef int64) ([]*xerochat.Label, error) {
	rows, err := db.read().query(ctx, `SELECT `+labelColumns+` FROM labels WHERE page_ref = ? ORDER BY id`, pageRef)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*xerochat.Label
	for rows.Next() {
		l, err := scanLabel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// FindLabelByName returns the page's oldest label with exactly that name.
func (db *DB) FindLabelByName(ctx context.Context, pageRef int64, name string) (*xerochat.Label, error) {
	l, err := scanLabel(db.read().queryRow(ctx, `SELECT `+labelColumns+` FROM labels
		WHERE page_ref = ? AND name = ? ORDER BY id LIMIT 1`, pageRef, name))
	return l, notFound(err, xerochat.MsgLabelNotFound)
}

// FindLabels resolves Facebook label ids of one page, keeping their order.
func (db *DB) FindLabels(ctx context.Context, pageRef int64, labelIDs []string) ([]*xerochat.Label, error) {
	c := db.read()
	out := make([]*xerochat.Label, 0, len(labelIDs))
	for _, id := range labelIDs {
		l, err := scanLabel(c.queryRow(ctx, `SELECT `+labelColumns+` FROM labels WHERE page_ref = ? AND label_id = ?`, pageRef, id))
		if err != nil {
			return nil, notFound(err, xerochat.MsgLabelNotFound)
		}
		out = append(out, l)
	}
	return out, nil
}

// SaveLabel stores the label, or renames the one with the same Facebook id.
func (db *DB) SaveLabel(ctx context.Context, l *xerochat.Label) (*xerochat.Label, error) {
	return saveLabel(ctx, db.write(), l)
}

func saveLabel(ctx context.Context, c conn, l *xerochat.Label) (*xerochat.Label, error) {
	_, err := c.exec(ctx, `INSERT INTO labels (user_id, page_ref, label_id, name, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (page_ref, label_id) DO UPDATE SET name = excluded.name`,
		l.UserID, l.PageRef, l.LabelID, l.Name, c.db.now())
	if err != nil {
		return nil, err
	}
	return scanLabel(c.queryRow(ctx, `SELECT `+labelColumns+` FROM labels WHERE page_ref = ? AND label_id = ?`, l.PageRef, l.LabelID))
}

// AssignLabel records the label on the subscriber; doing it twice is harmless.
func (db *DB) AssignLabel(ctx context.Context, subscriberID, labelRef int64) error {
	_, err := db.write().exec(ctx, `INSERT INTO subscriber_labels (subscriber_id, label_ref) VALUES (?, ?)
		ON CONFLICT DO NOTHING`, subscriberID, labelRef)
	return err
}

// UnassignLabel removes the label from the subscriber, if it was there.
func (db *DB) UnassignLabel(ctx context.Context, subscriberID, labelRef int64) error {
	_, err := db.write().exec(ctx, `DELETE FROM subscriber_labels WHERE subscriber_id = ? AND label_ref = ?`, subscriberID, labelRef)
	return err
}
