package sqlstore

import (
	"context"
	"errors"

	"github.com/xerochat/xerochat"
)

func findContactGroup(ctx context.Context, c conn, userID, id int64) (*xerochat.ContactGroup, error) {
	var g xerochat.ContactGroup
	var created int64
	var deleted int
	err := c.queryRow(ctx, `SELECT id, user_id, name, created_at, deleted FROM contact_groups
		WHERE id = ? AND user_id = ? AND deleted = 0`, id, userID).Scan(&g.ID, &g.UserID, &g.Name, &created, &deleted)
	if err != nil {
		return nil, notFound(err, xerochat.MsgContactGroupAbsent)
	}
	g.CreatedAt, g.Deleted = unix(created), deleted == 1
	return &g, nil
}

// FindContactGroup returns the user's group.
func (db *DB) FindContactGroup(ctx context.Context, userID, id int64) (*xerochat.ContactGroup, error) {
	return findContactGroup(ctx, db.read(), userID, id)
}

// CreateContactGroup stores a new group and returns its id.
func (db *DB) CreateContactGroup(ctx context.Context, userID int64, name string) (int64, error) {
	return db.write().insert(ctx, `INSERT INTO contact_groups (user_id, name, created_at) VALUES (?, ?, ?)`,
		userID, name, db.now())
}

// RenameContactGroup changes the name of the user's group.
func (db *DB) RenameContactGroup(ctx context.Context, userID, id int64, name string) error {
	res, err := db.write().exec(ctx, `UPDATE contact_groups SET name = ? WHERE id = ? AND user_id = ? AND deleted = 0`,
		name, id, userID)
	return affectedOne(res, err, xerochat.MsgContactGroupAbsent)
}

// DeleteContactGroup marks the user's group deleted; its contacts stay.
func (db *DB) DeleteContactGroup(ctx context.Context, userID, id int64) error {
	res, err := db.write().exec(ctx, `UPDATE contact_groups SET deleted = 1 WHERE id = ? AND user_id = ? AND deleted = 0`,
		id, userID)
	return affectedOne(res, err, xerochat.MsgContactGroupAbsent)
}

const contactColumns = `id, user_id, contact_type_id, first_name, last_name, phone_number, email, notes, unsubscribed, deleted`

