package sqlstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// A login stage is taken once, only by the session and user that stored
// it, only at its stage and while fresh; the pages come back with their
// tokens; a session's end takes its logins with it.
func TestFacebookLoginStages(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	ann, bob := newSessionUser(t, db, "ann@example.com"), newSessionUser(t, db, "bob@example.com")
	annS, bobS := startSession(t, db, ann), startSession(t, db, bob)
	now := time.Now()
	pages := []xerochat.FacebookPage{{ID: "301", Name: "One", AccessToken: "tok-1", Tasks: []string{"MESSAGING"}}}
	if err := db.PutFacebookLogin(ctx, "k1", annS, ann, "choice", pages, now); err != nil {
		t.Fatal(err)
	}
	for name, try := range map[string]func() error{
		"another session": func() error {
			_, err := db.TakeFacebookLogin(ctx, "k1", bobS, ann, "choice", now.Add(-time.Minute))
			return err
		},
		"another user": func() error {
			_, err := db.TakeFacebookLogin(ctx, "k1", annS, bob, "choice", now.Add(-time.Minute))
			return err
		},
		"another stage": func() error {
			_, err := db.TakeFacebookLogin(ctx, "k1", annS, ann, "dialog", now.Add(-time.Minute))
			return err
		},
		"too old": func() error {
			_, err := db.TakeFacebookLogin(ctx, "k1", annS, ann, "choice", now.Add(time.Minute))
			return err
		},
	} {
		if err := try(); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", name, err)
		}
	}
	got, err := db.TakeFacebookLogin(ctx, "k1", annS, ann, "choice", now.Add(-time.Minute))
	if err != nil || len(got) != 1 || got[0].AccessToken != "tok-1" || got[0].Tasks[0] != "MESSAGING" {
		t.Fatalf("take: %+v, %v", got, err)
	}
	if _, err := db.TakeFacebookLogin(ctx, "k1", annS, ann, "choice", now.Add(-time.Minute)); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("taken twice: %v", err)
	}

	// The dialog stage has no pages; a sweep removes old logins; signing
	// out removes the session's.
	if err := db.PutFacebookLogin(ctx, "d1", annS, ann, "dialog", nil, now); err != nil {
		t.Fatal(err)
	}
	if err := db.PutFacebookLogin(ctx, "old", annS, ann, "dialog", nil, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteFacebookLogins(ctx, now.Add(-15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeFacebookLogin(ctx, "old", annS, ann, "dialog", time.Time{}); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("swept login still there: %v", err)
	}
	if err := db.DeleteSession(ctx, annS); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeFacebookLogin(ctx, "d1", annS, ann, "dialog", time.Time{}); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("a login outlived its session: %v", err)
	}
}

// With a secret key, the pages of a login in progress — their tokens —
// are sealed at rest too.
func TestFacebookLoginPagesSealed(t *testing.T) {
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	db.SetTokenKeys(tokenKeys(t, bytes.Repeat([]byte{7}, 32)))
	ann := newSessionUser(t, db, "ann@example.com")
	s := startSession(t, db, ann)
	pages := []xerochat.FacebookPage{{ID: "301", Name: "One", AccessToken: "tok-secret"}}
	if err := db.PutFacebookLogin(ctx, "k", s, ann, "choice", pages, time.Now()); err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := db.SQL().QueryRowContext(ctx, `SELECT pages FROM facebook_logins`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "tok-secret") || !strings.HasPrefix(raw, "enc:v1:") {
		t.Fatalf("stored pages %q, want them sealed", raw)
	}
	got, err := db.TakeFacebookLogin(ctx, "k", s, ann, "choice", time.Now().Add(-time.Minute))
	if err != nil || len(got) != 1 || got[0].AccessToken != "tok-secret" {
		t.Fatalf("take: %+v, %v", got, err)
	}
}
