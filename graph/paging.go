package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// paging is the cursor paging block of a Graph listing.
type paging struct {
	Next string `json:"next"`
}

// listing is one page of a Graph listing, decoded.
type listing[T any] interface {
	*T
	next() string
}

// readPages reads a listing page after page, handing each to take, which
// returns how many items it held. It stops at an empty page too, because
// Facebook sometimes gives a next link to one, and gives up on a listing
// that does not end (maxPages, or a next link seen before).
func readPages[T any, P listing[T]](ctx context.Context, c *Client, token, path string, q url.Values, take func(P) int) error {
	page := P(new(T))
	if err := c.get(ctx, token, path, q, page); err != nil {
		return err
	}
	seen := map[string]bool{}
	for n := 1; ; n++ {
		items := take(page)
		next := page.next()
		if next == "" || items == 0 {
			return nil
		}
		if n >= maxPages || seen[next] {
			return unreachable(http.MethodGet, path, fmt.Errorf("paging did not end after %d pages", n))
		}
		seen[next] = true
		u, err := c.nextURL(next, token)
		if err != nil {
			return unreachable(http.MethodGet, path, err)
		}
		page = P(new(T))
		if err := c.send(ctx, request{method: http.MethodGet, path: path, url: u, secrets: []string{token}}, page); err != nil {
			return err
		}
	}
}

// nextURL turns paging.next into a URL on BaseURL. Only its path and query
// are kept, so that the token is never sent to a host named by an answer,
// and the token is set afresh because a next link may lack it.
func (c *Client) nextURL(next, token string) (string, error) {
	u, err := url.Parse(next)
	if err != nil {
		return "", errors.New("malformed paging.next link")
	}
	q := u.Query()
	q.Set("access_token", token)
	return c.root() + u.EscapedPath() + "?" + q.Encode(), nil
}
