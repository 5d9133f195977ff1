package app

import (
	"context"
	"slices"
	"time"

	"github.com/xerochat/xerochat"
)

// Messages of the Facebook Login round trip in the browser.
const (
	MsgLoginState  = "This Facebook login was not started from this browser session, or it took longer than 15 minutes, so nothing was connected. Press Connect with Facebook again."
	MsgLoginChoice = "This choice of pages expired (after 15 minutes) or was already used, so nothing was connected. Press Connect with Facebook again."
	MsgLoginNone   = "Tick at least one page to connect."
)

// DefaultLoginLifetime is how long a Facebook Login may take, from the
// Connect button to the member's choice of pages.
const DefaultLoginLifetime = 15 * time.Minute

// Stages of a Facebook Login in progress, as FacebookLoginStore keeps them.
const (
	loginDialog = "dialog" // the dialog is open; the key is its state
	loginChoice = "choice" // Facebook listed the pages; the key is the choice form's
)

// FacebookLoginStore keeps Facebook Logins in progress server-side, so
// that the state is checked against the session that opened the dialog and
// page tokens never reach the browser. Keys are stored as digests.
type FacebookLoginStore interface {
	// PutFacebookLogin stores a stage of a login (pages nil for the dialog).
	PutFacebookLogin(ctx context.Context, keyHash, sessionHash string, userID int64, stage string,
		pages []xerochat.FacebookPage, at time.Time) error
	// TakeFacebookLogin deletes and returns the stage stored under keyHash
	// by that session and user, no earlier than since; ENOTFOUND otherwise.
	TakeFacebookLogin(ctx context.Context, keyHash, sessionHash string, userID int64, stage string,
		since time.Time) ([]xerochat.FacebookPage, error)
	// DeleteFacebookLogins removes logins begun before the given time.
	DeleteFacebookLogins(ctx context.Context, before time.Time) error
}

// DialogURLer builds the address of Facebook Login's dialog (the graph
// client does).
type DialogURLer interface {
	DialogURL(dialogBase, redirectURI, state string, scope []string) string
}

// FacebookLogins is connecting pages with Facebook Login: the Connect
// button opens the dialog, Facebook's answer lists the person's pages, and
// the member's choice connects them (ConnectPage, bot on).
type FacebookLogins struct {
	App   *App
	Store FacebookLoginStore
	// Dialog builds the dialog's address on DialogBase (Facebook's web host;
	// a fake's in tests).
	Dialog     DialogURLer
	DialogBase string
	// Lifetime bounds a login; DefaultLoginLifetime when zero.
	Lifetime time.Duration
}

func (l *FacebookLogins) lifetime() time.Duration { return orDefault(l.Lifetime, DefaultLoginLifetime) }

// Start opens a login for the session (known by the digest of its token)
// and returns the dialog's address to send the browser to. Its state is
// random and stored as a digest for this session only, so a callback
// forged by another site, or replayed in another browser, is refused.
// Logins abandoned earlier are swept here and at Finish (and a session's
// go with it, when it ends or is swept at a sign-in).
func (l *FacebookLogins) Start(ctx context.Context, sessionHash string, userID int64, redirectURI string) (string, error) {
	now := l.App.now()
	if err := l.sweep(ctx, now); err != nil {
		return "", err
	}
	state := xerochat.NewSessionToken()
	if err := l.Store.PutFacebookLogin(ctx, xerochat.HashSessionToken(state), sessionHash, userID, loginDialog, nil, now); err != nil {
		return "", err
	}
	return l.Dialog.DialogURL(l.DialogBase, redirectURI, state, xerochat.LoginPermissions), nil
}

// LoginCallback is what Facebook sent back to the redirect URI.
type LoginCallback struct {
	State string
	Code  string
	// Error is "access_denied" when the person cancelled the dialog.
	Error string
}

// LoginChoice is a finished login waiting for the member's choice: Key
// names it in the choice form (it is worth nothing without the session).
type LoginChoice struct {
	Key   string
	Pages []ChoosablePage
}

// ChoosablePage is one page the person manages, as the choice shows it.
type ChoosablePage struct {
	ID, Name string
	// CanMessage tells whether the person has the page's MESSAGING task;
	// without it the page cannot run a bot for them.
	CanMessage bool
	// Connected tells whether the member has connected the page already:
	// connecting it again refreshes its token.
	Connected bool
}

