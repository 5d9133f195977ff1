package app

import (
	"context"
	"time"

	"github.com/xerochat/xerochat"
)

// Sessions is the web app's sign-in use case: passwords, sessions and the
// throttling of failed sign-ins. It lives beside App (whose services it
// uses for accounts) because only the web app signs people in.
type Sessions struct {
	App   *App
	Store xerochat.SessionService
	// Idle ends a session not used for this long; Max ends any session
	// this long after sign-in. Zero values pick DefaultIdle and DefaultMax.
	Idle, Max time.Duration
	// Window is how far back failed sign-ins count; PerAccount and PerAddress
	// are how many failures in it lock an e-mail or a client address out.
	// Zero values pick the defaults below.
	Window     time.Duration
	PerAccount int
	PerAddress int
	// Now is the clock; App's when nil. Tests move it to expire sessions.
	Now func() time.Time
}

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return s.App.now()
}

// Defaults of Sessions.
const (
	DefaultIdle       = 2 * time.Hour
	DefaultMax        = 24 * time.Hour
	DefaultWindow     = 15 * time.Minute
	DefaultPerAccount = 5
	DefaultPerAddress = 20
	// touchEvery keeps a busy session from writing on every request.
	touchEvery = time.Minute
)

func (s *Sessions) idle() time.Duration { return orDefault(s.Idle, DefaultIdle) }
func (s *Sessions) max() time.Duration  { return orDefault(s.Max, DefaultMax) }

// MaxLifetime is a session's absolute lifetime, for the cookie's Max-Age.
func (s *Sessions) MaxLifetime() time.Duration { return s.max() }

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// LoggedIn is a new session: the token goes into the browser's cookie.
type LoggedIn struct {
	Token string
	User  *xerochat.User
}

// Login signs a person in with e-mail and password from the client address
// ip. Throttling is judged first, so that a locked-out account answers the
// same whatever the password; then the password; then the account's
// status. A dashboard login is recorded as the user's last login.
func (s *Sessions) Login(ctx context.Context, email, password, ip string) (*LoggedIn, error) {
	now := s.now()
	acct, addr := "email:"+xerochat.NormalizeEmail(email), "ip:"+ip
	since := now.Add(-orDefault(s.Window, DefaultWindow))
	for _, lim := range []struct {
		key string
		max int
	}{{acct, orDefault(s.PerAccount, DefaultPerAccount)}, {addr, orDefault(s.PerAddress, DefaultPerAddress)}} {
		n, err := s.Store.LoginFailures(ctx, lim.key, since)
		if err != nil {
			return nil, err
		}
		if n >= lim.max {
			return nil, &xerochat.Error{Code: xerochat.EUNAUTHORIZED, Message: xerochat.MsgLoginThrottled}
		}
	}
	u, err := s.Store.Authenticate(ctx, email, password)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		if err := s.Store.RecordLoginFailure(ctx, []string{acct, addr}, now); err != nil {
			return nil, err
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if u.Status != 1 {
		return nil, &xerochat.Error{Code: xerochat.EUNAUTHORIZED, Message: xerochat.MsgLoginInactive}
	}
	if err := s.Store.ForgetLoginFailures(ctx, acct, since); err != nil {
		return nil, err
	}
	// Sessions that ended by time are swept here: sign-ins are rare enough
	// to pay for it, and every process signs people in.
	if _, err := s.Store.DeleteStaleSessions(ctx, now.Add(-s.idle()), now.Add(-s.max())); err != nil {
		return nil, err
	}
	token, err := s.start(ctx, u.ID, ip, now)
	if err != nil {
		return nil, err
	}
	if err := s.App.Users.RecordLogin(ctx, u.ID, ip); err != nil {
		return nil, err
	}
	return &LoggedIn{Token: token, User: u}, nil
}

func (s *Sessions) start(ctx context.Context, userID int64, ip string, now time.Time) (string, error) {
	token := xerochat.NewSessionToken()
	err := s.Store.CreateSession(ctx, &xerochat.Session{TokenHash: xerochat.HashSessionToken(token),
		UserID: userID, CreatedAt: now, LastSeenAt: now, IP: ip})
	return token, err
}

// Check returns the user a session token signs in, ENOTFOUND
// (MsgSessionEnded) when the session ended: signed out, idle too long,
// past its lifetime, or ended by a password change or deactivation.
func (s *Sessions) Check(ctx context.Context, token string) (*xerochat.User, error) {
	ended := &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgSessionEnded}
	if token == "" {
		return nil, ended
	}
	hash := xerochat.HashSessionToken(token)
	sess, u, err := s.Store.FindSession(ctx, hash)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) > s.idle() || now.Sub(sess.CreatedAt) > s.max() {
		if err := s.Store.DeleteSession(ctx, hash); err != nil {
			return nil, err
		}
		return nil, ended
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.Store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Logout ends the session of the token.
func (s *Sessions) Logout(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, xerochat.HashSessionToken(token))
}

// ChangePassword sets a new password after checking the current one.
// Every session of the user ends (on every process); the browser that
// changed it gets a new session, whose token is returned.
func (s *Sessions) ChangePassword(ctx context.Context, u *xerochat.User, current, next, repeat, ip string) (string, error) {
	if current == "" {
		return "", fieldErr("current_password", xerochat.MsgPasswordRequired)
	}
	if err := ValidNewPassword(next, repeat); err != nil {
		return "", err
	}
	if _, err := s.Store.Authenticate(ctx, u.Email, current); xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return "", fieldErr("current_password", xerochat.MsgPasswordWrong)
	} else if err != nil {
		return "", err
	}
	if err := s.Store.SetPassword(ctx, u.ID, next); err != nil {
		return "", err
	}
	return s.start(ctx, u.ID, ip, s.now())
}

// ValidNewPassword judges a password a person chose: long enough for the
// web app, short enough for bcrypt, typed twice alike.
func ValidNewPassword(next, repeat string) error {
	switch {
	case len(next) < xerochat.MinPasswordLength:
		return fieldErr("new_password", xerochat.MsgPasswordShort)
	case len(next) > xerochat.MaxPasswordBytes:
		return fieldErr("new_password", xerochat.MsgUserPasswordTooLong)
	case next != repeat:
		return fieldErr("repeat_password", xerochat.MsgPasswordMismatch)
	}
	return nil
}

// FieldError is a refusal that concerns one input of a form, so that a
// door with forms shows it next to that input. It unwraps to the
// *xerochat.Error, so codes and messages read as usual.
type FieldError struct {
	Field string
	Err   *xerochat.Error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, msg string) error {
	return &FieldError{Field: field, Err: &xerochat.Error{Code: xerochat.EINVALID, Message: msg}}
}

// ResetPassword gives the user a new generated password (an admin's
// action), ending all of the user's sessions. The password is returned in
// clear text: the only time it is ever shown.
func (s *Sessions) ResetPassword(ctx context.Context, userID int64) (string, error) {
	pw := NewPassword()
	return pw, s.Store.SetPassword(ctx, userID, pw)
}

// APIKeyStatus tells whether the user has an API key and when it was made.
func (s *Sessions) APIKeyStatus(ctx context.Context, userID int64) (time.Time, bool, error) {
	return s.Store.APIKeyCreatedAt(ctx, userID)
}
