package xerochat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Session is a signed-in browser of the web app. Only a digest of its
// token is stored, so a copy of the database does not sign anyone in.
type Session struct {
	TokenHash  string
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
}

// SessionService keeps web sessions and what signing in needs. Sessions
// live in the database so that every server process sees the same ones.
type SessionService interface {
	// Authenticate returns the non-deleted user with that e-mail if the
	// password matches its stored hash. An unknown e-mail and a wrong
	// password are the same ENOTFOUND (MsgLoginFailed), after the same
	// amount of work, so neither answers nor timings tell accounts apart.
	// The user's status is not judged here.
	Authenticate(ctx context.Context, email, password string) (*User, error)
	// SetPassword stores a new password hash for the user. Every session
	// of the user ends with it.
	SetPassword(ctx context.Context, userID int64, password string) error
	// CreateSession stores a session for the user's current credentials.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session with that token digest and its user,
	// ENOTFOUND when there is none or it ended: the user's password changed,
	// or the user was deactivated or deleted since the session began.
	FindSession(ctx context.Context, tokenHash string) (*Session, *User, error)
	// TouchSession records activity on the session.
	TouchSession(ctx context.Context, tokenHash string, at time.Time) error
	// DeleteSession ends one session (signing out).
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteStaleSessions removes sessions idle since before idleBefore or
	// begun before startedBefore, and returns how many.
	DeleteStaleSessions(ctx context.Context, idleBefore, startedBefore time.Time) (int64, error)

	// LoginFailures counts the failed sign-ins recorded under key since.
	LoginFailures(ctx context.Context, key string, since time.Time) (int, error)
	// RecordLoginFailure notes a failed sign-in under each key.
	RecordLoginFailure(ctx context.Context, keys []string, at time.Time) error
	// ForgetLoginFailures drops the failures of key and those older than
	// before, of any key.
	ForgetLoginFailures(ctx context.Context, key string, before time.Time) error

	// APIKeyCreatedAt returns when the user's current API key was made; the
	// zero time with ok false when the user has no key.
	APIKeyCreatedAt(ctx context.Context, userID int64) (at time.Time, ok bool, err error)
}

// NewSessionToken returns a fresh random session token (256 bits).
func NewSessionToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSessionToken is the digest under which a session token is stored.
// The token carries 256 random bits, so a fast hash suffices.
func HashSessionToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// MinPasswordLength is the shortest password a person may choose in the
// web app. Generated passwords are longer.
const MinPasswordLength = 8
