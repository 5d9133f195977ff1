package fakegraph

import (
	"crypto/rand"
	"fmt"
	"path"
	"time"
)

// tokenLifetime is the expires_in Facebook answers for a user token from
// the server-side login flow and for a long-lived one: about 60 days.
const tokenLifetime = 5183944

// tokenInfo is what the fake knows of an access token.
type tokenInfo struct {
	value string
	// page is the page a page token acts for; nil for a user token.
	page *page
	// manager is the person a user token belongs to or a page token was
	// issued to; nil for the page tokens of AddPage, which no person holds.
	manager *manager
	// longLived is set on tokens from the fb_exchange_token exchange.
	longLived bool
	// dead is the error every call with the token answers once it has
	// been expired; nil while the token works.
	dead *FBError
}

// addToken runs with s.mu held.
func (s *Server) addToken(t *tokenInfo) { s.tokens[t.value] = t }

// mintToken makes a fresh token that looks like Facebook's; it runs with
// s.mu held.
func (s *Server) mintToken(t *tokenInfo) *tokenInfo {
	t.value = "EAAG" + rand.Text() + rand.Text()
	s.addToken(t)
	return t
}

// authorize is the token check of a route; it runs with s.mu held and
// fills in the request's page and manager.
func (s *Server) authorize(rq *request, a auth, id string) *FBError {
	if a == public {
		return nil
	}
	t := s.tokens[rq.token]
	if t == nil {
		e := ErrInvalidToken()
		return &e
	}
	if t.dead != nil {
		e := *t.dead
		return &e
	}
	rq.page, rq.manager = t.page, t.manager
	switch {
	case a == pageAuth && t.page == nil:
		return &FBError{HTTPStatus: 400, Code: 210, Type: "OAuthException",
			Message: "(#210) A page access token is required to request this resource."}
	case a == userAuth && t.page != nil:
		return paramError("Tried accessing nonexisting field (" + path.Base(rq.path) + ") on node type (Page)")
	}
	return nil
}

// ExpireToken ends a token, page or user, the way Facebook ends a session:
// from now on every call with it answers code 190 (subcode 463, "Session
// has expired"), so that tests can see the server notice a page that must
// be connected again. It panics on a token the fake never issued, which is
// a broken test.
func (s *Server) ExpireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[token]
	if t == nil {
		panic("fakegraph: ExpireToken: unknown token")
	}
	now := time.Now().UTC()
	const layout = "Monday, 02-Jan-06 15:04:05 MST"
	t.dead = &FBError{HTTPStatus: 400, Code: 190, Subcode: 463, Type: "OAuthException",
		Message: fmt.Sprintf("Error validating access token: Session has expired on %s. The current time is %s.",
			now.Add(-time.Second).Format(layout), now.Format(layout))}
}

// ChangePassword plays the person changing their Facebook password: every
// token they hold, user tokens and the page tokens issued to them, answers
// code 190 (subcode 460) from now on, and their unused login codes are
// void. Logging in again gives fresh tokens, page tokens included.
func (s *Server) ChangePassword(managerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustManager("ChangePassword", managerID)
	for _, t := range s.tokens {
		if t.manager == m {
			t.dead = &FBError{HTTPStatus: 400, Code: 190, Subcode: 460, Type: "OAuthException",
				Message: "Error validating access token: The session has been invalidated because the user " +
					"changed their password or Facebook has changed the session for security reasons."}
		}
	}
	for v, c := range s.codes {
		if c.manager == m {
			delete(s.codes, v)
		}
	}
}

// LongLived tells whether token came from the long-lived exchange
// (grant_type=fb_exchange_token), so that tests can check the server keeps
// that one rather than the short-lived token of the code exchange.
func (s *Server) LongLived(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[token]
	return t != nil && t.longLived
}

// oauthError is an error of oauth/access_token.
func oauthError(code, subcode int, msg string) *FBError {
	return &FBError{HTTPStatus: 400, Code: code, Subcode: subcode, Type: "OAuthException", Message: msg}
}

// accessToken is GET /oauth/access_token: the code exchange of Facebook
// Login, or the long-lived exchange with grant_type=fb_exchange_token. The
// errors are Facebook's: 101 for an unknown app, 1 for a wrong secret, 100
// for a bad code or redirect_uri.
func (s *Server) accessToken(rq *request, _ string) (any, *FBError) {
	p := rq.params
	if p.Get("client_id") != s.app.id {
		return nil, oauthError(101, 0, "Error validating application. Invalid application ID.")
	}
	if p.Get("client_secret") != s.app.secret {
		return nil, oauthError(1, 0, "Error validating client secret.")
	}
	var t *tokenInfo
	switch gt := p.Get("grant_type"); gt {
	case "", "authorization_code":
		var ferr *FBError
		if t, ferr = s.redeemCode(p.Get("code"), p.Get("redirect_uri")); ferr != nil {
			return nil, ferr
		}
	case "fb_exchange_token":
		old := s.tokens[p.Get("fb_exchange_token")]
		switch {
		case old != nil && old.dead != nil:
			e := *old.dead
			return nil, &e
		case old == nil || old.page != nil || old.manager == nil:
			return nil, oauthError(190, 0, "Invalid OAuth access token.")
		}
		t = s.mintToken(&tokenInfo{manager: old.manager, longLived: true})
	default:
		return nil, oauthError(100, 0, fmt.Sprintf("Invalid grant_type: '%s'. Supported types: "+
			"authorization_code, client_credentials, fb_exchange_token", gt))
	}
	return map[string]any{"access_token": t.value, "token_type": "bearer", "expires_in": tokenLifetime}, nil
}

// redeemCode turns a login code into a user token, once; it runs with s.mu
// held.
func (s *Server) redeemCode(value, redirectURI string) (*tokenInfo, *FBError) {
	if value == "" {
		return nil, oauthError(100, 0, "Missing authorization code")
	}
	if redirectURI == "" {
		return nil, oauthError(100, 0, "Missing redirect_uri parameter.")
	}
	c := s.codes[value]
	switch {
	case c == nil:
		return nil, oauthError(100, 0, "Invalid verification code format.")
	case c.used:
		return nil, oauthError(100, 36009, "This authorization code has been used.")
	case !time.Now().Before(c.expires):
		return nil, oauthError(100, 36007, "This authorization code has expired.")
	case c.redirectURI != redirectURI:
		return nil, oauthError(100, 36008, "Error validating verification code. Please make sure your "+
			"redirect_uri is identical to the one you used in the OAuth dialog request")
	}
	c.used = true
	return s.mintToken(&tokenInfo{manager: c.manager}), nil
}
