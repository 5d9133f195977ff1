package app

import (
	"context"

	"github.com/xerochat/xerochat"
)

// CreateContact stores a new contact in one of the user's groups. The
// checks run in the contract's order: the group first (another user's group
// and a missing one are the same refusal), then the contact's own rules
// (xerochat.Contact.Validate), then uniqueness, which the store judges
// inside the transaction that writes.
func (a *App) CreateContact(ctx context.Context, c *xerochat.Contact) (int64, error) {
	if err := checkOwnGroup(ctx, a.Contacts, c.UserID, c.ContactTypeID); err != nil {
		return 0, err
	}
	if err := c.Validate(); err != nil {
		return 0, err
	}
	return a.Contacts.CreateContact(ctx, c)
}

// checkOwnGroup refuses a contact group that is not the user's: another
// user's group and a missing one get the same answer, so that none tells
// another user's group exists.
func checkOwnGroup(ctx context.Context, contacts xerochat.ContactService, userID, groupID int64) error {
	_, err := contacts.FindContactGroup(ctx, userID, groupID)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgContactGroupDenied}
	}
	return err
}

// UpdateContact changes the user's contact: the contact must exist, the
// update must set something, and the change rules of xerochat.Contact.Apply
// are judged by the store on the row it writes.
func (a *App) UpdateContact(ctx context.Context, userID, id int64, upd xerochat.ContactUpdate) error {
	if _, err := a.Contacts.FindContact(ctx, userID, id); err != nil {
		return err
	}
	if upd.Empty() {
		return &xerochat.Error{Code: xerochat.EINVALID, Message: xerochat.MsgContactNoUpdate}
	}
	return a.Contacts.UpdateContact(ctx, userID, id, upd)
}
