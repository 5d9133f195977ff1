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
	id, err := c.idParam("contact_type_id", xerochat.MsgContactGroupIDRequired, xerochat.MsgContactGroupAbsent)
	if err != nil {
		return nil, err
	}
	g, err := s.App.Contacts.FindContactGroup(c.ctx, c.user.ID, id)
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
		return nil, invalid(xerochat.MsgContactGroupNameRequired)
	}
	id, err := s.App.Contacts.CreateContactGroup(c.ctx, c.user.ID, c.param("name"))
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
		return nil, invalid(xerochat.MsgContactGroupIDBad)
	}
	if !c.has("name") {
		return nil, invalid(xerochat.MsgContactGroupNameRequired)
	}
	err := s.App.Contacts.RenameContactGroup(c.ctx, c.user.ID, id, c.param("name"))
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		// The original's text, for a missing group and another user's alike.
		return nil, &xerochat.Error{Code: xerochat.ENOTFOUND, Message: xerochat.MsgContactGroupNoPermission}
	} else if err != nil {
		return nil, err
	}
	return ok, nil
}

func (s *Server) deleteContactGroup(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	id, err := c.idParam("contact_type_id", xerochat.MsgContactGroupIDField, xerochat.MsgContactGroupAbsent)
	if err != nil {
		return nil, err
	}
	if err := s.App.Contacts.DeleteContactGroup(c.ctx, c.user.ID, id); err != nil {
		return nil, err
	}
	return deleted(xerochat.MsgContactGroupDeleted, id), nil
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
	id, err := c.idParam("contact_id", xerochat.MsgContactIDField, xerochat.MsgContactNotFound)
	if err != nil {
		return nil, err
	}
	ct, err := s.App.Contacts.FindContact(c.ctx, c.user.ID, id)
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
	if !c.hasID("contact_type_id") {
		return nil, invalid(xerochat.MsgContactGroupRequired)
	}
	group, valid := parseID(c.param("contact_type_id"))
	if !valid {
		return nil, notFound(xerochat.MsgContactGroupDenied)
	}
	id, err := s.App.CreateContact(c.ctx, &xerochat.Contact{
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
		return nil, invalid(xerochat.MsgContactIDRequired)
	}
	id, valid := parseID(c.pathID)
	if !valid {
		return nil, notFound(xerochat.MsgContactNotFound)
	}
	var upd xerochat.ContactUpdate
	upd.FirstName, upd.LastName, upd.Email, upd.PhoneNumber = c.optional("first_name"), c.optional("last_name"), c.optional("email"), c.optional("phone_number")
	if err := s.App.UpdateContact(c.ctx, c.user.ID, id, upd); err != nil {
		return nil, err
	}
	return ok, nil
}

func (s *Server) deleteContact(c *call) (any, error) {
	if err := c.auth(false); err != nil {
		return nil, err
	}
	id, err := c.idParam("contact_id", xerochat.MsgContactIDField, xerochat.MsgContactNotFound)
	if err != nil {
		return nil, err
	}
	if err := s.App.Contacts.DeleteContact(c.ctx, c.user.ID, id); err != nil {
		return nil, err
	}
	return deleted(xerochat.MsgContactDeleted, id), nil
}
