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

// ConnectPage checks the page token with Facebook, stores the user's page
// (creating it, or refreshing the name, token and bot state of one the user
// connected before), subscribes the app to the page's webhook while the bot
// is on (and unsubscribes it while off), and imports its labels. A token Facebook refuses stores nothing.
// A page connected by another user is refused (ECONFLICT): one page has one
// owner. A failed subscription is returned as an error with the page
// stored, so that connecting again repairs it.
func (a *App) ConnectPage(ctx context.Context, p *xerochat.Page) (*Connected, error) {
	id, _, err := a.Facebook.Me(ctx, p.AccessToken)
	if err != nil {
		return nil, err
	}
	if id != p.PageID {
		return nil, xerochat.Errorf(xerochat.EINVALID, "The access token belongs to %s, not to page %s", id, p.PageID)
	}
	page, err := a.Pages.ConnectPage(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := a.subscribe(ctx, page, page.BotEnabled); err != nil {
		return &Connected{Page: page}, err
	}
	res := &Connected{Page: page}
	res.Labels, res.LabelsErr = a.ImportLabels(ctx, page)
	return res, nil
}

// SetBotEnabled turns the bot of the user's page on or off. On, the app is
// subscribed to the page's webhook again; off, it is unsubscribed, and the
// page answers no API call about it and drops any webhook event that still
// comes. Facebook is asked first: when it refuses, nothing changes here.
func (a *App) SetBotEnabled(ctx context.Context, userID int64, pageID string, enabled bool) error {
	page, err := a.Pages.FindUserPage(ctx, userID, pageID)
	if err != nil {
		return err
	}
	if err := a.subscribe(ctx, page, enabled); err != nil {
		return err
	}
	return a.Pages.SetBotEnabled(ctx, userID, pageID, enabled)
}

// subscribe subscribes the app to the page's webhook fields, or ends the
// subscription, so that Facebook sends events exactly while the bot is on.
func (a *App) subscribe(ctx context.Context, page *xerochat.Page, on bool) error {
	if on {
		return a.Facebook.SubscribeApp(ctx, page.AccessToken, page.PageID, xerochat.WebhookFields)
	}
	return a.Facebook.UnsubscribeApp(ctx, page.AccessToken, page.PageID)
}
