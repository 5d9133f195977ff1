package sqlstore_test

import (
	"context"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestKeyCacheSeesOtherProcessesChanges opens the database twice, as two
// processes would: every change one makes to a key or to what a key check
// reads shows in the other's very next lookup, although the other keeps
// the keys' owners in memory.
func TestKeyCacheSeesOtherProcessesChanges(t *testing.T) {
	ctx := context.Background()
	url := sqlstoretest.URL(t)
	server, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	cli, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	uid := newMember(t, server, "k@example.com")
	key, err := server.RotateAPIKey(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(key string) *xerochat.User {
		t.Helper()
		var u *xerochat.User
		for range 2 { // the second lookup is the cached one
			if u, err = server.FindUserByAPIKey(ctx, key); err != nil {
				t.Fatalf("lookup: %v", err)
			}
		}
		return u
	}
	lookup(key)

	newKey, err := cli.RotateAPIKey(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.FindUserByAPIKey(ctx, key); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Fatalf("rotated key on the other process: %v, want ENOTFOUND", err)
	}
	lookup(newKey)

	status, expiry := 0, "2001-02-03"
	for _, tc := range []struct {
		change func() error
		check  func(*xerochat.User) bool
	}{
		{func() error { return cli.UpdateUser(ctx, uid, xerochat.UserUpdate{Status: &status}) },
			func(u *xerochat.User) bool { return u.Status == 0 }},
		{func() error { return cli.UpdateUser(ctx, uid, xerochat.UserUpdate{ExpiredDate: &expiry}) },
			func(u *xerochat.User) bool { return u.ExpiredDate == expiry }},
		{func() error { return rawExec(cli, `UPDATE users SET user_type = 'Admin' WHERE id = ?`, uid) },
			func(u *xerochat.User) bool { return u.Type == xerochat.UserTypeAdmin }},
		{func() error { return rawExec(cli, `UPDATE users SET deleted = 1 WHERE id = ?`, uid) },
			func(u *xerochat.User) bool { return u.Deleted }},
	} {
		lookup(newKey)
		if err := tc.change(); err != nil {
			t.Fatal(err)
		}
		u, err := server.FindUserByAPIKey(ctx, newKey)
		if err != nil || !tc.check(u) {
			t.Errorf("after a change on the other process, the key's owner is %+v, %v", u, err)
		}
	}
	if err := rawExec(cli, `DELETE FROM users WHERE id = ?`, uid); err != nil {
		t.Fatal(err)
	}
	if _, err := server.FindUserByAPIKey(ctx, newKey); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Fatalf("deleted user's key: %v, want ENOTFOUND", err)
	}
}

// rawExec changes rows behind the store's methods, as another tool would.
func rawExec(db *sqlstore.DB, query string, args ...any) error {
	if db.Dialect() == sqlstore.Postgres {
		query = sqlstore.Bind(db, query)
	}
	_, err := db.SQL().Exec(query, args...)
	return err
}
