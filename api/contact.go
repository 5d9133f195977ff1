package api

import (
	"fmt"

	"github.com/xerochat/xerochat"
)

func notFound(msg string) error { return &xerochat.Error{Code: xerochat.ENOTFOUND, Message: msg} }

type contactGroupRow struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	Type      string `json:"type"`
	CreatedAt string `json:"created_at"`
	Deleted   string `json:"deleted"`
}

func (s *Server) getContactGroup(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	id, err := c.idParam("contact_type_id", "The contact type ID is required", xerochat.MsgContactGroupAbsent)
	if err != nil {
		return nil, err
	}
	g, err := s.Contacts.FindContactGroup(c.ctx, c.user.ID, id)
	if err != nil {
		return nil, err
	}
	return contactGroupRow{ID: itoa(g.ID), UserID: itoa(g.UserID), Type: g.Name, CreatedAt: c.datetime(g.CreatedAt), Deleted: flagText(g.Deleted)}, nil
}

func (s *Server) createContactGroup(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("name") {
		return nil, invalid("The contact type name is required")
	}
	id, err := s.Contacts.CreateContactGroup(c.ctx, c.user.ID, c.param("name"))
	if err != nil {
		return nil, err
	}
	return struct {
		Status        string `json:"status"`
		ContactTypeID int64  `json:"contact_type_id"`
	}{"success", id}, nil
}

func (s *Server) updateContactGroup(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	id, valid := parseID(c.pathID)
	if !valid {
		return nil, invalid("Invalid contact type ID provided")
	}
	if !c.has("name") {
		return nil, invalid("The contact type name is required")
	}
	if err := s.Contacts.RenameContactGroup(c.ctx, c.user.ID, id, c.param("name")); err != nil {
		return nil, err
	}
	return ok, nil
}

func (s *Server) deleteContactGroup(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	id, err := c.idParam("contact_type_id", "The contact_type_id field is required", xerochat.MsgContactGroupAbsent)
	if err != nil {
		return nil, err
	}
	if err := s.Contacts.DeleteContactGroup(c.ctx, c.user.ID, id); err != nil {
		return nil, err
	}
	return deleted("The contact type ID (%d) has been deleted", id), nil
}

func deleted(format string, id int64) any {
	return struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}{"success", fmt.Sprintf(format, id)}
}

type contactRow struct {
	ID            string `json:"id"`
	UserID        string `json:"user_id"`
	ContactTypeID string `json:"contact_type_id"`
	FirstName     string `json:"first_name"`
	LastName      string `json:"last_name"`
	PhoneNumber   string `json:"phone_number"`
	Email         string `json:"email"`
	Notes         string `json:"notes"`
	Unsubscribed  string `json:"unsubscribed"`
	Deleted       string `json:"deleted"`
}

func (s *Server) getContact(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	id, err := c.idParam("contact_id", "The contact_id field is required", xerochat.MsgContactNotFound)
	if err != nil {
		return nil, err
	}
	ct, err := s.Contacts.FindContact(c.ctx, c.user.ID, id)
	if err != nil {
		return nil, err
	}
	return contactRow{
		ID: itoa(ct.ID), UserID: itoa(ct.UserID), ContactTypeID: itoa(ct.ContactTypeID),
		FirstName: ct.FirstName, LastName: ct.LastName, PhoneNumber: ct.PhoneNumber, Email: ct.Email,
		Notes: ct.Notes, Unsubscribed: flagText(ct.Unsubscribed), Deleted: flagText(ct.Deleted),
	}, nil
}

func (s *Server) createContact(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if !c.has("contact_type_id") {
		return nil, invalid("The contact_type_id is required")
	}
	group, valid := parseID(c.param("contact_type_id"))
	if !valid {
		return nil, notFound(xerochat.MsgContactGroupDenied)
	}
	if _, err := s.Contacts.FindContactGroup(c.ctx, c.user.ID, group); xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return nil, notFound(xerochat.MsgContactGroupDenied)
	} else if err != nil {
		return nil, err
	}
	if !c.has("email") && !c.has("phone_number") {
		return nil, invalid("The email or phone_number is required")
	}
	if c.has("email") && !xerochat.ValidEmail(c.param("email")) {
		return nil, invalid(xerochat.MsgContactEmailBad)
	}
	id, err := s.Contacts.CreateContact(c.ctx, &xerochat.Contact{
		UserID: c.user.ID, ContactTypeID: group, Email: c.param("email"), PhoneNumber: c.param("phone_number"),
		FirstName: c.param("first_name"), LastName: c.param("last_name"),
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Status       string `json:"status"`
		NewContactID int64  `json:"new_contact_id"`
	}{"success", id}, nil
}

func (s *Server) updateContact(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	if c.pathID == "" {
		return nil, invalid("The contact ID is required")
	}
	id, valid := parseID(c.pathID)
	if !valid {
		return nil, notFound(xerochat.MsgContactNotFound)
	}
	if _, err := s.Contacts.FindContact(c.ctx, c.user.ID, id); err != nil {
		return nil, err
	}
	var upd xerochat.ContactUpdate
	upd.FirstName, upd.LastName, upd.Email, upd.PhoneNumber = c.optional("first_name"), c.optional("last_name"), c.optional("email"), c.optional("phone_number")
	if upd.FirstName == nil && upd.LastName == nil && upd.Email == nil && upd.PhoneNumber == nil {
		return nil, invalid("You should at least provide value for first name or last name or email or phone number")
	}
	// The store judges the change rules and validity in the contract's
	// order, inside the transaction that writes.
	if err := s.Contacts.UpdateContact(c.ctx, c.user.ID, id, upd); err != nil {
		return nil, err
	}
	return ok, nil
}

func (s *Server) deleteContact(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	id, err := c.idParam("contact_id", "The contact_id field is required", xerochat.MsgContactNotFound)
	if err != nil {
		return nil, err
	}
	if err := s.Contacts.DeleteContact(c.ctx, c.user.ID, id); err != nil {
		return nil, err
	}
	return deleted("The contact ID (%d) has been deleted", id), nil
}
