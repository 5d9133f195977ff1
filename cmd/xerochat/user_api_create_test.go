package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestUserCreateCheckOrder sends requests that break several rules at once:
// the first rule in the contract's order must answer, and nothing is stored.
func TestUserCreateCheckOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("member@example.com", "")
	gone := userCreate(ts, "gone@example.com")
	userExec(ts, fmt.Sprintf("UPDATE users SET deleted = 1 WHERE id = %d", gone))
	userExec(ts, "INSERT INTO packages (id, name, deleted) VALUES (7, 'Old', 1)")
	cases := []struct {
		name string
		kv   []string // changes to valid parameters for new@example.com
		msg  string
	}{
		{"no key, everything wrong", []string{"api_key", "", "name", "", "email", "bad", "expired_date", "bad", "package_id", "99"}, userMsgKeyRequired},
		{"unknown key, everything wrong", []string{"api_key", "nope", "name", "", "email", "bad", "expired_date", "bad"}, userMsgKeyInvalid},
		{"member key", []string{"api_key", m.Key}, userMsgKeyInvalid},
		{"no name", []string{"name", ""}, userMsgMandatory},
		{"no email", []string{"email", ""}, userMsgMandatory},
		{"no password", []string{"password", ""}, userMsgMandatory},
		{"no package_id", []string{"package_id", ""}, userMsgMandatory},
		{"no expired_date", []string{"expired_date", ""}, userMsgMandatory},
		{"blank name", []string{"name", "   "}, userMsgMandatory},
		{"missing field before bad email", []string{"password", "", "email", "bad"}, userMsgMandatory},
		{"email without @", []string{"email", "new.example.com"}, userMsgBadEmail},
		{"email with space", []string{"email", "new user@example.com"}, userMsgBadEmail},
		{"email with display name", []string{"email", "New <new@example.com>"}, userMsgBadEmail},
		{"email without local part", []string{"email", "@example.com"}, userMsgBadEmail},
		{"bad email before bad date", []string{"email", "bad", "expired_date", "2030-13-01"}, userMsgBadEmail},
		{"date with slashes", []string{"expired_date", "2030/01/01"}, userMsgBadDate},
		{"date day first", []string{"expired_date", "01-01-2030"}, userMsgBadDate},
		{"date not in calendar", []string{"expired_date", "2030-02-30"}, userMsgBadDate},
		{"date with time", []string{"expired_date", "2030-01-01 00:00:00"}, userMsgBadDate},
		{"date without zero padding", []string{"expired_date", "2030-1-1"}, userMsgBadDate},
		{"bad date before bad package", []string{"expired_date", "soon", "package_id", "99"}, userMsgBadDate},
		{"unknown package", []string{"package_id", "99"}, userMsgNoPackage},
		{"deleted package", []string{"package_id", "7"}, userMsgNoPackage},
		{"package not a number", []string{"package_id", "trial"}, userMsgNoPackage},
		{"package zero", []string{"package_id", "0"}, userMsgNoPackage},
		{"bad package before taken email", []string{"package_id", "99", "email", "member@example.com"}, userMsgNoPackage},
		{"email taken", []string{"email", "member@example.com"}, userMsgEmailExists},
		{"email taken in other case", []string{"email", "MEMBER@Example.COM"}, userMsgEmailExists},
		{"email taken with spaces", []string{"email", "  member@example.com "}, userMsgEmailExists},
		{"email of the admin", []string{"email", "Admin@example.com"}, userMsgEmailExists},
		{"email of a deleted user", []string{"email", "gone@example.com"}, userMsgEmailExists},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.snapshot()
			res := ts.post("create_system_user", vals(userPairs(userCreateParams(ts, "new@example.com", tc.kv...))...))
			userWantError(t, res, tc.msg)
			if after := ts.snapshot(); after != before {
				t.Errorf("a rejected create changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestUserCreateSuccess checks the answer of a create, the member it makes
// and how its password is kept.
func TestUserCreateSuccess(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	const password = "Clear-Text-Pass-42"
	res := ts.post("create_system_user", vals("api_key", ts.AdminKey, "name", "  Ann Example ", "email", "Ann@Example.com",
		"password", password, "package_id", "1", "expired_date", "2031-01-31", "mobile", "0123", "address", "1 Main St",
		"user_type", "Admin", "status", "0")) // unknown to create: ignored
	userWantBody(t, res, `{"status":"success","id":2}`)
	if _, isNumber := res.JSON(t)["id"].(float64); !isNumber {
		t.Errorf("id is not a JSON number: %s", res.Body)
	}
	info := userInfoOf(ts, 2)
	want := map[string]any{"id": "2", "name": "Ann Example", "email": "Ann@Example.com", "mobile": "0123",
		"address": "1 Main St", "user_type": "Member", "status": "1", "expired_date": "2031-01-31 00:00:00",
		"package_id": "1", "last_login_at": userNeverSet, "last_login_ip": "", "add_date": userAddDate(ts, 2, time.UTC)}
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
	if snap := ts.snapshot(); strings.Contains(snap, password) {
		t.Errorf("the clear-text password is stored:\n%s", snap)
	}

	// Optional fields default to empty text; ids count up as JSON numbers.
	res = ts.get("create_system_user", vals("api_key", ts.AdminKey, "name", "Bob", "email", "bob@example.com",
		"password", "x", "package_id", "1", "expired_date", "2031-01-31"))
	userWantBody(t, res, `{"status":"success","id":3}`)
	if info := userInfoOf(ts, 3); info["mobile"] != "" || info["address"] != "" {
		t.Errorf("optional fields not given: %v", info)
	}
	// The same password twice gives different hashes (salted).
	userCreate(ts, "carl@example.com", "password", password)
	var n int
	if err := ts.DB.SQL().QueryRow("SELECT COUNT(DISTINCT password_hash) FROM users WHERE id IN (2, 4)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("two users with one password share a hash: not salted")
	}
}
