package xerochat

import "context"

// Facebook is what xerochat asks of the Graph API, with a page's access
// token. The graph package implements it over HTTP. A failure reported by
// Facebook is an error that errors.As finds as *Error with code EUNAVAILABLE
// and Facebook's own error text as Message (e.g. "(#100) The user ID is not
// valid."), so the API can pass that text on unchanged.
type Facebook interface {
	// CreateLabel makes a page label and returns its Facebook id. Facebook
	// does not deduplicate names: each call makes a new label.
	CreateLabel(ctx context.Context, pageToken, pageID, name string) (string, error)
	// AssignLabel puts a label on the person with that PSID.
	AssignLabel(ctx context.Context, pageToken, labelID, psid string) error
}
