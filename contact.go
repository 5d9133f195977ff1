package xerochat

import (
	"context"
	"strings"
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

// Validate checks a new contact the way the contract orders it: an e-mail
// or a phone number is required, and an e-mail must be valid.
func (c *Contact) Validate() error {
	if c.Email == "" && c.PhoneNumber == "" {
		return &Error{Code: EINVALID, Message: MsgContactEmailOrPhone}
	}
	if c.Email != "" && !ValidEmail(c.Email) {
		return &Error{Code: EINVALID, Message: MsgContactEmailBad}
	}
	return nil
}

// Apply returns the contact as upd changes it. An e-mail or phone number
// already present can never change (sending the same value again, the
// e-mail in any case, is no change); a new e-mail must be valid.
func (c Contact) Apply(upd ContactUpdate) (Contact, error) {
	if upd.Email != nil && c.Email != "" && !strings.EqualFold(*upd.Email, c.Email) {
		return c, &Error{Code: EINVALID, Message: MsgContactEmailFixed}
	}
	if upd.PhoneNumber != nil && c.PhoneNumber != "" && *upd.PhoneNumber != c.PhoneNumber {
		return c, &Error{Code: EINVALID, Message: MsgContactPhoneFixed}
	}
	if upd.Email != nil && !ValidEmail(*upd.Email) {
		return c, &Error{Code: EINVALID, Message: MsgContactEmailBad}
	}
	if upd.FirstName != nil {
		c.FirstName = *upd.FirstName
	}
	if upd.LastName != nil {
		c.LastName = *upd.LastName
	}
	if upd.Email != nil && c.Email == "" {
		c.Email = *upd.Email
	}
	if upd.PhoneNumber != nil && c.PhoneNumber == "" {
		c.PhoneNumber = *upd.PhoneNumber
	}
	return c, nil
}

// Empty reports whether the update sets nothing.
func (upd ContactUpdate) Empty() bool {
	return upd.FirstName == nil && upd.LastName == nil && upd.Email == nil && upd.PhoneNumber == nil
}

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
	// UpdateContact applies upd with Contact.Apply inside the transaction
	// that writes; uniqueness as in CreateContact.
	UpdateContact(ctx context.Context, userID, id int64, upd ContactUpdate) error
	DeleteContact(ctx context.Context, userID, id int64) error
}
