package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

const (
	adminID     = "5001"
	redirectURI = "https://xerochat.example/login/facebook/callback"
)

// loginSetup is setup with a person who manages the shop and is logged in
// to the fake Facebook.
func loginSetup(t *testing.T) (*fakegraph.Server, *graph.Client) {
	t.Helper()
	fb, c := setup(t)
	fb.AddManager(adminID, "Ada Admin")
	fb.ManagePage(adminID, pageID, token, "MANAGE", "MESSAGING")
	fb.LogIn(adminID)
	return fb, c
}

// loginCode plays the dialog over HTTP, as the person pressing Continue,
// and returns the code handed to redirectURI.
func loginCode(t *testing.T, fb *fakegraph.Server) string {
	t.Helper()
	c := graph.New(fb.URL(), "")
	c.AppID, _ = fb.App()
	back, err := fb.Continue(c.DialogURL(fb.URL(), redirectURI, "st-1", xerochat.LoginPermissions))
	if err != nil {
		t.Fatal(err)
	}
	code := back.Query().Get("code")
	if code == "" || back.Query().Get("state") != "st-1" {
		t.Fatalf("dialog sent the browser to %s", back)
	}
	return code
}

// userToken logs the person in and exchanges the code.
func userToken(t *testing.T, fb *fakegraph.Server, c *graph.Client) string {
	t.Helper()
	tok, err := c.ExchangeCode(context.Background(), loginCode(t, fb), redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// graphCode returns Facebook's code and subcode in err, failing if err
// holds no Facebook error.
func graphCode(t *testing.T, err error) (int, int) {
	t.Helper()
	var e *graph.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v holds no *graph.Error", err)
	}
	return e.Code, e.Subcode
}

func TestDialogURL(t *testing.T) {
	c := graph.New("", "v22.0")
	c.AppID = "42"
	u, err := url.Parse(c.DialogURL("", "https://x.example/cb?a=1", "s&t", []string{"pages_show_list", "pages_messaging"}))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != "https://www.facebook.com/v22.0/dialog/oauth" || q.Get("client_id") != "42" ||
		q.Get("redirect_uri") != "https://x.example/cb?a=1" || q.Get("state") != "s&t" || q.Get("response_type") != "code" ||
		q.Get("scope") != "pages_show_list,pages_messaging" || q.Get("auth_type") != "rerequest" {
		t.Errorf("DialogURL = %s", u)
	}
	if got := c.DialogURL("http://fake/", "r", "s", nil); !strings.HasPrefix(got, "http://fake/v22.0/dialog/oauth?") {
		t.Errorf("DialogURL on a fake = %s", got)
	}
}

func TestExchangeCode(t *testing.T) {
	fb, c := loginSetup(t)
	ctx := context.Background()
	code := loginCode(t, fb)
	tok, err := c.ExchangeCode(ctx, code, redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	if id, name, err := c.Me(ctx, tok); err != nil || id != adminID || name != "Ada Admin" {
		t.Errorf("Me(user token) = %q, %q, %v", id, name, err)
	}
	call := fb.Calls()[len(fb.Calls())-2]
	if call.Path != "/oauth/access_token" || call.Values.Get("code") != code || call.Values.Get("redirect_uri") != redirectURI ||
		call.Values.Get("client_secret") != "REDACTED" || call.Values.Get("client_id") != c.AppID {
		t.Errorf("exchange call = %+v", call)
	}

	_, err = c.ExchangeCode(ctx, code, redirectURI)
	if xerochat.FacebookErrorKind(err) != xerochat.FacebookRefused || xerochat.ErrorMessage(err) != "This authorization code has been used." {
		t.Errorf("reused code: %v", err)
	}
	if strings.Contains(err.Error(), code) || strings.Contains(err.Error(), c.AppSecret) {
		t.Errorf("error text holds the code or the secret: %v", err)
	}
	if code, sub := graphCode(t, err); code != 100 || sub != 36009 {
		t.Errorf("reused code: code %d/%d, want 100/36009", code, sub)
	}

	tests := []struct {
		name        string
		change      func(c *graph.Client, code, redirect *string)
		expire      bool
		wantCode    int
		wantMessage string
	}{
		{"another redirect_uri", func(_ *graph.Client, _, r *string) { *r = "https://xerochat.example/other" }, false,
			100, "Error validating verification code."},
		{"unknown code", func(_ *graph.Client, c, _ *string) { *c = "AQnot-a-code" }, false,
			100, "Invalid verification code format."},
		{"expired code", func(*graph.Client, *string, *string) {}, true, 100, "This authorization code has expired."},
		{"wrong secret", func(c *graph.Client, _, _ *string) { c.AppSecret = "not-the-secret" }, false,
			1, "Error validating client secret."},
		{"unknown app", func(c *graph.Client, _, _ *string) { c.AppID = "999" }, false,
			101, "Error validating application."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, redirect := loginCode(t, fb), redirectURI
			if tt.expire {
				fb.ExpireCodes()
			}
			c := *c
			tt.change(&c, &code, &redirect)
			_, err := c.ExchangeCode(ctx, code, redirect)
			if xerochat.FacebookErrorKind(err) != xerochat.FacebookRefused || !strings.HasPrefix(xerochat.ErrorMessage(err), tt.wantMessage) {
				t.Fatalf("err = %v", err)
			}
			if got, _ := graphCode(t, err); got != tt.wantCode {
				t.Errorf("code %d, want %d", got, tt.wantCode)
			}
		})
	}
}

func TestLongLivedToken(t *testing.T) {
	fb, c := loginSetup(t)
	ctx := context.Background()
	short := userToken(t, fb, c)
	long, err := c.LongLivedToken(ctx, short)
	if err != nil {
		t.Fatal(err)
	}
	if long == short || !fb.LongLived(long) || fb.LongLived(short) {
		t.Errorf("long-lived %q from %q: LongLived = %v, %v", long, short, fb.LongLived(long), fb.LongLived(short))
	}
	if id, _, err := c.Me(ctx, long); err != nil || id != adminID {
		t.Errorf("Me(long-lived) = %q, %v", id, err)
	}
	if call := fb.Calls()[len(fb.Calls())-2]; call.Values.Get("grant_type") != "fb_exchange_token" ||
		call.Values.Get("fb_exchange_token") != "REDACTED" {
		t.Errorf("exchange call = %+v", call)
	}

	// Only a live user token can be exchanged.
	fb.ExpireToken(short)
	for name, tok := range map[string]string{"page token": token, "expired token": short, "unknown token": "EAAGnothing"} {
		_, err := c.LongLivedToken(ctx, tok)
		if xerochat.FacebookErrorKind(err) != xerochat.FacebookInvalidToken || strings.Contains(err.Error(), tok) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPermissions(t *testing.T) {
	tests := []struct {
		name     string
		declined []string
		want     []string
	}{
		{"all granted", nil, append([]string{"public_profile"}, xerochat.LoginPermissions...)},
		{"some declined", []string{"pages_manage_metadata", "pages_read_engagement"},
			[]string{"public_profile", "pages_show_list", "pages_messaging"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb, c := loginSetup(t)
			fb.Decline(adminID, tt.declined...)
			got, err := c.Permissions(context.Background(), userToken(t, fb, c))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("granted %v, want %v", got, tt.want)
			}
		})
	}
	fb, c := loginSetup(t)
	if _, err := c.Permissions(context.Background(), token); xerochat.FacebookErrorKind(err) != xerochat.FacebookRefused {
		t.Errorf("permissions of a page token: %v", err)
	}

	// A person who declined can grant on a later login, because
	// DialogURL asks again (auth_type=rerequest).
	fb.Decline(adminID, "pages_messaging")
	userToken(t, fb, c)
	fb.Decline(adminID)
	got, err := c.Permissions(context.Background(), userToken(t, fb, c))
	if err != nil || !slices.Contains(got, "pages_messaging") {
		t.Errorf("after granting on a second login: %v, %v", got, err)
	}
}

func TestUserPages(t *testing.T) {
	tests := []struct{ pages, pageSize, requests int }{
		{0, 25, 1},
		{1, 25, 1},
		{3, 3, 1},
		{7, 3, 3},
		{30, 4, 8},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d by %d", tt.pages, tt.pageSize), func(t *testing.T) {
			fb, c := setup(t)
			fb.AddManager(adminID, "Ada Admin")
			fb.LogIn(adminID)
			fb.SetPageSize(tt.pageSize)
			want := []xerochat.FacebookPage{}
			for i := range tt.pages {
				p := xerochat.FacebookPage{ID: fmt.Sprint(3000 + i), Name: fmt.Sprint("Page ", i),
					AccessToken: fmt.Sprint("EAAGpage-", i), Tasks: []string{"MESSAGING"}}
				if i%2 == 0 {
					p.Tasks = append(p.Tasks, "MANAGE")
				}
				fb.AddPage(p.ID, "EAAGown-"+p.ID, p.Name)
				fb.ManagePage(adminID, p.ID, p.AccessToken, p.Tasks...)
				want = append(want, p)
			}
			ctx := context.Background()
			got, err := c.UserPages(ctx, userToken(t, fb, c))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d pages, want %d: %+v", len(got), len(want), got)
			}
			for i := range want {
				if got[i].ID != want[i].ID || got[i].Name != want[i].Name || got[i].AccessToken != want[i].AccessToken ||
					!slices.Equal(got[i].Tasks, want[i].Tasks) {
					t.Errorf("page %d = %+v, want %+v", i, got[i], want[i])
				}
			}
			if n := fb.CallCount("GET", "/me/accounts"); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			// The page token listed acts for its page.
			if len(got) > 0 {
				if id, name, err := c.Me(ctx, got[len(got)-1].AccessToken); err != nil || id != want[len(want)-1].ID || name != want[len(want)-1].Name {
					t.Errorf("Me(listed page token) = %q, %q, %v", id, name, err)
				}
			}
		})
	}
}

