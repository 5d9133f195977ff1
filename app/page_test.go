package app_test

import (
	"context"
	"net/http"
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
		{"Facebook down", func(fake *fakegraph.Server) { fake.Down(true) }},
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
