package app_test

import (
	"context"
	"testing"

	"github.com/xerochat/xerochat"
)

// TestCreateContactCheckOrder: the group is checked before the contact's
// own rules, and another user's group is refused like a missing one.
func TestCreateContactCheckOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user, other := e.member(t, "a@example.com"), e.member(t, "b@example.com")
	own, err := e.db.CreateContactGroup(ctx, user, "Mine")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := e.db.CreateContactGroup(ctx, other, "Theirs")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		c         xerochat.Contact
		code, msg string
	}{
		{"another user's group before a bad e-mail", xerochat.Contact{ContactTypeID: theirs, Email: "bad"},
			xerochat.ENOTFOUND, xerochat.MsgContactGroupDenied},
		{"another user's group before no e-mail or phone", xerochat.Contact{ContactTypeID: theirs},
			xerochat.ENOTFOUND, xerochat.MsgContactGroupDenied},
		{"missing group", xerochat.Contact{ContactTypeID: 999999, Email: "a@example.com"},
			xerochat.ENOTFOUND, xerochat.MsgContactGroupDenied},
		{"own group, no e-mail or phone", xerochat.Contact{ContactTypeID: own, FirstName: "Ann"},
			xerochat.EINVALID, xerochat.MsgContactEmailOrPhone},
		{"own group, bad e-mail", xerochat.Contact{ContactTypeID: own, Email: "bad"},
			xerochat.EINVALID, xerochat.MsgContactEmailBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.UserID = user
			id, err := e.app.CreateContact(ctx, &c)
			wantError(t, err, tc.code, tc.msg)
			if id != 0 {
				t.Errorf("a refused create gave id %d", id)
			}
		})
	}
	id, err := e.app.CreateContact(ctx, &xerochat.Contact{UserID: user, ContactTypeID: own, Email: "a@example.com"})
	if err != nil || id == 0 {
		t.Fatalf("a valid create: %d, %v", id, err)
	}
	if c, err := e.db.FindContact(ctx, user, id); err != nil || c.Email != "a@example.com" || c.ContactTypeID != own {
		t.Errorf("stored %+v (%v)", c, err)
	}
}

// TestUpdateContactRules: an e-mail or phone number once set stays, and an
// update must set something.
func TestUpdateContactRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user, other := e.member(t, "a@example.com"), e.member(t, "b@example.com")
	group, err := e.db.CreateContactGroup(ctx, user, "G")
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.app.CreateContact(ctx, &xerochat.Contact{UserID: user, ContactTypeID: group,
		Email: "ann@example.com", PhoneNumber: "111", FirstName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	text := func(s string) *string { return &s }
	for _, tc := range []struct {
		name      string
		user, id  int64
		upd       xerochat.ContactUpdate
		code, msg string
	}{
		{"another e-mail", user, id, xerochat.ContactUpdate{Email: text("new@example.com")}, xerochat.EINVALID, xerochat.MsgContactEmailFixed},
		{"another phone", user, id, xerochat.ContactUpdate{PhoneNumber: text("222")}, xerochat.EINVALID, xerochat.MsgContactPhoneFixed},
		{"nothing", user, id, xerochat.ContactUpdate{}, xerochat.EINVALID, xerochat.MsgContactNoUpdate},
		{"missing contact", user, 999999, xerochat.ContactUpdate{FirstName: text("X")}, xerochat.ENOTFOUND, xerochat.MsgContactNotFound},
		{"another user's contact", other, id, xerochat.ContactUpdate{FirstName: text("X")}, xerochat.ENOTFOUND, xerochat.MsgContactNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.app.UpdateContact(ctx, tc.user, tc.id, tc.upd), tc.code, tc.msg)
		})
	}
	// The same e-mail and phone again, with a name, is an update.
	if err := e.app.UpdateContact(ctx, user, id, xerochat.ContactUpdate{Email: text("ann@example.com"),
		PhoneNumber: text("111"), FirstName: text("Anna")}); err != nil {
		t.Fatal(err)
	}
	c, err := e.db.FindContact(ctx, user, id)
	if err != nil || c.FirstName != "Anna" || c.Email != "ann@example.com" || c.PhoneNumber != "111" {
		t.Errorf("after the updates: %+v (%v)", c, err)
	}
}