// TestUserPagesWithoutShowList: a person who declines pages_show_list
// lists no pages, as on Facebook.
func TestUserPagesWithoutShowList(t *testing.T) {
	fb, c := loginSetup(t)
	fb.Decline(adminID, "pages_show_list")
	got, err := c.UserPages(context.Background(), userToken(t, fb, c))
	if err != nil || len(got) != 0 {
		t.Errorf("pages = %+v, %v; want none", got, err)
	}
}

func TestMe(t *testing.T) {
	fb, c := loginSetup(t)
	ctx := context.Background()
	user := userToken(t, fb, c)
	if id, name, err := c.Me(ctx, token); err != nil || id != pageID || name != "Shop" {
		t.Errorf("Me(page token) = %q, %q, %v", id, name, err)
	}
	if id, name, err := c.Me(ctx, user); err != nil || id != adminID || name != "Ada Admin" {
		t.Errorf("Me(user token) = %q, %q, %v", id, name, err)
	}
	expired := func(what, tok string) {
		t.Helper()
		_, _, err := c.Me(ctx, tok)
		if xerochat.FacebookErrorKind(err) != xerochat.FacebookInvalidToken || strings.Contains(err.Error(), tok) {
			t.Errorf("Me(%s) = %v, want an invalid token", what, err)
		}
	}
	expired("unknown token", "EAAGnobody")

	// The other page's token is untouched by expiring this one.
	fb.ExpireToken(token)
	expired("expired page token", token)
	if _, _, err := c.Me(ctx, "EAAGother-page-token"); err != nil {
		t.Errorf("another page's token: %v", err)
	}
	// Nor does it end the person's user token.
	if _, _, err := c.Me(ctx, user); err != nil {
		t.Errorf("user token after the page token expired: %v", err)
	}
}

