package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/xerochat/xerochat"
)

var _ xerochat.SessionService = (*DB)(nil)

// dummyHash is compared against when no user has the e-mail, so that an
// unknown e-mail costs the same bcrypt work as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("xerochat: no such user"), bcrypt.DefaultCost)

// Authenticate checks an e-mail and password against the stored bcrypt hash.
func (db *DB) Authenticate(ctx context.Context, email, password string) (*xerochat.User, error) {
	failed := &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgLoginFailed}
	var hash string
	row := db.read().queryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users
		WHERE email_key = ? AND deleted = 0`, xerochat.NormalizeEmail(email))
	u, err := scanUser(row, &hash)
	if isNoRows(err) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, failed
	}
	if err != nil {
		return nil, err
	}
	if len(password) > xerochat.MaxPasswordBytes || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return nil, failed
	}
	return u, nil
}

// SetPassword stores a new bcrypt hash. The users trigger of migration 10
// then ends the user's sessions, whichever door changed the password.
func (db *DB) SetPassword(ctx context.Context, userID int64, password string) error {
	if len(password) > xerochat.MaxPasswordBytes {
		return &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgUserPasswordTooLong}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	res, err := db.write().exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND deleted = 0`, string(hash), userID)
	return affectedOne(res, err, xerochat.MsgUserNotFound)
}

// CreateSession stores s under the user's current credential generation,
// read in the same statement, so a password changed a moment earlier is
// never missed.
func (db *DB) CreateSession(ctx context.Context, s *xerochat.Session) error {
	res, err := db.write().exec(ctx, `INSERT INTO web_sessions (token_hash, user_id, credential_gen, created_at, last_seen_at, ip)
		SELECT ?, id, credential_gen, ?, ?, ? FROM users WHERE id = ? AND deleted = 0 AND status = 1`,
		s.TokenHash, seconds(s.CreatedAt), seconds(s.LastSeenAt), s.IP, s.UserID)
	return affectedOne(res, err, xerochat.MsgUserNotFound)
}

// FindSession returns a session that still matches its user: same
// credential generation, active, not deleted.
func (db *DB) FindSession(ctx context.Context, tokenHash string) (*xerochat.Session, *xerochat.User, error) {
	var s xerochat.Session
	var created, seen int64
	row := db.read().queryRow(ctx, `SELECT u.id, u.name, u.email, u.mobile, u.address, u.user_type, u.status, u.deleted,
		u.add_date, u.last_login_at, u.last_login_ip, u.expired_date, u.package_id,
		s.token_hash, s.created_at, s.last_seen_at, s.ip
		FROM web_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.credential_gen = u.credential_gen AND u.status = 1 AND u.deleted = 0`, tokenHash)
	u, err := scanUser(row, &s.TokenHash, &created, &seen, &s.IP)
	if err != nil {
		return nil, nil, notFound(err, xerochat.MsgSessionEnded)
	}
	s.UserID, s.CreatedAt, s.LastSeenAt = u.ID, unix(created), unix(seen)
	return &s, u, nil
}

// TouchSession moves the session's idle clock.
func (db *DB) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	_, err := db.write().exec(ctx, `UPDATE web_sessions SET last_seen_at = ? WHERE token_hash = ?`, seconds(at), tokenHash)
	return err
}

// DeleteSession ends one session; ending one that is gone is no error.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := db.write().exec(ctx, `DELETE FROM web_sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// DeleteStaleSessions removes sessions past their idle or absolute limit.
func (db *DB) DeleteStaleSessions(ctx context.Context, idleBefore, startedBefore time.Time) (int64, error) {
	res, err := db.write().exec(ctx, `DELETE FROM web_sessions WHERE last_seen_at < ? OR created_at < ?`,
		seconds(idleBefore), seconds(startedBefore))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// LoginFailures counts key's failures since the given time.
func (db *DB) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := db.read().queryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE failure_key = ? AND at >= ?`,
		key, seconds(since)).Scan(&n)
	return n, err
}

// RecordLoginFailure notes one failure under each key, in one transaction.
func (db *DB) RecordLoginFailure(ctx context.Context, keys []string, at time.Time) error {
	return db.inTx(ctx, func(c conn) error {
		for _, k := range keys {
			if _, err := c.exec(ctx, `INSERT INTO login_failures (failure_key, at) VALUES (?, ?)`, k, seconds(at)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForgetLoginFailures drops key's failures (after a good sign-in) and every
// failure older than before, so the table stays small.
func (db *DB) ForgetLoginFailures(ctx context.Context, key string, before time.Time) error {
	_, err := db.write().exec(ctx, `DELETE FROM login_failures WHERE failure_key = ? OR at < ?`, key, seconds(before))
	return err
}

// APIKeyCreatedAt tells whether the user has a key and when it was made
// (set by the users trigger of migration 10 on every rotation). A key made
// before that migration has a zero time.
func (db *DB) APIKeyCreatedAt(ctx context.Context, userID int64) (time.Time, bool, error) {
	var hash sql.NullString
	var at int64
	err := db.read().queryRow(ctx, `SELECT api_key_hash, api_key_created_at FROM users WHERE id = ? AND deleted = 0`, userID).
		Scan(&hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgUserNotFound}
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return unix(at), hash.Valid && hash.String != "", nil
}
