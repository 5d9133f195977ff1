package xerochat_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
)

func ptr(s string) *string { return &s }

// wantMessage checks that err is an application error with that code and
// contract message ("" for no error).
func wantMessage(t *testing.T, err error, code, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("error %v, want none", err)
		}
		return
	}
	if xerochat.ErrorCode(err) != code || xerochat.ErrorMessage(err) != msg {
		t.Fatalf("error %v, want %s %q", err, code, msg)
	}
}

func TestNewUserValidate(t *testing.T) {
	ok := xerochat.NewUser{Email: "ann@example.com", Password: "secret", ExpiredDate: "2030-01-31"}
	for _, tc := range []struct {
		name string
		edit func(*xerochat.NewUser)
		msg  string
	}{
		{"valid", func(*xerochat.NewUser) {}, ""},
		{"no expiry is valid", func(u *xerochat.NewUser) { u.ExpiredDate = "" }, ""},
		{"bad e-mail", func(u *xerochat.NewUser) { u.Email = "ann@" }, xerochat.MsgUserEmailBad},
		{"72-byte password", func(u *xerochat.NewUser) { u.Password = strings.Repeat("é", 36) }, ""},
		{"73-byte password", func(u *xerochat.NewUser) { u.Password = strings.Repeat("é", 36) + "x" }, xerochat.MsgUserPasswordTooLong},
		{"no such day", func(u *xerochat.NewUser) { u.ExpiredDate = "2030-02-30" }, xerochat.MsgUserExpiryBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := ok
			tc.edit(&u)
			wantMessage(t, u.Validate(), xerochat.EINVALID, tc.msg)
		})
	}
}

func TestContactValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    xerochat.Contact
		msg  string
	}{
		{"e-mail", xerochat.Contact{Email: "a@example.com"}, ""},
		{"phone only", xerochat.Contact{PhoneNumber: "+15550100"}, ""},
		{"neither", xerochat.Contact{FirstName: "A"}, xerochat.MsgContactEmailOrPhone},
		{"bad e-mail beside a phone", xerochat.Contact{Email: "nope", PhoneNumber: "1"}, xerochat.MsgContactEmailBad},
	} {
		t.Run(tc.name, func(t *testing.T) { wantMessage(t, tc.c.Validate(), xerochat.EINVALID, tc.msg) })
	}
}

func TestContactApply(t *testing.T) {
	full := xerochat.Contact{FirstName: "A", LastName: "B", Email: "a@example.com", PhoneNumber: "111"}
	bare := xerochat.Contact{FirstName: "A", PhoneNumber: "111"}
	for _, tc := range []struct {
		name string
		from xerochat.Contact
		upd  xerochat.ContactUpdate
		want xerochat.Contact
		msg  string
	}{
		{"names change", full, xerochat.ContactUpdate{FirstName: ptr("X"), LastName: ptr("Y")},
			xerochat.Contact{FirstName: "X", LastName: "Y", Email: "a@example.com", PhoneNumber: "111"}, ""},
		{"same e-mail in another case is no change", full, xerochat.ContactUpdate{Email: ptr("A@EXAMPLE.COM")}, full, ""},
		{"same phone is no change", full, xerochat.ContactUpdate{PhoneNumber: ptr("111")}, full, ""},
		{"a present e-mail never changes", full, xerochat.ContactUpdate{Email: ptr("b@example.com")}, full, xerochat.MsgContactEmailFixed},
		{"a present phone never changes", full, xerochat.ContactUpdate{PhoneNumber: ptr("222")}, full, xerochat.MsgContactPhoneFixed},
		{"an e-mail may be added", bare, xerochat.ContactUpdate{Email: ptr("new@example.com")},
			xerochat.Contact{FirstName: "A", PhoneNumber: "111", Email: "new@example.com"}, ""},
		{"an added e-mail must be valid", bare, xerochat.ContactUpdate{Email: ptr("new@")}, bare, xerochat.MsgContactEmailBad},
		{"the fixed e-mail is judged before validity", full, xerochat.ContactUpdate{Email: ptr("bad")}, full, xerochat.MsgContactEmailFixed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.from.Apply(tc.upd)
			wantMessage(t, err, xerochat.EINVALID, tc.msg)
			if err == nil && got != tc.want {
				t.Fatalf("Apply = %+v, want %+v", got, tc.want)
			}
		})
	}
	if !(xerochat.ContactUpdate{}).Empty() || (xerochat.ContactUpdate{LastName: ptr("")}).Empty() {
		t.Fatal("Empty is wrong")
	}
}

func TestFacebookErrorKind(t *testing.T) {
	cause := errors.New("graph: POST /me/messages: HTTP 400, code 190: expired")
	err := error(&xerochat.FacebookError{Kind: xerochat.FacebookInvalidToken, Message: "expired", Err: cause})
	wrapped := errors.Join(errors.New("send"), err)
	if xerochat.FacebookErrorKind(wrapped) != xerochat.FacebookInvalidToken {
		t.Fatalf("kind %q", xerochat.FacebookErrorKind(wrapped))
	}
	if xerochat.ErrorCode(wrapped) != xerochat.EUNAVAILABLE || xerochat.ErrorMessage(wrapped) != "expired" {
		t.Fatalf("code %q message %q: a Facebook failure must be EUNAVAILABLE with Facebook's text", xerochat.ErrorCode(wrapped), xerochat.ErrorMessage(wrapped))
	}
	if !errors.Is(wrapped, cause) || err.Error() != cause.Error() {
		t.Fatal("the cause must stay reachable, and be the text for logs")
	}
	if xerochat.FacebookErrorKind(errors.New("other")) != "" {
		t.Fatal("a non-Facebook error has a kind")
	}
	if xerochat.ErrorMessage(&xerochat.FacebookError{Kind: xerochat.FacebookRefused, Message: "m"}) != "m" {
		t.Fatal("a FacebookError without cause must unwrap to its message")
	}
}
