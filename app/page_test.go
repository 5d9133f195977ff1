package app_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// TestConnectPageOfAnotherUser: one page has one owner; a second user's
// connect is refused and changes nothing of the first's page.
func TestConnectPageOfAnotherUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, other := e.member(t, "a@example.com"), e.member(t, "b@example.com")
	p := e.page(t, owner, "1000000000000001", true)

	res, err := e.app.ConnectPage(ctx, &xerochat.Page{UserID: other, PageID: p.PageID, Name: "Taken",
		AccessToken: "token-" + p.PageID, BotEnabled: true})
	wantError(t, err, xerochat.ECONFLICT, xerochat.MsgPageElsewhere)
	if res != nil {
		t.Errorf("a refused connect answered %+v", res)
	}
	if _, err := e.db.FindUserPage(ctx, other, p.PageID); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Errorf("the other user has the page: %v", err)
	}
	if got, err := e.db.FindUserPage(ctx, owner, p.PageID); err != nil || got.Name != p.Name || got.ID != p.ID {
		t.Errorf("the owner's page is now %+v (%v), want %+v", got, err, p)
	}
}

// TestConnectPageKeepsPageWhenLabelsFail: the connection stands whatever
// happens to the labels, which a sync can import later.
func TestConnectPageKeepsPageWhenLabelsFail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fail func(fake *fakegraph.Server)
	}{
		{"Facebook refuses", func(fake *fakegraph.Server) {
			fake.Fail(http.MethodGet, "/custom_labels", fakegraph.ErrInvalidToken(), 1)
		}},
		{"Facebook does not answer the listing", func(fake *fakegraph.Server) {
			fake.Fail(http.MethodGet, "/custom_labels", fakegraph.FBError{HTTPStatus: 500}, 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			user := e.member(t, "a@example.com")
			const pageID = "1000000000000001"
			e.fake.AddPage(pageID, "token-"+pageID, "Page")
			e.fake.AddLabel(pageID, "VIP")
			tc.fail(e.fake)
			res, err := e.app.ConnectPage(ctx, &xerochat.Page{UserID: user, PageID: pageID, Name: "Page",
				AccessToken: "token-" + pageID, BotEnabled: true})
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			if res.LabelsErr == nil || res.Page == nil || res.Labels.Listed != 0 {
				t.Fatalf("connect answered %+v, want the page with LabelsErr set", res)
			}
			if got, err := e.db.FindEnabledPage(ctx, user, pageID); err != nil || got.ID != res.Page.ID {
				t.Errorf("the page is not connected: %+v, %v", got, err)
			}
			if labels, err := e.db.ListLabels(ctx, res.Page.ID); err != nil || len(labels) != 0 {
				t.Errorf("labels stored after a failed import: %+v, %v", labels, err)
			}
			// Once Facebook answers, a sync imports them.
			e.fake.Down(false)
			if got, err := e.app.SyncLabels(ctx, user, pageID); err != nil || got.New != 1 {
				t.Errorf("sync after the failure: %+v, %v", got, err)
			}
		})
	}
}

// TestConnectPageChecksTokenAndSubscribes: a token Facebook refuses, or
// cannot check, stores nothing; a connected page with its bot on has the
// app subscribed to its webhook, and the bot's switch follows.
func TestConnectPageChecksTokenAndSubscribes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user := e.member(t, "sub@example.com")
	const pageID = "1000000000000009"
	e.fake.AddPage(pageID, "token-"+pageID, "Page")
	for _, tc := range []struct {
		name  string
		token string
		down  bool
	}{
		{"an expired token", "expired", false},
		{"a token of another page", "token-other", false},
		{"Facebook down", "token-" + pageID, true},
	} {
		e.fake.Down(tc.down)
		if tc.token == "token-other" {
			e.fake.AddPage("1000000000000010", "token-other", "Other")
		}
		if _, err := e.app.ConnectPage(ctx, &xerochat.Page{UserID: user, PageID: pageID, Name: "Page",
			AccessToken: tc.token, BotEnabled: true}); err == nil {
			t.Errorf("%s: connected", tc.name)
		}
		if _, err := e.db.FindUserPage(ctx, user, pageID); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
			t.Errorf("%s: the page was stored (%v)", tc.name, err)
		}
	}
	e.fake.Down(false)
	subscribed := func(want bool) {
		t.Helper()
		fields, on := e.fake.Subscription(pageID)
		if on != want || want && !slices.Equal(fields, xerochat.WebhookFields) {
			t.Fatalf("subscribed %v to %v, want %v to %v", on, fields, want, xerochat.WebhookFields)
		}
	}
	e.page(t, user, pageID, true)
	subscribed(true)
	if err := e.app.SetBotEnabled(ctx, user, pageID, false); err != nil {
		t.Fatal(err)
	}
	subscribed(false)
	if p, _ := e.db.FindUserPage(ctx, user, pageID); p.BotEnabled {
		t.Fatal("the bot is still on")
	}
	// When Facebook refuses the switch, nothing changes here.
	e.fake.Fail(http.MethodPost, "/subscribed_apps", fakegraph.ErrRateLimit(), 1)
	if err := e.app.SetBotEnabled(ctx, user, pageID, true); err == nil {
		t.Fatal("the bot went on while Facebook refused the subscription")
	}
	if p, _ := e.db.FindUserPage(ctx, user, pageID); p.BotEnabled {
		t.Fatal("the bot went on without the subscription")
	}
	if err := e.app.SetBotEnabled(ctx, user, pageID, true); err != nil {
		t.Fatal(err)
	}
	subscribed(true)
}
