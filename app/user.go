package app

import (
	"context"

	"github.com/xerochat/xerochat"
)

// Credentials are what a person needs to sign in to a new account; they
// are shown once and never stored in clear.
type Credentials struct {
	UserID   int64
	Email    string
	Password string
	APIKey   string
}

// Bootstrap creates the first admin when the database has no user at all,
// with a generated password and a fresh API key. Several processes starting
// at once on one empty database race here; the e-mail's unique index lets
// exactly one win, and the others get nil. It returns nil when there was a
// user already.
func (a *App) Bootstrap(ctx context.Context, email string) (*Credentials, error) {
	n, err := a.Users.CountUsers(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	creds, err := a.CreateAdmin(ctx, "Admin", email, "")
	if xerochat.ErrorCode(err) == xerochat.ECONFLICT {
		return nil, nil
	}
	return creds, err
}

// CreateAdmin creates an admin account with a fresh API key. An empty
// password is generated and returned in the credentials; a password the
// caller chose is not repeated there.
func (a *App) CreateAdmin(ctx context.Context, name, email, password string) (*Credentials, error) {
	return a.createUser(ctx, xerochat.NewUser{Name: name, Email: email, Password: password,
		Type: xerochat.UserTypeAdmin, PackageID: 1})
}

// CreateMember creates a member account with a fresh API key, by the same
// rules as CreateAdmin.
func (a *App) CreateMember(ctx context.Context, nu xerochat.NewUser) (*Credentials, error) {
	nu.Type = xerochat.UserTypeMember
	return a.createUser(ctx, nu)
}

func (a *App) createUser(ctx context.Context, nu xerochat.NewUser) (*Credentials, error) {
	creds := &Credentials{Email: nu.Email}
	if nu.Password == "" {
		nu.Password = NewPassword()
		creds.Password = nu.Password
	}
	if err := nu.Validate(); err != nil {
		return nil, err
	}
	id, err := a.Users.CreateUser(ctx, nu)
	if err != nil {
		return nil, err
	}
	creds.UserID = id
	if creds.APIKey, err = a.Users.RotateAPIKey(ctx, id); err != nil {
		return nil, err
	}
	return creds, nil
}

// RotateAPIKey makes a new API key for the user; the old key stops
// working at once, on every process. The key is returned in clear text:
// the only time it is ever shown.
func (a *App) RotateAPIKey(ctx context.Context, userID int64) (string, error) {
	if _, err := a.Users.FindUser(ctx, xerochat.UserFilter{ID: userID}); err != nil {
		return "", err
	}
	return a.Users.RotateAPIKey(ctx, userID)
}
