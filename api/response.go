package api

import (
	"net/http"
	"strings"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/httpserver"
)

// success is the envelope of endpoints that answer only their status.
type success struct {
	Status string `json:"status"`
}

var ok = success{Status: "success"}

// streamed is returned by a handler that wrote its answer itself.
type streamed struct{}

// writeJSON and writeError are the one envelope writer of httpserver.
var (
	writeJSON  = httpserver.WriteJSON
	writeError = httpserver.WriteError
)

// respond writes a handler's outcome. Application errors are HTTP 200 with
// the error envelope, as the original answered and its clients expect;
// internal failures are logged with their cause and answered 500 with a
// message that reveals nothing.
func (s *Server) respond(c *call, out any, err error) {
	switch {
	case err == nil:
		if _, done := out.(streamed); !done {
			writeJSON(c.w, http.StatusOK, out)
		}
	case c.ctx.Err() != nil:
		// The client went away: not a fault of ours, and no one to answer.
		s.Logger.InfoContext(c.ctx, "api: client went away", "path", c.r.URL.Path, "err", err)
	case xerochat.ErrorCode(err) == xerochat.EINTERNAL:
		s.Logger.ErrorContext(c.ctx, "api: internal error", "path", c.r.URL.Path, "err", err)
		writeError(c.w, http.StatusInternalServerError, "Internal server error")
	case xerochat.ErrorCode(err) == xerochat.ETOOMANY:
		s.Logger.WarnContext(c.ctx, "api: limit reached", "path", c.r.URL.Path, "remote", clientIP(c.r), "reason", xerochat.ErrorMessage(err))
		c.w.Header().Set("Retry-After", "60")
		writeError(c.w, http.StatusTooManyRequests, xerochat.ErrorMessage(err))
	default:
		if xerochat.ErrorCode(err) == xerochat.EUNAVAILABLE {
			s.Logger.WarnContext(c.ctx, "api: facebook call failed", "path", c.r.URL.Path, "err", err)
		}
		writeError(c.w, http.StatusOK, xerochat.ErrorMessage(err))
	}
}

// auth checks the caller's key (api_key, or an Authorization: Bearer
// header) and, for Admin endpoints, the caller's type. Every failure but a
// missing key answers the same message, so keys cannot be probed. Once the
// key passes, a parameter that broke the encoding or length rules is
// reported: every endpoint checks the key first.
func (c *call) auth(admin bool) error {
	key := c.param("api_key")
	if key == "" {
		if h := c.r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			key = strings.TrimSpace(h[7:])
		}
	}
	if key == "" {
		return &xerochat.Error{Code: xerochat.EUNAUTHORIZED, Message: xerochat.MsgKeyRequired}
	}
	ip := clientIP(c.r)
	if c.s.keyFailures.blocked(ip) {
		return tooMany(msgKeyThrottled)
	}
	invalid := func() error {
		c.s.keyFailures.failed(ip)
		return &xerochat.Error{Code: xerochat.EUNAUTHORIZED, Message: xerochat.MsgKeyInvalid}
	}
	if len(key) > 128 {
		return invalid()
	}
	u, err := c.s.App.Users.FindUserByAPIKey(c.ctx, key)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return invalid()
	} else if err != nil {
		return err
	}
	now := c.s.Now()
	if !u.CanUseAPI(now.In(c.s.Location)) || admin && !u.IsAdmin() {
		return invalid()
	}
	// An API call is not a login: last_login_at and last_login_ip record
	// dashboard sign-ins, as in the original.
	c.user = u
	return c.badParam
}

// clientIP is the caller's address, as the trusted proxies tell it.
var clientIP = httpserver.ClientIP
