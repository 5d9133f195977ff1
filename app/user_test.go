package app_test

import (
	"context"
	"testing"

	"github.com/xerochat/xerochat"
)

// TestBootstrap creates exactly one admin, with a generated password and a
// working key, and nothing on a database that has a user.
func TestBootstrap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	creds, err := e.app.Bootstrap(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if creds == nil || creds.UserID == 0 || creds.Password == "" || creds.APIKey == "" || creds.Email != "admin@example.com" {
		t.Fatalf("bootstrap credentials %+v", creds)
	}
	u, err := e.db.FindUserByAPIKey(ctx, creds.APIKey)
	if err != nil || u.ID != creds.UserID || u.Type != xerochat.UserTypeAdmin {
		t.Errorf("the admin's key finds %+v (%v)", u, err)
	}
	again, err := e.app.Bootstrap(ctx, "other@example.com")
	if err != nil || again != nil {
		t.Errorf("second bootstrap: %+v, %v; want nil, nil", again, err)
	}
	if n, err := e.db.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("%d users (%v), want exactly one admin", n, err)
	}
}

// TestCreateAdmin: a password the caller chose is not repeated in the
// credentials; an e-mail in use is refused with no credentials.
func TestCreateAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	creds, err := e.app.CreateAdmin(ctx, "Ann", "ann@example.com", "chosen-pass")
	if err != nil {
		t.Fatal(err)
	}
	if creds.Password != "" || creds.APIKey == "" || creds.UserID == 0 {
		t.Errorf("credentials %+v, want a key and no password", creds)
	}
	if u, err := e.db.FindUserByAPIKey(ctx, creds.APIKey); err != nil || u.Type != xerochat.UserTypeAdmin {
		t.Errorf("the new key finds %+v (%v), want the admin", u, err)
	}

	dup, err := e.app.CreateAdmin(ctx, "Ann again", "ANN@example.com", "")
	wantError(t, err, xerochat.ECONFLICT, xerochat.MsgUserEmailTaken)
	if dup != nil {
		t.Errorf("a refused create gave credentials %+v", dup)
	}
	bad, err := e.app.CreateAdmin(ctx, "Nobody", "not-an-email", "")
	wantError(t, err, xerochat.EINVALID, xerochat.MsgUserEmailBad)
	if bad != nil {
		t.Errorf("a refused create gave credentials %+v", bad)
	}
	if n, err := e.db.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("%d users (%v), want 1", n, err)
	}
}

// TestRotateAPIKey: the new key works and the old one ends at once.
func TestRotateAPIKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	creds, err := e.app.CreateAdmin(ctx, "Ann", "ann@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.app.RotateAPIKey(ctx, creds.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if key == creds.APIKey {
		t.Fatal("rotation gave the same key")
	}
	if _, err := e.db.FindUserByAPIKey(ctx, creds.APIKey); err == nil {
		t.Error("the old key still finds the user")
	}
	if u, err := e.db.FindUserByAPIKey(ctx, key); err != nil || u.ID != creds.UserID {
		t.Errorf("the new key finds %+v (%v)", u, err)
	}
	if _, err := e.app.RotateAPIKey(ctx, creds.UserID+100); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("rotating the key of no user: %v, want ENOTFOUND", err)
	}
}
