package graph

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
)

// unreachableMessage is the text a client sees when Facebook gave no usable
// answer at all; it is deliberately vague because the cause is ours to log.
const unreachableMessage = "Facebook could not be reached, try again later"

// Error is a failure that Facebook reported in its error envelope
// {"error":{"message","type","code","error_subcode","fbtrace_id"}}. It keeps
// every field because support requests to Meta need the code, subcode and
// trace id, while the rest of xerochat only needs the message.
type Error struct {
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string
	Message    string
	FBTraceID  string
	// Method and Path name the call without the version and without the
	// query, so that the access token can never end up in the text.
	Method string
	Path   string
	// RetryAfter is how long Facebook says a throttled caller must wait,
	// taken from estimated_time_to_regain_access in the
	// X-Business-Use-Case-Usage header; zero when Facebook did not say.
	RetryAfter time.Duration
}

// Error names the call and Facebook's verdict, for logs.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: %s %s: HTTP %d, code %d", e.Method, e.Path, e.HTTPStatus, e.Code)
	if e.Subcode != 0 {
		fmt.Fprintf(&b, "/%d", e.Subcode)
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	if e.FBTraceID != "" {
		fmt.Fprintf(&b, " (fbtrace_id %s)", e.FBTraceID)
	}
	return b.String()
}

// Unwrap exposes the failure as a domain error, so that the API layer can pass
// Facebook's own text on with xerochat.ErrorMessage without knowing this
// package.
func (e *Error) Unwrap() error {
	return &xerochat.Error{Code: xerochat.EUNAVAILABLE, Message: e.Message}
}

// unreachableError is a call that got no answer Facebook could have meant:
// the connection failed, timed out, or the body was not Graph JSON. Clients
// only see unreachableMessage; the cause is kept for logs and for errors.Is
// (context.DeadlineExceeded, for instance).
type unreachableError struct {
	Method string
	Path   string
	Err    error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("graph: %s %s: Facebook could not be reached: %v", e.Method, e.Path, e.Err)
}

func (e *unreachableError) Unwrap() []error {
	return []error{&xerochat.Error{Code: xerochat.EUNAVAILABLE, Message: unreachableMessage}, e.Err}
}

// asError finds Facebook's error in err's chain.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsRateLimit reports whether Facebook throttled the call: the application,
// user or page limits (4, 17, 32, 613) or a business-use-case limit
// (80000–80014). The caller should back off and retry later.
func IsRateLimit(err error) bool {
	e, ok := asError(err)
	if !ok {
		return false
	}
	switch {
	case e.Code == 4, e.Code == 17, e.Code == 32, e.Code == 613:
		return true
	case e.Code >= 80000 && e.Code <= 80014:
		return true
	}
	return false
}

// IsInvalidToken reports whether the page token is invalid or expired (code
// 190); retrying will not help until the page is connected again.
func IsInvalidToken(err error) bool {
	e, ok := asError(err)
	return ok && e.Code == 190
}

// IsOutsideWindow reports whether Facebook refused a message because the
// person last wrote more than 24 hours ago and the message carried no tag.
func IsOutsideWindow(err error) bool {
	e, ok := asError(err)
	return ok && e.Code == 10 && e.Subcode == 2018278
}
