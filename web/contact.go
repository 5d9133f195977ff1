package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
)

// contactsPerPage is how many contacts one page of a group lists.
const contactsPerPage = 50

// pathID reads a numeric path segment; anything else is "not found".
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

type groupsData struct {
	Groups []*xerochat.ContactGroup
	Counts []int64
}

// contactGroups lists the member's contact groups with the forms to add,
// rename and delete them.
func (s *Server) contactGroups(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderGroups(w, r, http.StatusOK, v)
}

func (s *Server) renderGroups(w http.ResponseWriter, r *http.Request, status int, v *view) {
	groups, counts, err := s.Lists.ListContactGroups(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Title, v.Nav, v.Data = "Contact groups", "contacts", groupsData{Groups: groups, Counts: counts}
	s.renderStatus(w, r, status, "groups", v)
}

// createGroup adds a group; a name is required, as create_contact_group
// requires it, with the same message.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, v *view) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		v.Errors = map[string]string{"name": xerochat.MsgContactGroupNameRequired}
		s.renderGroups(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	id, err := s.App.Contacts.CreateContactGroup(r.Context(), v.User.ID, name)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/contacts/groups/"+strconv.FormatInt(id, 10), "Group "+name+" created.")
}

// renameGroup renames the member's group; another member's is not found.
func (s *Server) renameGroup(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		v.Errors = map[string]string{"rename-" + strconv.FormatInt(id, 10): xerochat.MsgContactGroupNameRequired}
		s.renderGroups(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err := s.App.Contacts.RenameContactGroup(r.Context(), v.User.ID, id, name); err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/contacts", "Group renamed to "+name+".")
}

// deleteGroup deletes the group; its contacts stay, as delete_contact_group
// keeps them.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	if err := s.App.Contacts.DeleteContactGroup(r.Context(), v.User.ID, id); err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/contacts", strings.Replace(xerochat.MsgContactGroupDeleted, "%d", strconv.FormatInt(id, 10), 1))
}

type groupData struct {
	Group    *xerochat.ContactGroup
	Contacts []*xerochat.Contact
	Search   string
	// NextAfter is the id the next page starts after; 0 on the last page.
	NextAfter int64
	Jobs      []*xerochat.CSVJob
}

// group lists one group's contacts: searchable, a page at a time by id.
func (s *Server) group(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderGroup(w, r, http.StatusOK, v)
}

func (s *Server) renderGroup(w http.ResponseWriter, r *http.Request, status int, v *view) {
	ctx := r.Context()
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	g, err := s.App.Contacts.FindContactGroup(ctx, v.User.ID, id)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	search := strings.TrimSpace(r.URL.Query().Get("q"))
	contacts, more, err := s.Lists.ListContacts(ctx, v.User.ID, xerochat.ContactQuery{GroupID: id, Search: search,
		After: after, Limit: contactsPerPage})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	jobs, err := s.Imports.Jobs.ListCSVJobs(ctx, v.User.ID, id, 5)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	d := groupData{Group: g, Contacts: contacts, Search: search, Jobs: jobs}
	if more {
		d.NextAfter = contacts[len(contacts)-1].ID
	}
	v.Title, v.Nav, v.Data = g.Name, "contacts", d
	s.renderStatus(w, r, status, "group", v)
}

// contactForm reads the contact fields of a form.
func contactForm(r *http.Request) url.Values {
	f := url.Values{}
	for _, k := range []string{"first_name", "last_name", "email", "phone_number"} {
		f.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	return f
}

// contactField says which input a contact rule's message concerns.
var contactField = map[string]string{
	xerochat.MsgContactEmailOrPhone: "email",
	xerochat.MsgContactEmailBad:     "email",
	xerochat.MsgContactEmailTaken:   "email",
	xerochat.MsgContactEmailFixed:   "email",
	xerochat.MsgContactPhoneTaken:   "phone_number",
	xerochat.MsgContactPhoneFixed:   "phone_number",
	xerochat.MsgContactNoUpdate:     "first_name",
}

func contactErrors(err error) map[string]string {
	field, ok := contactField[xerochat.ErrorMessage(err)]
	if !ok {
		field = "email"
	}
	return fieldError(field, err)
}

// createContact adds a contact to the group through app.CreateContact:
// the rules and messages of create_contact.
func (s *Server) createContact(w http.ResponseWriter, r *http.Request, v *view) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return
	}
	f := contactForm(r)
	_, err := s.App.CreateContact(r.Context(), &xerochat.Contact{UserID: v.User.ID, ContactTypeID: id,
		FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"), PhoneNumber: f.Get("phone_number")})
	if xerochat.ErrorMessage(err) == xerochat.MsgContactGroupDenied {
		s.notFound(w, r, v)
		return
	}
	if isAppError(err) {
		v.Form, v.Errors = f, contactErrors(err)
		s.renderGroup(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/contacts/groups/"+strconv.FormatInt(id, 10), "Contact added.")
}

// contact shows the edit form of one of the member's contacts.
func (s *Server) contact(w http.ResponseWriter, r *http.Request, v *view) {
	c, ok := s.findContact(w, r, v)
	if !ok {
		return
	}
	v.Form = url.Values{"first_name": {c.FirstName}, "last_name": {c.LastName}, "email": {c.Email}, "phone_number": {c.PhoneNumber}}
	s.renderContact(w, r, http.StatusOK, v, c)
}

func (s *Server) findContact(w http.ResponseWriter, r *http.Request, v *view) (*xerochat.Contact, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r, v)
		return nil, false
	}
	c, err := s.App.Contacts.FindContact(r.Context(), v.User.ID, id)
	if err != nil {
		s.fail(w, r, v, err)
		return nil, false
	}
	return c, true
}

func (s *Server) renderContact(w http.ResponseWriter, r *http.Request, status int, v *view, c *xerochat.Contact) {
	v.Title, v.Nav, v.Data = "Contact", "contacts", c
	s.renderStatus(w, r, status, "contact", v)
}

// updateContact sends the fields the person changed to app.UpdateContact,
// as a client of update_contact sends only what it sets: an e-mail or a
// phone number can be added but not changed, by the same rule and message.
func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, v *view) {
	c, ok := s.findContact(w, r, v)
	if !ok {
		return
	}
	f := contactForm(r)
	var upd xerochat.ContactUpdate
	set := func(field string, cur string, dst **string) {
		if val := f.Get(field); val != cur {
			*dst = &val
		}
	}
	set("first_name", c.FirstName, &upd.FirstName)
	set("last_name", c.LastName, &upd.LastName)
	set("email", c.Email, &upd.Email)
	set("phone_number", c.PhoneNumber, &upd.PhoneNumber)
	err := s.App.UpdateContact(r.Context(), v.User.ID, c.ID, upd)
	if isAppError(err) {
		v.Form, v.Errors = f, contactErrors(err)
		s.renderContact(w, r, http.StatusUnprocessableEntity, v, c)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/contacts/groups/"+strconv.FormatInt(c.ContactTypeID, 10), "Contact saved.")
}

// deleteContact deletes one of the member's contacts.
func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, v *view) {
	c, ok := s.findContact(w, r, v)
	if !ok {
		return
	}
	if err := s.App.Contacts.DeleteContact(r.Context(), v.User.ID, c.ID); err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.redirectNotice(w, r, "/app/contacts/groups/"+strconv.FormatInt(c.ContactTypeID, 10),
		strings.Replace(xerochat.MsgContactDeleted, "%d", strconv.FormatInt(c.ID, 10), 1))
}
