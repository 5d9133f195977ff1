package xerochat

import (
	"context"
	"time"
)

// ContactGroup is a named list of contacts ("contact type" in the API).
type ContactGroup struct {
	ID        int64
	UserID    int64
	Name      string
	CreatedAt time.Time
	Deleted   bool
}

// Contact is an e-mail/phone entry of a user's address book. Email and
// PhoneNumber are "" when not set; at least one of them is set.
type Contact struct {
	ID            int64
	UserID        int64
	ContactTypeID int64
	FirstName     string
	LastName      string
	PhoneNumber   string
	Email         string
	Notes         string
	Unsubscribed  bool
	Deleted       bool
}

// ContactUpdate holds the fields an update sets; nil means "leave as is".
type ContactUpdate struct {
	FirstName   *string
	LastName    *string
	Email       *string
	PhoneNumber *string
}

// Messages of the contact rules, shared by the store (which enforces them
// under concurrency) and the API (which reports them).
const (
	MsgContactEmailBad    = "Please provide a valid email address"
	MsgContactEmailTaken  = "Please try with different email address"
	MsgContactPhoneTaken  = "Please try with different phone_number"
	MsgContactNotFound    = "The contact ID does not exist"
	MsgContactGroupAbsent = "The contact type ID does not exist"
	MsgContactGroupDenied = "You can NOT add the contact to the specified contact group"
)

// ContactService keeps contact groups and contacts. Every method is scoped to
// one user: a record of another user is ENOTFOUND, exactly like a missing one.
type ContactService interface {
	FindContactGroup(ctx context.Context, userID, id int64) (*ContactGroup, error)
	CreateContactGroup(ctx context.Context, userID int64, name string) (int64, error)
	RenameContactGroup(ctx context.Context, userID, id int64, name string) error
	DeleteContactGroup(ctx context.Context, userID, id int64) error

	FindContact(ctx context.Context, userID, id int64) (*Contact, error)
	// CreateContact stores c and returns its id. The group must be the user's
	// (ENOTFOUND, MsgContactGroupDenied); e-mail and phone must be unused among
	// the user's contacts (ECONFLICT, e-mail judged first).
	CreateContact(ctx context.Context, c *Contact) (int64, error)
	// UpdateContact applies upd. An e-mail or phone number already present
	// cannot change (EINVALID); uniqueness as in CreateContact.
	UpdateContact(ctx context.Context, userID, id int64, upd ContactUpdate) error
	DeleteContact(ctx context.Context, userID, id int64) error
}
