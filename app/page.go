package app

import (
	"context"

	"github.com/xerochat/xerochat"
)

// Connected is the outcome of connecting a page.
type Connected struct {
	Page   *xerochat.Page
	Labels LabelImport
	// LabelsErr tells why the labels could not be imported. The connection
	// stands whatever happens to the labels: a sync can import them later.
	LabelsErr error
}

// ConnectPage stores the user's page (creating it, or refreshing the name,
// token and bot state of one the user connected before) and imports its
// labels. A page connected by another user is refused (ECONFLICT): one page
// has one owner.
func (a *App) ConnectPage(ctx context.Context, p *xerochat.Page) (*Connected, error) {
	page, err := a.Pages.ConnectPage(ctx, p)
	if err != nil {
		return nil, err
	}
	res := &Connected{Page: page}
	res.Labels, res.LabelsErr = a.ImportLabels(ctx, page)
	return res, nil
}

// SetBotEnabled turns the bot of the user's page on or off. A page whose
// bot is off answers no API call about it and drops its webhook events.
func (a *App) SetBotEnabled(ctx context.Context, userID int64, pageID string, enabled bool) error {
	return a.Pages.SetBotEnabled(ctx, userID, pageID, enabled)
}
