package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

func TestContactGroupErrors(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	g := fmt.Sprint(newGroup(t, ts, a.Key, "Customers"))
	const missing = "999999"
	const (
		keyRequired = xerochat.MsgKeyRequired
		keyInvalid  = xerochat.MsgKeyInvalid
		absent      = xerochat.MsgContactGroupAbsent
		nameMissing = xerochat.MsgContactGroupNameRequired
	)
	wantRejected(t, ts, []rejectCase{
		{"get/no key before no id", "get_contact_group", url.Values{}, keyRequired},
		{"get/bad key on own group", "get_contact_group", vals("api_key", "nope", "contact_type_id", g), keyInvalid},
		{"get/no id", "get_contact_group", vals("api_key", a.Key), xerochat.MsgContactGroupIDRequired},
		{"get/blank id", "get_contact_group", vals("api_key", a.Key, "contact_type_id", "  "), xerochat.MsgContactGroupIDRequired},
		{"get/missing id", "get_contact_group", vals("api_key", a.Key, "contact_type_id", missing), absent},
		{"get/non-numeric id", "get_contact_group", vals("api_key", a.Key, "contact_type_id", "abc"), absent},

		{"create/no key before no name", "create_contact_group", url.Values{}, keyRequired},
		{"create/bad key", "create_contact_group", vals("api_key", "nope", "name", "X"), keyInvalid},
		{"create/no name", "create_contact_group", vals("api_key", a.Key), nameMissing},
		{"create/blank name", "create_contact_group", vals("api_key", a.Key, "name", " \t "), nameMissing},

		{"update/no key before no path id", "update_contact_group", url.Values{}, keyRequired},
		{"update/bad key on own group", "update_contact_group/" + g, vals("api_key", "nope", "name", "X"), keyInvalid},
		{"update/no path id before no name", "update_contact_group", vals("api_key", a.Key), xerochat.MsgContactGroupIDBad},
		{"update/no path id, trailing slash", "update_contact_group/", vals("api_key", a.Key, "name", "X"), xerochat.MsgContactGroupIDBad},
		{"update/non-numeric path id", "update_contact_group/abc", vals("api_key", a.Key, "name", "X"), xerochat.MsgContactGroupIDBad},
		{"update/no name before missing id", "update_contact_group/" + missing, vals("api_key", a.Key), nameMissing},
		{"update/blank name", "update_contact_group/" + g, vals("api_key", a.Key, "name", "   "), nameMissing},
		{"update/missing id", "update_contact_group/" + missing, vals("api_key", a.Key, "name", "X"), xerochat.MsgContactGroupNoPermission},
		{"update/missing id, trailing slash", "update_contact_group/" + missing + "/", vals("api_key", a.Key, "name", "X"), xerochat.MsgContactGroupNoPermission},

		{"delete/no key before no id", "delete_contact_group", url.Values{}, keyRequired},
		{"delete/bad key on own group", "delete_contact_group", vals("api_key", "nope", "contact_type_id", g), keyInvalid},
		{"delete/no id", "delete_contact_group", vals("api_key", a.Key), xerochat.MsgContactGroupIDField},
		{"delete/blank id", "delete_contact_group", vals("api_key", a.Key, "contact_type_id", " "), xerochat.MsgContactGroupIDField},
		{"delete/missing id", "delete_contact_group", vals("api_key", a.Key, "contact_type_id", missing), absent},
	})
}

func TestContactGetDeleteErrors(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	c := fmt.Sprint(newContact(t, ts, a.Key, newGroup(t, ts, a.Key, "G"), "email", "c@example.com"))
	const absent = xerochat.MsgContactNotFound
	wantRejected(t, ts, []rejectCase{
		{"get/no key before no id", "get_contact", url.Values{}, xerochat.MsgKeyRequired},
		{"get/bad key on own contact", "get_contact", vals("api_key", "nope", "contact_id", c), xerochat.MsgKeyInvalid},
		{"get/no id", "get_contact", vals("api_key", a.Key), xerochat.MsgContactIDField},
		{"get/blank id", "get_contact", vals("api_key", a.Key, "contact_id", "  "), xerochat.MsgContactIDField},
		{"get/missing id", "get_contact", vals("api_key", a.Key, "contact_id", "999999"), absent},
		{"get/non-numeric id", "get_contact", vals("api_key", a.Key, "contact_id", "x1"), absent},
		{"delete/no key before no id", "delete_contact", url.Values{}, xerochat.MsgKeyRequired},
		{"delete/bad key on own contact", "delete_contact", vals("api_key", "nope", "contact_id", c), xerochat.MsgKeyInvalid},
		{"delete/no id", "delete_contact", vals("api_key", a.Key), xerochat.MsgContactIDField},
		{"delete/missing id", "delete_contact", vals("api_key", a.Key, "contact_id", "999999"), absent},
	})
}

