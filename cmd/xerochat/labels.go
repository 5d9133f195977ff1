package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/sqlstore"
)

// labelImport counts what importing a page's labels from Facebook did.
type labelImport struct {
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

// summary is the line the commands print after an import.
func (r labelImport) summary(pageID string) string {
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

// graphError marks a failure of the Graph call, as opposed to the database.
type graphError struct{ err error }

func (e *graphError) Error() string {
	// Facebook's own message, as Facebook worded it; otherwise the call got
	// no usable answer and its text says "could not be reached" and why. No
	// text of the graph package holds the token.
	var fe *graph.Error
	if errors.As(e.err, &fe) {
		return "Facebook: " + fe.Message
	}
	return e.err.Error()
}

func (e *graphError) Unwrap() error { return e.err }

// importLabels copies the page's labels from Facebook into the store: all of
// them, following Graph's paging, in the order Facebook lists them. It is
// idempotent: a label is known by its Facebook id, so importing again adds
// nothing and only renames the labels renamed on Facebook. Labels deleted on
// Facebook are kept (see labelImport.Kept). page connect and page
// sync-labels both run it.
func importLabels(ctx context.Context, db *sqlstore.DB, fb *graph.Client, page *xerochat.Page) (labelImport, error) {
	var res labelImport
	fbLabels, err := fb.PageLabels(ctx, page.AccessToken, page.PageID)
	if err != nil {
		return res, &graphError{err}
	}
	local, err := db.ListLabels(ctx, page.ID)
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
		if _, err := db.SaveLabel(ctx, &xerochat.Label{UserID: page.UserID, PageRef: page.ID, LabelID: fl.ID, Name: fl.Name}); err != nil {
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

// oneLine flattens an error for a single line of output.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// findUserPage returns the user's connected page with that Facebook id,
// whether or not its bot is enabled: the labels of a page with its bot off
// are worth keeping current too.
func findUserPage(ctx context.Context, db *sqlstore.DB, u *xerochat.User, pageID string) (*xerochat.Page, error) {
	p, err := db.FindPage(ctx, pageID)
	switch {
	case xerochat.ErrorCode(err) == xerochat.ENOTFOUND:
		return nil, fmt.Errorf("user <%s> has no page %s; connect it with xerochat page connect", u.Email, pageID)
	case err != nil:
		return nil, err
	case p.UserID != u.ID:
		return nil, fmt.Errorf("page %s is connected by another user, not <%s>", pageID, u.Email)
	}
	return p, nil
}

func runPageSyncLabels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("page sync-labels --email E --page-id ID",
		"Imports the page's labels from Facebook: new labels are added, labels renamed on Facebook are\n"+
			"renamed here, and running it again changes nothing. Labels deleted on Facebook are kept here,\n"+
			"because subscribers' label assignments still name them; the summary line counts them.", stderr)
	email := fs.String("email", "", "e-mail of the page's owner (required)")
	pageID := fs.String("page-id", "", "Facebook page id (required)")
	var graphURL, graphVersion string
	graphFlags(fs, &graphURL, &graphVersion)
	if err := parseFlags(fs, args, "email", "page-id"); err != nil {
		return err
	}
	if !isDigits(*pageID) {
		return fmt.Errorf("--page-id %q: a Facebook page id is a number", *pageID)
	}
	db, u, err := openForUser(ctx, *dbURL, *email)
	if err != nil {
		return err
	}
	defer db.Close()
	page, err := findUserPage(ctx, db, u, *pageID)
	if err != nil {
		return err
	}
	res, err := importLabels(ctx, db, graph.New(graphURL, graphVersion), page)
	if err != nil {
		return fmt.Errorf("labels of page %s not imported: %w", page.PageID, err)
	}
	fmt.Fprintln(stdout, res.summary(page.PageID))
	return nil
}
