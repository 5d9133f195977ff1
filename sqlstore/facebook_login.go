package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/xerochat/xerochat"
)

// PutFacebookLogin stores one stage of a Facebook Login in progress under
// the digest of its key, for the web session and user that started it:
// the dialog's state (no pages yet), or the pages Facebook listed, waiting
// for the member's choice.
func (db *DB) PutFacebookLogin(ctx context.Context, keyHash, sessionHash string, userID int64, stage string,
	pages []xerochat.FacebookPage, at time.Time) error {
	var raw string
	if pages != nil {
		b, err := json.Marshal(pages)
		if err != nil {
			return err
		}
		// The pages carry their tokens: sealed like the pages' own.
		if raw, err = db.tokens.seal(string(b)); err != nil {
			return err
		}
	}
	_, err := db.write().exec(ctx, `INSERT INTO facebook_logins (key_hash, session_hash, user_id, stage, pages, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, keyHash, sessionHash, userID, stage, raw, seconds(at))
	return err
}

// TakeFacebookLogin deletes and returns the login stage stored under the
// key's digest, if the same session and user stored it at that stage no
// earlier than since. Anything else (another session's key, a stale one,
// one already taken) is ENOTFOUND and leaves the row alone, so a guess
// cannot spend another browser's login.
func (db *DB) TakeFacebookLogin(ctx context.Context, keyHash, sessionHash string, userID int64, stage string,
	since time.Time) ([]xerochat.FacebookPage, error) {
	var raw string
	err := db.inTx(ctx, func(c conn) error {
		return c.queryRow(ctx, `DELETE FROM facebook_logins
			WHERE key_hash = ? AND session_hash = ? AND user_id = ? AND stage = ? AND created_at >= ?
			RETURNING pages`, keyHash, sessionHash, userID, stage, seconds(since)).Scan(&raw)
	})
	if isNoRows(err) {
		return nil, &xerochat.Error{Code: xerochat.ENOTFOUND, Message: "facebook login not found"}
	}
	if err != nil || raw == "" {
		return nil, err
	}
	if raw, err = db.tokens.open(raw); err != nil {
		return nil, err
	}
	var pages []xerochat.FacebookPage
	if err := json.Unmarshal([]byte(raw), &pages); err != nil {
		return nil, err
	}
	return pages, nil
}

// DeleteFacebookLogins removes the logins begun before the given time:
// abandoned dialogs and choices never made.
func (db *DB) DeleteFacebookLogins(ctx context.Context, before time.Time) error {
	_, err := db.write().exec(ctx, `DELETE FROM facebook_logins WHERE created_at < ?`, seconds(before))
	return err
}
