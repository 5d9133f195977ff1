package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
)

// stdin is where `--access-token -` reads the token.
var stdin io.Reader = os.Stdin

func runPageConnect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("page connect --email E --page-id ID --page-name NAME [--access-token T|-] [--bot-enabled=false]",
		"Connects a Facebook page to the user's account, or updates it if already connected. The page\n"+
			"token is checked with Facebook first (a token Facebook refuses stores nothing), the app is\n"+
			"subscribed to the page's webhook while the bot is on, and the page's labels are imported as\n"+
			"page sync-labels does; if only the labels cannot be imported, the page stays connected and a\n"+
			"warning says why.\n\n"+
			"The token comes from --access-token, from the environment (XEROCHAT_PAGE_TOKEN), or from\n"+
			"standard input with --access-token -. A token on the command line shows in ps and in the\n"+
			"shell's history: prefer the environment or standard input.", stderr)
	email := fs.String("email", "", "e-mail of the page's owner (required)")
	pageID := fs.String("page-id", "", "Facebook page id (required)")
	pageName := fs.String("page-name", "", "page name (required)")
	token := fs.String("access-token", "", "page access token, or - to read it from standard input (default: env XEROCHAT_PAGE_TOKEN; shows in ps when given here)")
	enabled := fs.Bool("bot-enabled", true, "enable the bot on the page")
	var graphURL, graphVersion string
	graphFlags(fs, &graphURL, &graphVersion)
	if err := parseFlags(fs, args, "email", "page-id", "page-name"); err != nil {
		return err
	}
	if !isDigits(*pageID) {
		return usagef("--page-id %q: a Facebook page id is a number", *pageID)
	}
	pageToken, err := readPageToken(*token)
	if err != nil {
		return err
	}
	db, u, err := openForUser(ctx, *dbURL, *email)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := newApp(db, graph.New(graphURL, graphVersion)).ConnectPage(ctx,
		&xerochat.Page{UserID: u.ID, PageID: *pageID, Name: *pageName, AccessToken: pageToken, BotEnabled: *enabled})
	switch {
	case err != nil && res != nil:
		return fmt.Errorf("page %s connected, but the app could not be subscribed to its webhook: %s; run page connect again",
			*pageID, facebookText(err))
	case xerochat.FacebookErrorKind(err) != "":
		return fmt.Errorf("page %s not connected: %s", *pageID, facebookText(err))
	case err != nil:
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
		return usagef("--page-id %q: a Facebook page id is a number", *pageID)
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

// readPageToken takes the page token from the flag, from standard input
// ("-": its first line) or from XEROCHAT_PAGE_TOKEN.
func readPageToken(flagValue string) (string, error) {
	token := flagValue
	switch {
	case flagValue == "-":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("--access-token -: read standard input: %w", err)
		}
		token = line
	case flagValue == "":
		token = os.Getenv("XEROCHAT_PAGE_TOKEN")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", usagef("no page access token: give --access-token, set XEROCHAT_PAGE_TOKEN, or pipe it with --access-token -")
	}
	return token, nil
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