// TestChangePassword: a password change ends the person's user and page
// tokens; a new login gives a fresh page token that works.
func TestChangePassword(t *testing.T) {
	fb, c := loginSetup(t)
	ctx := context.Background()
	user := userToken(t, fb, c)
	long, err := c.LongLivedToken(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	fb.ChangePassword(adminID)
	for what, tok := range map[string]string{"user token": user, "long-lived token": long, "page token": token} {
		_, _, err := c.Me(ctx, tok)
		if code, sub := graphCode(t, err); xerochat.FacebookErrorKind(err) != xerochat.FacebookInvalidToken || code != 190 || sub != 460 {
			t.Errorf("%s after a password change: %v", what, err)
		}
	}
	pages, err := c.UserPages(ctx, userToken(t, fb, c))
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages after logging in again: %+v, %v", pages, err)
	}
	fresh := pages[0].AccessToken
	if fresh == token || fresh != fb.PageToken(adminID, pageID) {
		t.Errorf("page token after logging in again = %q, fake says %q", fresh, fb.PageToken(adminID, pageID))
	}
	if _, err := c.SendMessage(ctx, fresh, psid, xerochat.Outgoing{Text: "back"}); err != nil {
		t.Errorf("send with the fresh page token: %v", err)
	}
}

func TestSubscribeApp(t *testing.T) {
	fb, c := loginSetup(t)
	ctx := context.Background()
	if _, ok := fb.Subscription(pageID); ok {
		t.Fatal("subscribed before any call")
	}
	if err := c.SubscribeApp(ctx, token, pageID, xerochat.WebhookFields); err != nil {
		t.Fatal(err)
	}
	if fields, ok := fb.Subscription(pageID); !ok || !slices.Equal(fields, xerochat.WebhookFields) {
		t.Errorf("subscription = %v, %v; want %v", fields, ok, xerochat.WebhookFields)
	}
	if _, ok := fb.Subscription("1002"); ok {
		t.Error("the other page got subscribed")
	}
	if err := c.UnsubscribeApp(ctx, token, pageID); err != nil {
		t.Fatal(err)
	}
	if fields, ok := fb.Subscription(pageID); ok {
		t.Errorf("still subscribed after UnsubscribeApp: %v", fields)
	}

	refusals := []struct {
		name   string
		tok    string
		page   string
		fields []string
	}{
		{"another page", token, "1002", xerochat.WebhookFields},
		{"user token", userToken(t, fb, c), pageID, xerochat.WebhookFields},
		{"unknown field", token, pageID, []string{"messages", "no_such_field"}},
		{"no fields", token, pageID, nil},
	}
	for _, tt := range refusals {
		err := c.SubscribeApp(ctx, tt.tok, tt.page, tt.fields)
		if xerochat.FacebookErrorKind(err) != xerochat.FacebookRefused {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	if _, ok := fb.Subscription(pageID); ok {
		t.Error("a refused call subscribed the page")
	}

	// Without pages_manage_metadata the page token cannot subscribe.
	fb.Decline(adminID, "pages_manage_metadata")
	pages, err := c.UserPages(ctx, userToken(t, fb, c))
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages: %+v, %v", pages, err)
	}
	err = c.SubscribeApp(ctx, pages[0].AccessToken, pageID, xerochat.WebhookFields)
	if code, _ := graphCode(t, err); code != 200 {
		t.Errorf("subscribe without pages_manage_metadata: %v", err)
	}
}
