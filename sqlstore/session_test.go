package sqlstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

func newSessionUser(t *testing.T, db *sqlstore.DB, email string) int64 {
	t.Helper()
	id, err := db.CreateUser(context.Background(), xerochat.NewUser{Name: "U", Email: email, Password: "pass-word-1", PackageID: 1})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func startSession(t *testing.T, db *sqlstore.DB, userID int64) string {
	t.Helper()
	hash := xerochat.HashSessionToken(xerochat.NewSessionToken())
	now := time.Now()
	if err := db.CreateSession(context.Background(), &xerochat.Session{TokenHash: hash, UserID: userID, CreatedAt: now, LastSeenAt: now}); err != nil {
		t.Fatal(err)
	}
	return hash
}

func sessionLives(t *testing.T, db *sqlstore.DB, hash string) bool {
	t.Helper()
	_, _, err := db.FindSession(context.Background(), hash)
	if err != nil && xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Fatal(err)
	}
	return err == nil
}

func TestAuthenticate(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	id := newSessionUser(t, db, "Ann@Example.com")
	if u, err := db.Authenticate(ctx, "ann@example.COM", "pass-word-1"); err != nil || u.ID != id {
		t.Fatalf("right password: %v, %v", u, err)
	}
	_, wrong := db.Authenticate(ctx, "ann@example.com", "pass-word-2")
	_, unknown := db.Authenticate(ctx, "bob@example.com", "pass-word-1")
	if wrong == nil || unknown == nil || wrong.Error() != unknown.Error() || xerochat.ErrorMessage(wrong) != xerochat.MsgLoginFailed {
		t.Errorf("wrong password %v, unknown e-mail %v: want the same MsgLoginFailed", wrong, unknown)
	}
}

// The triggers of migration 10 end sessions whichever door changes the
// user: a password set, a deactivation (update_user status=0), a deletion.
func TestSessionsEndWithTheCredentials(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	zero := 0
	for _, tc := range []struct {
		name   string
		change func(id int64) error
	}{
		{"password set", func(id int64) error { return db.SetPassword(ctx, id, "another-pass") }},
		{"deactivated", func(id int64) error { return db.UpdateUser(ctx, id, xerochat.UserUpdate{Status: &zero}) }},
		{"deleted", func(id int64) error {
			_, err := db.SQL().ExecContext(ctx, "UPDATE users SET deleted = 1 WHERE id = "+strconv.FormatInt(id, 10))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := newSessionUser(t, db, tc.name[:4]+"@example.com")
			other := newSessionUser(t, db, tc.name[:4]+"-other@example.com")
			mine, theirs := startSession(t, db, id), startSession(t, db, other)
			if !sessionLives(t, db, mine) {
				t.Fatal("a new session does not live")
			}
			if err := tc.change(id); err != nil {
				t.Fatal(err)
			}
			if sessionLives(t, db, mine) {
				t.Error("the session outlived the change")
			}
			if !sessionLives(t, db, theirs) {
				t.Error("another user's session ended too")
			}
		})
	}
	// Unrelated changes leave sessions alone.
	id := newSessionUser(t, db, "keep@example.com")
	hash := startSession(t, db, id)
	name := "New name"
	if err := db.UpdateUser(ctx, id, xerochat.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RotateAPIKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	if !sessionLives(t, db, hash) {
		t.Error("a name change or key rotation ended the session")
	}
}

func TestAPIKeyCreatedAt(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	id := newSessionUser(t, db, "ann@example.com")
	if _, ok, err := db.APIKeyCreatedAt(ctx, id); err != nil || ok {
		t.Fatalf("before any key: ok %v, err %v", ok, err)
	}
	before := time.Now().Add(-time.Second)
	if _, err := db.RotateAPIKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	at, ok, err := db.APIKeyCreatedAt(ctx, id)
	if err != nil || !ok || at.Before(before.Truncate(time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("after a rotation: at %v ok %v err %v", at, ok, err)
	}
}

func TestLoginFailures(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	now := time.Now()
	for i := range 3 {
		if err := db.RecordLoginFailure(ctx, []string{"email:a", "ip:1"}, now.Add(time.Duration(-i)*10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := db.LoginFailures(ctx, "email:a", now.Add(-15*time.Minute)); n != 2 {
		t.Errorf("failures in the window: %d, want 2", n)
	}
	if err := db.ForgetLoginFailures(ctx, "email:a", now.Add(-15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.LoginFailures(ctx, "email:a", time.Time{}); n != 0 {
		t.Errorf("after forgetting: %d", n)
	}
	if n, _ := db.LoginFailures(ctx, "ip:1", time.Time{}); n != 2 {
		t.Errorf("the address keeps its failures in the window: %d, want 2", n)
	}
}

func TestDeleteStaleSessions(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	id := newSessionUser(t, db, "ann@example.com")
	now := time.Now()
	mk := func(created, seen time.Time) string {
		hash := xerochat.HashSessionToken(xerochat.NewSessionToken())
		if err := db.CreateSession(ctx, &xerochat.Session{TokenHash: hash, UserID: id, CreatedAt: created, LastSeenAt: seen}); err != nil {
			t.Fatal(err)
		}
		return hash
	}
	fresh := mk(now.Add(-time.Hour), now)
	idle := mk(now.Add(-3*time.Hour), now.Add(-3*time.Hour))
	old := mk(now.Add(-25*time.Hour), now)
	n, err := db.DeleteStaleSessions(ctx, now.Add(-2*time.Hour), now.Add(-24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want 2", n, err)
	}
	if !sessionLives(t, db, fresh) || sessionLives(t, db, idle) || sessionLives(t, db, old) {
		t.Error("the wrong sessions were deleted")
	}
}
