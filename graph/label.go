package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/xerochat/xerochat"
)

// success is the answer of calls that change something without making an
// object: {"success":true}.
type success struct {
	Success bool `json:"success"`
}

func (s success) check(method, path string) error {
	if !s.Success {
		return unreachable(method, path, errors.New(`answer without "success":true`))
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
		return "", unreachable(http.MethodPost, path, errors.New("answer without an id"))
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
func (c *Client) PageLabels(ctx context.Context, pageToken, pageID string) ([]xerochat.FacebookLabel, error) {
	path, err := idPath("page id", pageID, "/custom_labels")
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
	Paging paging `json:"paging"`
}

func (p *labelPage) next() string { return p.Paging.Next }

// labels reads a custom_labels edge to its end.
func (c *Client) labels(ctx context.Context, token, path string) ([]xerochat.FacebookLabel, error) {
	all := []xerochat.FacebookLabel{}
	err := readPages(ctx, c, token, path, url.Values{"fields": {"page_label_name"}}, func(p *labelPage) int {
		for _, d := range p.Data {
			all = append(all, xerochat.FacebookLabel{ID: d.ID, Name: d.Name})
		}
		return len(p.Data)
	})
	return all, err
}
