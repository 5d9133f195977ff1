package app

import (
	"context"
	"slices"
	"strings"

	"github.com/xerochat/xerochat"
)

// Messages of connecting pages with Facebook Login.
const (
	MsgLoginDeclined   = "You cancelled the Facebook login, so no page was connected."
	MsgLoginPermission = "Facebook did not grant every permission xerochat needs (missing: %s). Connect again and keep them all ticked."
	MsgLoginNoPages    = "Facebook lists no page you manage."
	MsgLoginFailed     = "Facebook refused the login (%s). Try connecting again."
)

// FacebookLogin is a finished Facebook Login: the pages the person manages,
// each with the page token a long-lived user token gives.
type FacebookLogin struct {
	Pages []xerochat.FacebookPage
}

// FinishFacebookLogin turns the code Facebook Login sent back to
// redirectURI into the person's pages: it exchanges the code, exchanges the
// user token for a long-lived one (so that the page tokens do not expire
// on their own), checks the permissions Messenger needs and lists the pages,
// following Facebook's paging. Errors are EINVALID with a message for the
// person.
func (a *App) FinishFacebookLogin(ctx context.Context, code, redirectURI string) (*FacebookLogin, error) {
	short, err := a.Facebook.ExchangeCode(ctx, code, redirectURI)
	if err != nil {
		return nil, loginRefused(err)
	}
	token, err := a.Facebook.LongLivedToken(ctx, short)
	if err != nil {
		return nil, loginRefused(err)
	}
	granted, err := a.Facebook.Permissions(ctx, token)
	if err != nil {
		return nil, loginRefused(err)
	}
	var missing []string
	for _, p := range xerochat.LoginPermissions {
		if !slices.Contains(granted, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, xerochat.Errorf(xerochat.EINVALID, MsgLoginPermission, strings.Join(missing, ", "))
	}
	pages, err := a.Facebook.UserPages(ctx, token)
	if err != nil {
		return nil, loginRefused(err)
	}
	if len(pages) == 0 {
		return nil, &xerochat.Error{Code: xerochat.EINVALID, Message: MsgLoginNoPages}
	}
	return &FacebookLogin{Pages: pages}, nil
}

func loginRefused(err error) error {
	if xerochat.FacebookErrorKind(err) == "" {
		return err
	}
	return xerochat.Errorf(xerochat.EINVALID, MsgLoginFailed, xerochat.ErrorMessage(err))
}
