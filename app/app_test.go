package app_test

// The use cases on a real store (SQLite, or PostgreSQL when
// XEROCHAT_TEST_POSTGRES is set) and the fake Facebook, through the Graph
// client production uses.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/messenger"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// env is the use-case layer over a fresh store and a fake Facebook.
type env struct {
	app  *app.App
	db   *sqlstore.DB
	fake *fakegraph.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := sqlstoretest.Open(t)
	fake := fakegraph.New()
	t.Cleanup(fake.Close)
	a := &app.App{Users: db, Contacts: db, Pages: db, Flows: db, Facebook: graph.New(fake.URL(), "v21.0")}
	return &env{app: a, db: db, fake: fake}
}

// member creates an active member and returns its id.
func (e *env) member(t *testing.T, email string) int64 {
	t.Helper()
	creds, err := e.app.CreateMember(context.Background(), xerochat.NewUser{Name: "Member", Email: email,
		Password: "secret-pass", PackageID: 1, ExpiredDate: time.Now().AddDate(1, 0, 0).Format(xerochat.DateLayout)})
	if err != nil {
		t.Fatal(err)
	}
	return creds.UserID
}

// page makes a page known to the fake Facebook (token "token-ID") and
// connects it for the user.
func (e *env) page(t *testing.T, userID int64, pageID string, botEnabled bool) *xerochat.Page {
	t.Helper()
	e.fake.AddPage(pageID, "token-"+pageID, "Page "+pageID)
	res, err := e.app.ConnectPage(context.Background(), &xerochat.Page{UserID: userID, PageID: pageID,
		Name: "Page " + pageID, AccessToken: "token-" + pageID, BotEnabled: botEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if res.LabelsErr != nil {
		t.Fatalf("connect page %s: labels: %v", pageID, res.LabelsErr)
	}
	return res.Page
}

// subscriber makes psid a subscriber of the page the way Messenger does: the
// person (known to the fake Facebook) writes to the page, the batch is
// stored as the webhook stores it, and the engine applies it in the
// batch's transaction as a worker does.
func (e *env) subscriber(t *testing.T, p *xerochat.Page, psid string) *xerochat.Subscriber {
	t.Helper()
	ctx := context.Background()
	e.fake.AddUser(p.PageID, psid, fakegraph.Profile{FirstName: "Sam"})
	now := time.Now().UnixMilli()
	body, err := fakegraph.FacebookJSON(map[string]any{"object": "page", "entry": []any{map[string]any{
		"id": p.PageID, "time": now, "messaging": []any{map[string]any{
			"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": p.PageID}, "timestamp": now,
			"message": map[string]string{"mid": fmt.Sprintf("m_%s_%d", psid, now), "text": "hi"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	events, err := messenger.ParseBatch(body)
	if err != nil || len(events) != 1 {
		t.Fatalf("parse batch: %d events, %v", len(events), err)
	}
	id, err := e.db.StoreBatch(ctx, p.PageID, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.InBatch(ctx, id, func(tx xerochat.BatchTx) error {
		_, err := tx.ApplyEvent(ctx, events[0].Key, func(etx xerochat.EventTx) error { return messenger.Handle(ctx, etx, events[0]) })
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The worker's next step: the new subscriber's profile, from Facebook.
	jobs, err := e.db.ClaimProfiles(ctx, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		profile, err := e.app.Facebook.UserProfile(ctx, j.PageToken, j.PSID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.SaveProfile(ctx, j.SubscriberID, *profile); err != nil {
			t.Fatal(err)
		}
	}
	s, err := e.db.FindSubscriber(ctx, p.UserID, psid, p.PageID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantError fails unless err carries the code and the contract's message.
func wantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	if got := xerochat.ErrorCode(err); got != code {
		t.Errorf("error code %q (%v), want %q", got, err, code)
	}
	if got := xerochat.ErrorMessage(err); got != msg {
		t.Errorf("error message %q, want %q", got, msg)
	}
}
