package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Label is a page's custom label as Facebook lists it.
type Label struct {
	ID   string
	Name string
}

// success is the answer of calls that change something without making an
// object: {"success":true}.
type success struct {
	Success bool `json:"success"`
}

func (s success) check(method, path string) error {
	if !s.Success {
		return &unreachableError{Method: method, Path: path, Err: errors.New(`answer without "success":true`)}
	}
	return nil
}

// CreateLabel makes a label named name on the page and returns its id. It
// sends page_label_name because Facebook refuses the older field name.
func (c *Client) CreateLabel(ctx context.Context, pageToken, pageID, name string) (string, error) {
	path, err := idPath("page id", pageID, "/custom_labels")
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := c.postForm(ctx, pageToken, path, url.Values{"page_label_name": {name}}, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", &unreachableError{Method: http.MethodPost, Path: path, Err: errors.New("answer without an id")}
	}
	return out.ID, nil
}

// AssignLabel puts the label on the person with that PSID.
func (c *Client) AssignLabel(ctx context.Context, pageToken, labelID, psid string) error {
	path, err := idPath("label id", labelID, "/label")
	if err != nil {
		return err
	}
	var out success
	if err := c.postForm(ctx, pageToken, path, url.Values{"user": {psid}}, &out); err != nil {
		return err
	}
	return out.check(http.MethodPost, path)
}

// RemoveLabel takes the label off the person with that PSID.
func (c *Client) RemoveLabel(ctx context.Context, pageToken, labelID, psid string) error {
	path, err := idPath("label id", labelID, "/label")
	if err != nil {
		return err
	}
	var out success
	if err := c.delete(ctx, pageToken, path, url.Values{"user": {psid}}, &out); err != nil {
		return err
	}
	return out.check(http.MethodDelete, path)
}

// PageLabels lists every label of the page, following Facebook's cursor
// paging to the end.
func (c *Client) PageLabels(ctx context.Context, pageToken, pageID string) ([]Label, error) {
	path, err := idPath("page id", pageID, "/custom_labels")
	if err != nil {
		return nil, err
	}
	return c.labels(ctx, pageToken, path)
}

// UserLabels lists the page's labels on the person with that PSID.
func (c *Client) UserLabels(ctx context.Context, pageToken, psid string) ([]Label, error) {
	path, err := idPath("PSID", psid, "/custom_labels")
	if err != nil {
		return nil, err
	}
	return c.labels(ctx, pageToken, path)
}

// labelPage is one page of a custom_labels listing.
type labelPage struct {
	Data []struct {
		ID   string `json:"id"`
		Name string `json:"page_label_name"`
	} `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

// labels reads a custom_labels edge page after page. It stops at an empty
// page too, because Facebook sometimes gives a next link to one.
func (c *Client) labels(ctx context.Context, token, path string) ([]Label, error) {
	var page labelPage
	if err := c.get(ctx, token, path, url.Values{"fields": {"page_label_name"}}, &page); err != nil {
		return nil, err
	}
	all := []Label{}
	seen := map[string]bool{}
	for n := 1; ; n++ {
		for _, d := range page.Data {
			all = append(all, Label{ID: d.ID, Name: d.Name})
		}
		next := page.Paging.Next
		if next == "" || len(page.Data) == 0 {
			return all, nil
		}
		if n >= maxPages || seen[next] {
			return nil, &unreachableError{Method: http.MethodGet, Path: path,
				Err: fmt.Errorf("paging did not end after %d pages", n)}
		}
		seen[next] = true
		u, err := c.nextURL(next, token)
		if err != nil {
			return nil, &unreachableError{Method: http.MethodGet, Path: path, Err: err}
		}
		page = labelPage{}
		if err := c.send(ctx, request{method: http.MethodGet, path: path, url: u, token: token}, &page); err != nil {
			return nil, err
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
