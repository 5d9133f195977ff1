package graph

import (
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

// kind classifies Facebook's verdict for the rest of xerochat.
func (e *Error) kind() string {
	switch {
	case e.Code == 190, e.Code == 102:
		// The token is invalid, expired or revoked (102 is the older
		// "API session" form of the same verdict); retrying will not
		// help until the person logs in and connects the page again.
		return xerochat.FacebookInvalidToken
	case e.Code == 4, e.Code == 17, e.Code == 32, e.Code == 613, e.Code >= 80000 && e.Code <= 80014:
		// Application, user or page limits, or a business-use-case limit.
		return xerochat.FacebookRateLimited
	case e.Code == 10 && e.Subcode == 2018278:
		// The person last wrote more than 24 hours ago, and no tag.
		return xerochat.FacebookOutsideWindow
	case e.HTTPStatus >= 500 && (e.Code == 1 || e.Code == 2 && e.Subcode != 2018344):
		// A server error "An unknown error occurred" or "Service
		// temporarily unavailable": Facebook asks to retry later, as after
		// an outage. (Code 2 with subcode 2018344 is a page without the
		// label terms accepted, which no retry mends; code 1 with HTTP 400
		// is a refusal, such as a wrong app secret.)
		return xerochat.FacebookUnreachable
	}
	return xerochat.FacebookRefused
}

// classified wraps Facebook's error in the domain's failure, which keeps it
// as the cause for logs and for errors.As.
func (e *Error) classified() error {
	return &xerochat.FacebookError{Kind: e.kind(), Message: e.Message, RetryAfter: e.RetryAfter, Err: e}
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

func (e *unreachableError) Unwrap() error { return e.Err }

// unreachable is the domain failure of a call that got no usable answer.
func unreachable(method, path string, cause error) error {
	return &xerochat.FacebookError{Kind: xerochat.FacebookUnreachable, Message: unreachableMessage,
		Err: &unreachableError{Method: method, Path: path, Err: cause}}
}