func TestContactCreateErrors(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	b := ts.NewMember("b@example.com", "")
	g := fmt.Sprint(newGroup(t, ts, a.Key, "G"))
	bg := fmt.Sprint(newGroup(t, ts, b.Key, "B's"))
	newContact(t, ts, a.Key, newGroup(t, ts, a.Key, "Other"), "email", "taken@example.com", "phone_number", "111")
	const (
		denied     = xerochat.MsgContactGroupDenied
		required   = xerochat.MsgContactEmailOrPhone
		badEmail   = xerochat.MsgContactEmailBad
		emailTaken = xerochat.MsgContactEmailTaken
		phoneTaken = xerochat.MsgContactPhoneTaken
	)
	p := func(kv ...string) url.Values { return vals(append([]string{"api_key", a.Key}, kv...)...) }
	wantRejected(t, ts, []rejectCase{
		{"no key before everything", "create_contact", vals("email", "bad"), xerochat.MsgKeyRequired},
		{"bad key before valid data", "create_contact", vals("api_key", "nope", "contact_type_id", g, "email", "new@example.com"),
			xerochat.MsgKeyInvalid},
		{"no group before bad email", "create_contact", p("email", "bad"), xerochat.MsgContactGroupRequired},
		{"blank group", "create_contact", p("contact_type_id", " ", "email", "new@example.com"), xerochat.MsgContactGroupRequired},
		{"missing group before no email", "create_contact", p("contact_type_id", "999999"), denied},
		{"non-numeric group", "create_contact", p("contact_type_id", "abc", "email", "new@example.com"), denied},
		{"other member's group", "create_contact", p("contact_type_id", bg, "email", "new@example.com"), denied},
		{"no email nor phone", "create_contact", p("contact_type_id", g, "first_name", "Ann"), required},
		{"blank email and phone", "create_contact", p("contact_type_id", g, "email", "  ", "phone_number", " "), required},
		{"bad email before taken phone", "create_contact", p("contact_type_id", g, "email", "not-an-email", "phone_number", "111"), badEmail},
		{"email without dotted domain", "create_contact", p("contact_type_id", g, "email", "a@b"), badEmail},
		{"taken email before taken phone", "create_contact", p("contact_type_id", g, "email", "taken@example.com", "phone_number", "111"), emailTaken},
		{"taken email in other case", "create_contact", p("contact_type_id", g, "email", "TAKEN@Example.COM"), emailTaken},
		{"taken phone with new email", "create_contact", p("contact_type_id", g, "email", "new@example.com", "phone_number", "111"), phoneTaken},
		{"taken phone alone, padded", "create_contact", p("contact_type_id", g, "phone_number", " 111 "), phoneTaken},
	})
}

func TestContactUpdateErrors(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	g := newGroup(t, ts, a.Key, "G")
	full := fmt.Sprint(newContact(t, ts, a.Key, g, "email", "a1@example.com", "phone_number", "111"))
	emailOnly := fmt.Sprint(newContact(t, ts, a.Key, g, "email", "a2@example.com"))
	phoneOnly := fmt.Sprint(newContact(t, ts, a.Key, g, "phone_number", "333"))
	const (
		required    = xerochat.MsgContactIDRequired
		absent      = xerochat.MsgContactNotFound
		noField     = xerochat.MsgContactNoUpdate
		emailFixed  = xerochat.MsgContactEmailFixed
		phoneFixed  = xerochat.MsgContactPhoneFixed
		emailTaken  = xerochat.MsgContactEmailTaken
		phoneTaken  = xerochat.MsgContactPhoneTaken
		invalidMail = xerochat.MsgContactEmailBad
	)
	p := func(kv ...string) url.Values { return vals(append([]string{"api_key", a.Key}, kv...)...) }
	wantRejected(t, ts, []rejectCase{
		{"no key before no path id", "update_contact", vals("first_name", "X"), xerochat.MsgKeyRequired},
		{"bad key on own contact", "update_contact/" + full, vals("api_key", "nope", "first_name", "X"), xerochat.MsgKeyInvalid},
		{"no path id before no field", "update_contact", p(), required},
		{"no path id, trailing slash", "update_contact/", p("first_name", "X"), required},
		{"missing id before no field", "update_contact/999999", p(), absent},
		{"missing id, trailing slash", "update_contact/999999/", p("first_name", "X"), absent},
		{"non-numeric id", "update_contact/abc", p("first_name", "X"), absent},
		{"no field", "update_contact/" + full, p(), noField},
		{"only blank fields", "update_contact/" + full, p("first_name", " ", "last_name", "", "email", "", "phone_number", " "), noField},
		{"only unknown fields", "update_contact/" + full, p("notes", "hello", "contact_type_id", "5"), noField},
		{"email change before phone change", "update_contact/" + full, p("email", "z@example.com", "phone_number", "999"), emailFixed},
		{"email change to a taken one", "update_contact/" + full, p("email", "a2@example.com"), emailFixed},
		{"email change with a name", "update_contact/" + emailOnly, p("first_name", "X", "email", "z@example.com"), emailFixed},
		{"phone change", "update_contact/" + full, p("phone_number", "999"), phoneFixed},
		{"phone change to a taken one", "update_contact/" + phoneOnly, p("phone_number", "111"), phoneFixed},
		{"same email, phone change", "update_contact/" + full, p("email", "a1@example.com", "phone_number", "333"), phoneFixed},
		{"new email taken, other case", "update_contact/" + phoneOnly, p("email", "A1@EXAMPLE.com"), emailTaken},
		{"new email taken, same phone", "update_contact/" + phoneOnly + "/", p("email", "a1@example.com", "phone_number", "333"), emailTaken},
		{"same email, new phone taken", "update_contact/" + emailOnly + "/", p("email", "a2@example.com", "phone_number", "111"), phoneTaken},
		{"new phone taken", "update_contact/" + emailOnly, p("phone_number", "333", "first_name", "X"), phoneTaken},
		{"new email invalid", "update_contact/" + phoneOnly, p("email", "nope"), invalidMail},
	})
}
