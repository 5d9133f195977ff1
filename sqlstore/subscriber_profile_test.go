package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// A subscriber made by a webhook event is not shown until its profile was
// asked of Facebook: fetched (shown with it) or failed (shown without it,
// and fetched again later).
func TestSubscriberShownOnceProfileAsked(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.Open(t)
	uid, err := db.CreateUser(ctx, xerochat.NewUser{Name: "A", Email: "a@example.com", Password: "pw", PackageID: 1})
	if err != nil {
		t.Fatal(err)
	}
	page, err := db.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: "111", Name: "P", AccessToken: "t", BotEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	arrive := func(psid string) {
		t.Helper()
		id, err := db.StoreBatch(ctx, "", []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		err = db.InBatch(ctx, id, func(b xerochat.BatchTx) error {
			_, err := b.ApplyEvent(ctx, "m:"+psid, func(tx xerochat.EventTx) error {
				_, err := tx.Subscriber(ctx, page, psid, time.Now(), true)
				return err
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	visible := func(psid string) *xerochat.Subscriber {
		t.Helper()
		s, err := db.FindSubscriber(ctx, uid, psid, "")
		if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
			return nil
		} else if err != nil {
			t.Fatal(err)
		}
		return s
	}
	arrive("201")
	arrive("202")
	if visible("201") != nil || visible("202") != nil {
		t.Fatal("a subscriber is shown before its profile was asked for")
	}
	jobs, err := db.ClaimProfiles(ctx, time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("ClaimProfiles = %d jobs, %v", len(jobs), err)
	}
	if visible("201") != nil {
		t.Fatal("a subscriber is shown while its profile is being fetched")
	}
	if err := db.SaveProfile(ctx, jobs[0].SubscriberID, xerochat.Profile{FirstName: "Ada", LastName: "L"}); err != nil {
		t.Fatal(err)
	}
	if s := visible(jobs[0].PSID); s == nil || s.FirstName != "Ada" {
		t.Fatalf("after the fetch: %+v", s)
	}
	if err := db.RetryProfile(ctx, jobs[1].SubscriberID, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if s := visible(jobs[1].PSID); s == nil || s.FirstName != "" {
		t.Fatalf("after a failed fetch the subscriber is kept and shown without names: %+v", s)
	}
	again, err := db.ClaimProfiles(ctx, time.Minute, 10)
	if err != nil || len(again) != 1 || again[0].SubscriberID != jobs[1].SubscriberID || again[0].Attempts != 2 {
		t.Fatalf("the failed profile is fetched again: %+v, %v", again, err)
	}
	if _, _, profiles, err := db.Backlog(ctx); err != nil || profiles != 0 {
		t.Fatalf("backlog counts %d profiles never asked for, %v; want 0", profiles, err)
	}
	if err := db.SaveProfile(ctx, again[0].SubscriberID, xerochat.Profile{FirstName: "Grace"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RetryProfile(ctx, again[0].SubscriberID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if s := visible(again[0].PSID); s == nil || s.FirstName != "Grace" {
		t.Fatalf("a late retry must not undo a fetched profile: %+v", s)
	}
}