func findContact(ctx context.Context, c conn, userID, id int64) (*xerochat.Contact, error) {
	var ct xerochat.Contact
	var unsub, deleted int
	err := c.queryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = ? AND user_id = ? AND deleted = 0`, id, userID).
		Scan(&ct.ID, &ct.UserID, &ct.ContactTypeID, &ct.FirstName, &ct.LastName, &ct.PhoneNumber, &ct.Email, &ct.Notes, &unsub, &deleted)
	if err != nil {
		return nil, notFound(err, xerochat.MsgContactNotFound)
	}
	ct.Unsubscribed, ct.Deleted = unsub == 1, deleted == 1
	return &ct, nil
}

// FindContact returns the user's contact.
func (db *DB) FindContact(ctx context.Context, userID, id int64) (*xerochat.Contact, error) {
	return findContact(ctx, db.read(), userID, id)
}

// checkContactUnique looks for another live contact of the user with the same
// e-mail or phone, e-mail first, so that the answer does not depend on which
// index a racing insert trips. The unique indexes remain the final guard.
// Each query repeats its index's condition (a non-empty value, not deleted):
// SQLite uses a partial index only when the query's own terms imply it,
// and reads the whole table otherwise.
func checkContactUnique(ctx context.Context, c conn, userID, exceptID int64, email, phone string) error {
	var one int
	if email != "" {
		err := c.queryRow(ctx, `SELECT 1 FROM contacts
			WHERE user_id = ? AND email_key = ? AND email_key <> '' AND deleted = 0 AND id <> ?`,
			userID, xerochat.NormalizeEmail(email), exceptID).Scan(&one)
		if err == nil {
			return &xerochat.Error{Code: xerochat.ECONFLICT, Message: xerochat.MsgContactEmailTaken}
		} else if !isNoRows(err) {
			return err
		}
	}
	if phone != "" {
		err := c.queryRow(ctx, `SELECT 1 FROM contacts
			WHERE user_id = ? AND phone_number = ? AND phone_number <> '' AND deleted = 0 AND id <> ?`,
			userID, phone, exceptID).Scan(&one)
		if err == nil {
			return &xerochat.Error{Code: xerochat.ECONFLICT, Message: xerochat.MsgContactPhoneTaken}
		} else if !isNoRows(err) {
			return err
		}
	}
	return nil
}

// contactConflict translates a unique-index failure into the contract message.
func contactConflict(err error) error {
	switch {
	case uniqueViolation(err, "email_key"):
		return &xerochat.Error{Code: xerochat.ECONFLICT, Message: xerochat.MsgContactEmailTaken}
	case uniqueViolation(err, "phone_number"):
		return &xerochat.Error{Code: xerochat.ECONFLICT, Message: xerochat.MsgContactPhoneTaken}
	}
	return err
}

// CreateContact stores a contact in one of the user's groups.
//
// The insert checks the group and the uniqueness itself, so that a create
// is one statement: one round trip on PostgreSQL, without BEGIN and
// COMMIT. Only when it inserts nothing are the checks run one by one, in
// the contract's order, to tell why.
func (db *DB) CreateContact(ctx context.Context, ct *xerochat.Contact) (int64, error) {
	for range 3 {
		id, err := db.write().insert(ctx, insertContact, insertContactArgs(ct)...)
		if !isNoRows(err) {
			return id, contactConflict(err)
		}
		c := db.read()
		if _, err := findContactGroup(ctx, c, ct.UserID, ct.ContactTypeID); err != nil {
			if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
				return 0, &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgContactGroupDenied}
			}
			return 0, err
		}
		if err := checkContactUnique(ctx, c, ct.UserID, 0, ct.Email, ct.PhoneNumber); err != nil {
			return 0, err
		}
		// What refused the insert changed since (a contact deleted, say):
		// try again.
	}
	return 0, errors.New("create contact: refused, and no check tells why")
}

// insertContactArgs are insertContact's arguments for ct.
func insertContactArgs(ct *xerochat.Contact) []any {
	emailKey := xerochat.NormalizeEmail(ct.Email)
	return []any{ct.UserID, ct.ContactTypeID, ct.FirstName, ct.LastName, ct.PhoneNumber, ct.Email, emailKey,
		ct.ContactTypeID, ct.UserID, ct.UserID, emailKey, ct.UserID, ct.PhoneNumber}
}

// insertContact inserts a contact if its group is the user's and live,
// and no live contact of the user has its e-mail or phone number. The
// uniqueness terms repeat the partial indexes' conditions, as in
// checkContactUnique, so that SQLite uses them.
const insertContact = `INSERT INTO contacts (user_id, contact_type_id, first_name, last_name, phone_number, email, email_key)
	SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT)
	WHERE EXISTS (SELECT 1 FROM contact_groups WHERE id = ? AND user_id = ? AND deleted = 0)
	AND NOT EXISTS (SELECT 1 FROM contacts WHERE user_id = ? AND email_key = ? AND email_key <> '' AND deleted = 0)
	AND NOT EXISTS (SELECT 1 FROM contacts WHERE user_id = ? AND phone_number = ? AND phone_number <> '' AND deleted = 0)`

// UpdateContact applies upd to the user's contact by the domain's rules
// (xerochat.Contact.Apply), judged on the row as the transaction reads it.
func (db *DB) UpdateContact(ctx context.Context, userID, id int64, upd xerochat.ContactUpdate) error {
	return db.inTx(ctx, func(c conn) error {
		cur, err := findContact(ctx, c, userID, id)
		if err != nil {
			return err
		}
		next, err := cur.Apply(upd)
		if err != nil {
			return err
		}
		if err := checkContactUnique(ctx, c, userID, id, next.Email, next.PhoneNumber); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE contacts SET first_name = ?, last_name = ?, email = ?, email_key = ?, phone_number = ?
			WHERE id = ? AND user_id = ?`, next.FirstName, next.LastName, next.Email, xerochat.NormalizeEmail(next.Email),
			next.PhoneNumber, id, userID)
		return contactConflict(err)
	})
}

// DeleteContact marks the user's contact deleted, freeing its e-mail/phone.
func (db *DB) DeleteContact(ctx context.Context, userID, id int64) error {
	res, err := db.write().exec(ctx, `UPDATE contacts SET deleted = 1 WHERE id = ? AND user_id = ? AND deleted = 0`, id, userID)
	return affectedOne(res, err, xerochat.MsgContactNotFound)
}
