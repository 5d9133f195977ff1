package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
)

func runPageConnect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("page connect --email E --page-id ID --page-name NAME --access-token T [--bot-enabled=false]",
		"Connects a Facebook page to the user's account, or updates it if already connected, then imports\n"+
			"the page's labels from Facebook as page sync-labels does. If Facebook cannot be asked, the page\n"+
			"stays connected, a warning says why, and page sync-labels can import the labels later.", stderr)
	email := fs.String("email", "", "e-mail of the page's owner (required)")
	pageID := fs.String("page-id", "", "Facebook page id (required)")
	pageName := fs.String("page-name", "", "page name (required)")
	token := fs.String("access-token", "", "page access token (required; stored, never shown by the API)")
	enabled := fs.Bool("bot-enabled", true, "enable the bot on the page")
	var graphURL, graphVersion string
	graphFlags(fs, &graphURL, &graphVersion)
	if err := parseFlags(fs, args, "email", "page-id", "page-name", "access-token"); err != nil {
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
	res, err := newApp(db, graph.New(graphURL, graphVersion)).ConnectPage(ctx,
		&xerochat.Page{UserID: u.ID, PageID: *pageID, Name: *pageName, AccessToken: *token, BotEnabled: *enabled})
	if err != nil {
		return cliError(err)
	}
	p := res.Page
	fmt.Fprintf(stdout, "page %s (%s) connected for <%s>, bot enabled: %t\n", p.PageID, p.Name, u.Email, p.BotEnabled)
	// The connection stands whatever happens to the labels: a failed import
	// is a warning, and sync-labels repeats it.
	if res.LabelsErr != nil {
		fmt.Fprintf(stderr, "xerochat: warning: labels not imported: %s; run xerochat page sync-labels --email %s --page-id %s later\n",
			oneLine(facebookText(res.LabelsErr)), u.Email, p.PageID)
		return nil
	}
	fmt.Fprintln(stdout, res.Labels.Summary(p.PageID))
	return nil
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
	a := newApp(db, graph.New(graphURL, graphVersion))
	res, err := a.SyncLabels(ctx, u.ID, *pageID)
	switch {
	case xerochat.ErrorCode(err) == xerochat.ENOTFOUND && xerochat.FacebookErrorKind(err) == "":
		return pageNotFound(ctx, db, u, *pageID)
	case err != nil:
		return fmt.Errorf("labels of page %s not imported: %s", *pageID, facebookText(err))
	}
	fmt.Fprintln(stdout, res.Summary(*pageID))
	return nil
}

// pageNotFound says why the user has no page with that id: it is someone
// else's, or connected by no one.
func pageNotFound(ctx context.Context, db interface {
	FindPage(context.Context, string) (*xerochat.Page, error)
}, u *xerochat.User, pageID string) error {
	if _, err := db.FindPage(ctx, pageID); err == nil {
		return fmt.Errorf("page %s is connected by another user, not <%s>", pageID, u.Email)
	}
	return fmt.Errorf("user <%s> has no page %s; connect it with xerochat page connect", u.Email, pageID)
}

// facebookText is the text of a failure for a terminal: Facebook's own
// message, as Facebook worded it, when Facebook answered; otherwise the
// call got no usable answer and the text says "could not be reached" and
// why. No text of the graph package holds the token.
func facebookText(err error) string {
	var fe *xerochat.FacebookError
	if errors.As(err, &fe) && fe.Kind != xerochat.FacebookUnreachable {
		return "Facebook: " + fe.Message
	}
	return err.Error()
}

// oneLine flattens a text for a single line of output.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
