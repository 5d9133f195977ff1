// Package xerochat holds the domain of the xerochat server: the records it
// keeps (users, packages, pages, subscribers, labels, contacts, flow
// campaigns), the rules they obey, the error codes every layer shares and the
// service interfaces the storage layer implements.
//
// It imports nothing of this module and only the standard library, so that the
// storage, HTTP and Messenger layers can all depend on it and not on each other.
package xerochat

import (
	"errors"
	"fmt"
)

// Error codes. Every layer speaks in these; only the HTTP layer decides what a
// code means on the wire.
const (
	ECONFLICT     = "conflict"     // a uniqueness rule was broken
	EINTERNAL     = "internal"     // a fault of ours; details are logged, not shown
	EINVALID      = "invalid"      // the input breaks a validation rule
	ENOTFOUND     = "not_found"    // no such record for this caller
	EUNAUTHORIZED = "unauthorized" // the caller may not do this
	EUNAVAILABLE  = "unavailable"  // a remote service (Facebook) failed
	ETOOMANY      = "too_many"     // a limit on requests was reached; try again later
)

// Error is an application error: Code is for programs, Message is the text a
// client may see. The messages used by the /api layer are the exact strings of
// the XeroChat contract.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("xerochat %s: %s", e.Code, e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any other
// non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the client-safe message of an application error; any
// other error yields a generic text so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "Internal error"
	}
}
