package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/xerochat/xerochat"
)

// DefaultDialogURL is where Facebook Login's dialog lives: on Facebook's
// web host, not on the Graph host.
const DefaultDialogURL = "https://www.facebook.com"

// DialogURL is the address of Facebook Login's dialog to send the browser
// to: dialogBase (DefaultDialogURL when empty; a fake Facebook's URL in
// tests) with the client's version, asking for scope with the code flow.
// state comes back unchanged to redirectURI and must be bound to the
// person's session, so that a callback forged by another site is refused.
// auth_type=rerequest is always set because without it Facebook never asks
// again for a permission the person declined once, and a person who
// unticked one could not fix it by logging in again.
func (c *Client) DialogURL(dialogBase, redirectURI, state string, scope []string) string {
	if dialogBase == "" {
		dialogBase = DefaultDialogURL
	}
	q := url.Values{"client_id": {c.AppID}, "redirect_uri": {redirectURI}, "state": {state},
		"response_type": {"code"}, "scope": {strings.Join(scope, ",")}, "auth_type": {"rerequest"}}
	return strings.TrimRight(dialogBase, "/") + "/" + c.Version + "/dialog/oauth?" + q.Encode()
}

// tokenAnswer is the answer of both oauth/access_token exchanges.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// oauthToken calls oauth/access_token with the app's credentials. The
// secret travels in the query as Facebook documents it; like the code and
// the token being exchanged (secret, the caller's), it never appears in an
// error text.
func (c *Client) oauthToken(ctx context.Context, q url.Values, secret string) (string, error) {
	const path = "/oauth/access_token"
	q.Set("client_id", c.AppID)
	q.Set("client_secret", c.AppSecret)
	var out tokenAnswer
	err := c.send(ctx, request{method: http.MethodGet, path: path, url: c.endpoint(path, q),
		secrets: []string{c.AppSecret, secret}}, &out)
	if err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", unreachable(http.MethodGet, path, errors.New("answer without an access_token"))
	}
	return out.AccessToken, nil
}

// ExchangeCode turns a Facebook Login code into a user token; redirectURI
// must be the one the dialog was opened with.
func (c *Client) ExchangeCode(ctx context.Context, code, redirectURI string) (string, error) {
	return c.oauthToken(ctx, url.Values{"code": {code}, "redirect_uri": {redirectURI}}, code)
}

// LongLivedToken exchanges a user token for a long-lived one.
func (c *Client) LongLivedToken(ctx context.Context, userToken string) (string, error) {
	return c.oauthToken(ctx, url.Values{"grant_type": {"fb_exchange_token"}, "fb_exchange_token": {userToken}}, userToken)
}

// Permissions lists the permissions the person granted.
func (c *Client) Permissions(ctx context.Context, userToken string) ([]string, error) {
	var out struct {
		Data []struct {
			Permission string `json:"permission"`
			Status     string `json:"status"`
		} `json:"data"`
	}
	if err := c.get(ctx, userToken, "/me/permissions", url.Values{}, &out); err != nil {
		return nil, err
	}
	var granted []string
	for _, p := range out.Data {
		if p.Status == "granted" {
			granted = append(granted, p.Permission)
		}
	}
	return granted, nil
}

// accountsPage is one page of a me/accounts listing.
type accountsPage struct {
	Data []struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		AccessToken string   `json:"access_token"`
		Tasks       []string `json:"tasks"`
	} `json:"data"`
	Paging paging `json:"paging"`
}

func (p *accountsPage) next() string { return p.Paging.Next }

// UserPages lists the pages the person manages, with their page tokens,
// following Facebook's cursor paging to the end.
func (c *Client) UserPages(ctx context.Context, userToken string) ([]xerochat.FacebookPage, error) {
	const path = "/me/accounts"
	var all []xerochat.FacebookPage
	err := readPages(ctx, c, userToken, path, url.Values{"fields": {"id,name,access_token,tasks"}}, func(raw *accountsPage) int {
		for _, d := range raw.Data {
			all = append(all, xerochat.FacebookPage{ID: d.ID, Name: d.Name, AccessToken: d.AccessToken, Tasks: d.Tasks})
		}
		return len(raw.Data)
	})
	return all, err
}

// Me checks a token and returns the id and name it belongs to.
func (c *Client) Me(ctx context.Context, token string) (id, name string, err error) {
	var out struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := c.get(ctx, token, "/me", url.Values{"fields": {"id,name"}}, &out); err != nil {
		return "", "", err
	}
	if out.ID == "" {
		return "", "", unreachable(http.MethodGet, "/me", errors.New("answer without an id"))
	}
	return out.ID, out.Name, nil
}

// SubscribeApp subscribes the app to the page's webhook fields.
func (c *Client) SubscribeApp(ctx context.Context, pageToken, pageID string, fields []string) error {
	path, err := idPath("page id", pageID, "/subscribed_apps")
	if err != nil {
		return err
	}
	var out success
	if err := c.postForm(ctx, pageToken, path, url.Values{"subscribed_fields": {strings.Join(fields, ",")}}, &out); err != nil {
		return err
	}
	return out.check(http.MethodPost, path)
}

// UnsubscribeApp ends the app's subscription to the page's webhook.
func (c *Client) UnsubscribeApp(ctx context.Context, pageToken, pageID string) error {
	path, err := idPath("page id", pageID, "/subscribed_apps")
	if err != nil {
		return err
	}
	var out success
	if err := c.delete(ctx, pageToken, path, url.Values{}, &out); err != nil {
		return err
	}
	return out.check(http.MethodDelete, path)
}