// Finish takes Facebook's answer to the dialog: a state not stored for
// this session, a cancelled dialog, missing permissions or a refusal of
// Facebook end the login with an EINVALID for the person (nothing is
// stored); otherwise the pages are kept server-side for the choice.
func (l *FacebookLogins) Finish(ctx context.Context, sessionHash string, userID int64, redirectURI string,
	cb LoginCallback) (*LoginChoice, error) {
	now := l.App.now()
	if cb.State == "" {
		return nil, &xerochat.Error{Code: xerochat.EINVALID, Message: MsgLoginState}
	}
	if _, err := l.Store.TakeFacebookLogin(ctx, xerochat.HashSessionToken(cb.State), sessionHash, userID, loginDialog,
		now.Add(-l.lifetime())); err != nil {
		return nil, refusedAs(err, MsgLoginState)
	}
	switch {
	case cb.Error == "access_denied":
		return nil, &xerochat.Error{Code: xerochat.EINVALID, Message: MsgLoginDeclined}
	case cb.Error != "":
		return nil, xerochat.Errorf(xerochat.EINVALID, MsgLoginFailed, cb.Error)
	case cb.Code == "":
		return nil, xerochat.Errorf(xerochat.EINVALID, MsgLoginFailed, "no code came back")
	}
	login, err := l.App.FinishFacebookLogin(ctx, cb.Code, redirectURI)
	if err != nil {
		return nil, err
	}
	if err := l.sweep(ctx, now); err != nil {
		return nil, err
	}
	key := xerochat.NewSessionToken()
	if err := l.Store.PutFacebookLogin(ctx, xerochat.HashSessionToken(key), sessionHash, userID, loginChoice, login.Pages, now); err != nil {
		return nil, err
	}
	choice := &LoginChoice{Key: key}
	for _, p := range login.Pages {
		_, err := l.App.Pages.FindUserPage(ctx, userID, p.ID)
		if err != nil && xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
			return nil, err
		}
		choice.Pages = append(choice.Pages, ChoosablePage{ID: p.ID, Name: p.Name,
			CanMessage: slices.Contains(p.Tasks, "MESSAGING"), Connected: err == nil})
	}
	return choice, nil
}

// PageConnection is the outcome of connecting one chosen page.
type PageConnection struct {
	PageID, Name string
	// Connected is set when the page is stored (Err may still tell that
	// subscribing the app failed).
	Connected *Connected
	Err       error
}

// Choose connects the pages the member ticked, with the page tokens kept
// for the choice named by key, each through ConnectPage with the bot on,
// and returns one outcome per page. The choice is used up whatever
// happens; a page the login did not list, or one without the MESSAGING
// task, is not connected.
func (l *FacebookLogins) Choose(ctx context.Context, sessionHash string, userID int64, key string, pageIDs []string) ([]PageConnection, error) {
	if len(pageIDs) == 0 {
		return nil, &xerochat.Error{Code: xerochat.EINVALID, Message: MsgLoginNone}
	}
	pages, err := l.Store.TakeFacebookLogin(ctx, xerochat.HashSessionToken(key), sessionHash, userID, loginChoice,
		l.App.now().Add(-l.lifetime()))
	if err != nil {
		return nil, refusedAs(err, MsgLoginChoice)
	}
	var out []PageConnection
	for _, p := range pages {
		if !slices.Contains(pageIDs, p.ID) || !slices.Contains(p.Tasks, "MESSAGING") {
			continue
		}
		res, err := l.App.ConnectPage(ctx, &xerochat.Page{UserID: userID, PageID: p.ID, Name: p.Name,
			AccessToken: p.AccessToken, BotEnabled: true})
		pc := PageConnection{PageID: p.ID, Name: p.Name, Err: err}
		if res != nil && res.Page != nil {
			pc.Connected = res
		}
		out = append(out, pc)
	}
	if len(out) == 0 {
		return nil, &xerochat.Error{Code: xerochat.EINVALID, Message: MsgLoginNone}
	}
	return out, nil
}

// sweep deletes the logins past their lifetime, page tokens and all.
func (l *FacebookLogins) sweep(ctx context.Context, now time.Time) error {
	return l.Store.DeleteFacebookLogins(ctx, now.Add(-l.lifetime()))
}

// refusedAs turns the store's not-found into a refusal with msg.
func refusedAs(err error, msg string) error {
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return &xerochat.Error{Code: xerochat.EINVALID, Message: msg}
	}
	return err
}
