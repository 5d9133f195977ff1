package sqlstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

func tokenKeys(t *testing.T, keys ...[]byte) *sqlstore.TokenKeys {
	t.Helper()
	k, err := sqlstore.NewTokenKeys(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Page tokens are sealed at rest when a key is set, opened for every
// reader (the pages, the outbox and profile queues), and a key rotation
// reseals them; a token stored before a key was set is read and sealed too.
func TestPageTokensSealedAtRest(t *testing.T) {
	ctx := context.Background()
	url := sqlstoretest.URL(t)
	open := func(keys *sqlstore.TokenKeys) *sqlstore.DB {
		t.Helper()
		db, err := sqlstore.Open(ctx, url, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.SetTokenKeys(keys)
		return db
	}
	stored := func(db *sqlstore.DB, pageID string) string {
		t.Helper()
		var raw string
		q := `SELECT access_token FROM pages WHERE page_id = '` + pageID + `'`
		if err := db.SQL().QueryRowContext(ctx, q).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		return raw
	}
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)

	clear := open(nil)
	uid, err := clear.CreateUser(ctx, xerochat.NewUser{Name: "A", Email: "a@example.com", Password: "pw", PackageID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clear.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: "111", Name: "Old", AccessToken: "token-in-clear", BotEnabled: true}); err != nil {
		t.Fatal(err)
	}

	db := open(tokenKeys(t, oldKey))
	page, err := db.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: "222", Name: "New", AccessToken: "secret-page-token", BotEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if page.AccessToken != "secret-page-token" {
		t.Fatalf("ConnectPage answered token %q", page.AccessToken)
	}
	if raw := stored(db, "222"); !strings.HasPrefix(raw, "enc:v1:") || strings.Contains(raw, "secret-page-token") {
		t.Fatalf("stored token %q, want it sealed", raw)
	}
	if p, err := db.FindUserPage(ctx, uid, "222"); err != nil || p.AccessToken != "secret-page-token" {
		t.Fatalf("FindUserPage: %+v, %v", p, err)
	}
	if p, err := db.FindUserPage(ctx, uid, "111"); err != nil || p.AccessToken != "token-in-clear" {
		t.Fatalf("a token stored in clear: %+v, %v", p, err)
	}
	// The worker's queues read the token opened.
	batch, _ := db.StoreBatch(ctx, "222", []byte(`{}`))
	if err := db.InBatch(ctx, batch, func(b xerochat.BatchTx) error {
		_, err := b.ApplyEvent(ctx, "k", func(tx xerochat.EventTx) error {
			sid, err := tx.Subscriber(ctx, page, "333", time.Now(), true)
			if err != nil {
				return err
			}
			return tx.Send(ctx, page, sid, xerochat.Outgoing{Text: "hi"})
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	msgs, err := db.ClaimMessages(ctx, time.Minute, 10)
	if err != nil || len(msgs) != 1 || msgs[0].PageToken != "secret-page-token" {
		t.Fatalf("ClaimMessages: %+v, %v", msgs, err)
	}
	jobs, err := db.ClaimProfiles(ctx, time.Minute, 10)
	if err != nil || len(jobs) != 1 || jobs[0].PageToken != "secret-page-token" {
		t.Fatalf("ClaimProfiles: %+v, %v", jobs, err)
	}

	// Without the key a sealed token cannot be read, and says why.
	if _, err := open(nil).FindUserPage(ctx, uid, "222"); err == nil || !strings.Contains(err.Error(), "XEROCHAT_SECRET_KEY") {
		t.Fatalf("a sealed token without a key: %v", err)
	}
	// Rotation: the new key seals, the old one still opens; resealing
	// leaves nothing the new key alone cannot open.
	rotating := open(tokenKeys(t, newKey, oldKey))
	n, err := rotating.ReencryptTokens(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ReencryptTokens = %d, %v; want the old-key token and the token in clear", n, err)
	}
	if n, err := rotating.ReencryptTokens(ctx); err != nil || n != 0 {
		t.Fatalf("ReencryptTokens again = %d, %v; want nothing left to do", n, err)
	}
	rotated := open(tokenKeys(t, newKey))
	for pageID, want := range map[string]string{"111": "token-in-clear", "222": "secret-page-token"} {
		if p, err := rotated.FindUserPage(ctx, uid, pageID); err != nil || p.AccessToken != want {
			t.Errorf("after rotation, page %s: %+v, %v", pageID, p, err)
		}
		if raw := stored(rotated, pageID); !strings.HasPrefix(raw, "enc:v1:") {
			t.Errorf("page %s stored %q after ReencryptTokens", pageID, raw)
		}
	}
	if _, err := open(tokenKeys(t, oldKey)).FindUserPage(ctx, uid, "222"); err == nil || !strings.Contains(err.Error(), "XEROCHAT_SECRET_KEY_OLD") {
		t.Fatalf("the old key alone after rotation: %v", err)
	}
}

func TestParseTokenKey(t *testing.T) {
	for _, good := range []string{"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
		strings.Repeat("0a", 32), " AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"} {
		if k, err := sqlstore.ParseTokenKey(good); err != nil || len(k) != 32 {
			t.Errorf("ParseTokenKey(%q) = %d bytes, %v", good, len(k), err)
		}
	}
	for _, bad := range []string{"", "short", strings.Repeat("0a", 31), "AQEB"} {
		if _, err := sqlstore.ParseTokenKey(bad); err == nil {
			t.Errorf("ParseTokenKey(%q) took it", bad)
		}
	}
}
