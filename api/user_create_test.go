package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
	"golang.org/x/crypto/bcrypt"
)

// checkOrderServer is a server with a member m, a deleted user gone and a
// deleted package 7: the records a check of the user endpoints may trip on.
func checkOrderServer(t *testing.T) (*xerochattest.Server, *xerochattest.Member, int64) {
	t.Helper()
	ts := xerochattest.NewServer(t)
	m := ts.NewMember("member@example.com", "")
	gone := createUser(t, ts, "gone@example.com")
	ts.Exec(fmt.Sprintf("UPDATE users SET deleted = 1 WHERE id = %d", gone))
	ts.Exec("INSERT INTO packages (id, name, deleted) VALUES (7, 'Old', 1)")
	return ts, m, gone
}

// TestUserCreateCheckOrder sends requests that break several rules at once:
// the first rule in the contract's order must answer, and nothing is stored.
func TestUserCreateCheckOrder(t *testing.T) {
	t.Parallel()
	ts, m, _ := checkOrderServer(t)
	cases := []struct {
		name string
		kv   []string // changes to valid parameters for new@example.com
		msg  string
	}{
		{"no key, everything wrong", []string{"api_key", "", "name", "", "email", "bad", "expired_date", "bad", "package_id", "99"}, xerochat.MsgKeyRequired},
		{"unknown key, everything wrong", []string{"api_key", "nope", "name", "", "email", "bad", "expired_date", "bad"}, xerochat.MsgKeyInvalid},
		{"member key", []string{"api_key", m.Key}, xerochat.MsgKeyInvalid},
		{"no name", []string{"name", ""}, xerochat.MsgUserFieldsMissing},
		{"no email", []string{"email", ""}, xerochat.MsgUserFieldsMissing},
		{"no password", []string{"password", ""}, xerochat.MsgUserFieldsMissing},
		{"no package_id", []string{"package_id", ""}, xerochat.MsgUserFieldsMissing},
		{"no expired_date", []string{"expired_date", ""}, xerochat.MsgUserFieldsMissing},
		{"blank name", []string{"name", "   "}, xerochat.MsgUserFieldsMissing},
		{"missing field before bad email", []string{"password", "", "email", "bad"}, xerochat.MsgUserFieldsMissing},
		{"email without @", []string{"email", "new.example.com"}, xerochat.MsgUserEmailBad},
		{"email with space", []string{"email", "new user@example.com"}, xerochat.MsgUserEmailBad},
		{"email with display name", []string{"email", "New <new@example.com>"}, xerochat.MsgUserEmailBad},
		{"email without local part", []string{"email", "@example.com"}, xerochat.MsgUserEmailBad},
		{"bad email before bad date", []string{"email", "bad", "expired_date", "2030-13-01"}, xerochat.MsgUserEmailBad},
		{"date with slashes", []string{"expired_date", "2030/01/01"}, xerochat.MsgUserExpiryBad},
		{"date day first", []string{"expired_date", "01-01-2030"}, xerochat.MsgUserExpiryBad},
		{"date not in calendar", []string{"expired_date", "2030-02-30"}, xerochat.MsgUserExpiryBad},
		{"date with a bad time", []string{"expired_date", "2030-01-01 24:00:00"}, xerochat.MsgUserExpiryBad},
		{"date without zero padding", []string{"expired_date", "2030-1-1"}, xerochat.MsgUserExpiryBad},
		{"bad date before bad package", []string{"expired_date", "soon", "package_id", "99"}, xerochat.MsgUserExpiryBad},
		{"unknown package", []string{"package_id", "99"}, xerochat.MsgPackageNotFound},
		{"deleted package", []string{"package_id", "7"}, xerochat.MsgPackageNotFound},
		{"package not a number", []string{"package_id", "trial"}, xerochat.MsgPackageNotFound},
		{"package zero counts as missing, as on the original", []string{"package_id", "0"}, xerochat.MsgUserFieldsMissing},
		{"bad package before taken email", []string{"package_id", "99", "email", "member@example.com"}, xerochat.MsgPackageNotFound},
		{"email taken", []string{"email", "member@example.com"}, xerochat.MsgUserEmailTaken},
		{"email taken in other case", []string{"email", "MEMBER@Example.COM"}, xerochat.MsgUserEmailTaken},
		{"email taken with spaces", []string{"email", "  member@example.com "}, xerochat.MsgUserEmailTaken},
		{"email of the admin", []string{"email", "Admin@example.com"}, xerochat.MsgUserEmailTaken},
		{"email of a deleted user", []string{"email", "gone@example.com"}, xerochat.MsgUserEmailTaken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			before := ts.Snapshot()
			res := ts.Post("create_system_user", userParams(ts, "new@example.com", tc.kv...))
			wantError(t, res, tc.msg)
			if after := ts.Snapshot(); after != before {
				t.Errorf("a rejected create changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestUserCreateSuccess checks the answer of a create, the member it makes
// and how its password is kept.
func TestUserCreateSuccess(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	const password = "Clear-Text-Pass-42"
	res := ts.Post("create_system_user", vals("api_key", ts.AdminKey, "name", "  Ann Example ", "email", "Ann@Example.com",
		"password", password, "package_id", "1", "expired_date", "2031-01-31", "mobile", "0123", "address", "1 Main St",
		"user_type", "Admin", "status", "0")) // unknown to create: ignored
	wantJSON(t, res, `{"status":"success","id":2}`)
	if _, isNumber := res.JSON(t)["id"].(float64); !isNumber {
		t.Errorf("id is not a JSON number: %s", res.Body)
	}
	info := userInfo(t, ts, 2)
	want := map[string]any{"id": "2", "name": "Ann Example", "email": "Ann@Example.com", "mobile": "0123",
		"address": "1 Main St", "user_type": "Member", "status": "1", "expired_date": "2031-01-31 00:00:00",
		"package_id": "1", "last_login_at": neverSet, "last_login_ip": "", "add_date": addDate(t, ts, 2, time.UTC)}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("user_info %s = %#v, want %#v", k, info[k], v)
		}
	}

	var hash string
	if err := ts.DB.SQL().QueryRow("SELECT password_hash FROM users WHERE id = 2").Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$2") || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		t.Errorf("password_hash %q is not a bcrypt hash of the password", hash)
	}
	if snap := ts.Snapshot(); strings.Contains(snap, password) {
		t.Errorf("the clear-text password is stored:\n%s", snap)
	}

	// Optional fields default to empty text; ids count up as JSON numbers.
	res = ts.Get("create_system_user", vals("api_key", ts.AdminKey, "name", "Bob", "email", "bob@example.com",
		"password", "x", "package_id", "1", "expired_date", "2031-01-31"))
	wantJSON(t, res, `{"status":"success","id":3}`)
	if info := userInfo(t, ts, 3); info["mobile"] != "" || info["address"] != "" {
		t.Errorf("optional fields not given: %v", info)
	}
	// The same password twice gives different hashes (salted).
	createUser(t, ts, "carl@example.com", "password", password)
	var n int
	if err := ts.DB.SQL().QueryRow("SELECT COUNT(DISTINCT password_hash) FROM users WHERE id IN (2, 4)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("two users with one password share a hash: not salted")
	}
}
