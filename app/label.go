package app

import (
	"context"
	"fmt"

	"github.com/xerochat/xerochat"
)

// CreateLabel makes a label named name on the user's bot-enabled page and
// returns it. Facebook makes a new label on every call, so the name is
// looked up locally first: repeating a create returns the same label.
func (a *App) CreateLabel(ctx context.Context, userID int64, pageID, name string) (*xerochat.Label, error) {
	page, err := a.Pages.FindEnabledPage(ctx, userID, pageID)
	if err != nil {
		return nil, err
	}
	label, err := a.Pages.FindLabelByName(ctx, page.ID, name)
	if xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		return label, err
	}
	fbID, err := a.Facebook.CreateLabel(ctx, page.AccessToken, page.PageID, name)
	if err != nil {
		return nil, err
	}
	return a.Pages.SaveLabel(ctx, &xerochat.Label{UserID: userID, PageRef: page.ID, LabelID: fbID, Name: name})
}

// AssignLabels puts the labels (Facebook ids) on the subscriber with that
// PSID on the user's bot-enabled page. Every label must be the page's
// before any is assigned. Each label is recorded as soon as Facebook has
// it, so a failure part way leaves the local record matching Facebook's.
func (a *App) AssignLabels(ctx context.Context, userID int64, pageID, psid string, labelIDs []string) error {
	return a.changeLabels(ctx, userID, pageID, psid, labelIDs, true)
}

// RemoveLabels takes the labels off the subscriber, by the same rules as
// AssignLabels.
func (a *App) RemoveLabels(ctx context.Context, userID int64, pageID, psid string, labelIDs []string) error {
	return a.changeLabels(ctx, userID, pageID, psid, labelIDs, false)
}

func (a *App) changeLabels(ctx context.Context, userID int64, pageID, psid string, labelIDs []string, add bool) error {
	page, err := a.Pages.FindEnabledPage(ctx, userID, pageID)
	if err != nil {
		return err
	}
	labels, err := a.Pages.FindLabels(ctx, page.ID, labelIDs)
	if err != nil {
		return err
	}
	sub, err := a.Pages.FindSubscriber(ctx, userID, psid, page.PageID)
	if err != nil {
		return err
	}
	for _, l := range labels {
		if add {
			err = a.Facebook.AssignLabel(ctx, page.AccessToken, l.LabelID, sub.PSID)
		} else {
			err = a.Facebook.RemoveLabel(ctx, page.AccessToken, l.LabelID, sub.PSID)
		}
		if err != nil {
			return err
		}
		if add {
			err = a.Pages.AssignLabel(ctx, sub.ID, l.ID)
		} else {
			err = a.Pages.UnassignLabel(ctx, sub.ID, l.ID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// LabelImport counts what importing a page's labels from Facebook did.
type LabelImport struct {
	Listed    int // labels Facebook listed
	New       int // stored for the first time
	Renamed   int // known here under another name, renamed to Facebook's
	Unchanged int // known here already, same name
	// Kept counts labels known here that Facebook no longer lists (deleted
	// on Facebook). They stay: subscribers' assignments and the API's
	// label ids still name them, and a label can only be told apart from
	// one Facebook failed to list by its absence.
	Kept int
}

// Summary is the line that reports an import to a person.
func (r LabelImport) Summary(pageID string) string {
	s := fmt.Sprintf("imported %s (%d new, %d renamed, %d unchanged) for page %s",
		labelCount(r.Listed), r.New, r.Renamed, r.Unchanged, pageID)
	if r.Kept > 0 {
		s += fmt.Sprintf("; %s no longer on Facebook kept (assignments may name them)", labelCount(r.Kept))
	}
	return s
}

func labelCount(n int) string {
	if n == 1 {
		return "1 label"
	}
	return fmt.Sprintf("%d labels", n)
}

// ImportLabels copies the page's labels from Facebook into the store: all
// of them, following Graph's paging, in the order Facebook lists them. It
// is idempotent: a label is known by its Facebook id, so importing again
// adds nothing and only renames the labels renamed on Facebook. Labels
// deleted on Facebook are kept (see LabelImport.Kept). A failure of
// Facebook's is returned as it came, with its xerochat.FacebookError.
func (a *App) ImportLabels(ctx context.Context, page *xerochat.Page) (LabelImport, error) {
	var res LabelImport
	fbLabels, err := a.Facebook.PageLabels(ctx, page.AccessToken, page.PageID)
	if err != nil {
		return res, err
	}
	local, err := a.Pages.ListLabels(ctx, page.ID)
	if err != nil {
		return res, err
	}
	known := make(map[string]string, len(local)) // Facebook id → name here
	for _, l := range local {
		known[l.LabelID] = l.Name
	}
	listed := make(map[string]bool, len(fbLabels))
	for _, fl := range fbLabels {
		if fl.ID == "" || listed[fl.ID] {
			continue // nothing to key it by, or listed twice across pages
		}
		listed[fl.ID] = true
		res.Listed++
		name, ok := known[fl.ID]
		switch {
		case !ok:
			res.New++
		case name != fl.Name:
			res.Renamed++
		default:
			res.Unchanged++
			continue
		}
		if _, err := a.Pages.SaveLabel(ctx, &xerochat.Label{UserID: page.UserID, PageRef: page.ID, LabelID: fl.ID, Name: fl.Name}); err != nil {
			return res, err
		}
	}
	for id := range known {
		if !listed[id] {
			res.Kept++
		}
	}
	return res, nil
}

// SyncLabels imports the labels of the user's page again, whatever the
// state of its bot: the labels of a page with its bot off are worth keeping
// current too.
func (a *App) SyncLabels(ctx context.Context, userID int64, pageID string) (LabelImport, error) {
	page, err := a.Pages.FindUserPage(ctx, userID, pageID)
	if err != nil {
		return LabelImport{}, err
	}
	return a.ImportLabels(ctx, page)
}
