package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestUserGetInfoShape compares a whole get_user_info answer with the
// documented one: key order, every value a JSON string, dates formatted.
func TestUserGetInfoShape(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	id := createUser(t, ts, "Ann@Example.com", "name", "Ann Example", "mobile", "01234567891", "address", "Heaven 21",
		"expired_date", "2031-10-27")
	res := ts.Get("get_user_info", vals("api_key", ts.AdminKey, "user_id", fmt.Sprint(id)))
	want := fmt.Sprintf(`{"status":"success","user_info":{"id":"%d","name":"Ann Example","email":"Ann@Example.com",`+
		`"mobile":"01234567891","address":"Heaven 21","user_type":"Member","status":"1","add_date":"%s",`+
		`"last_login_at":"0000-00-00 00:00:00","expired_date":"2031-10-27 00:00:00","package_id":"1","last_login_ip":""}}`,
		id, addDate(t, ts, id, time.UTC))
	wantJSON(t, res, want)

	// The admin made on first start: an Admin who never expires, and who
	// never signed in to the dashboard (API calls are no login).
	info := userInfo(t, ts, 1)
	if info["user_type"] != "Admin" || info["status"] != "1" || info["expired_date"] != neverSet ||
		info["email"] != "admin@example.com" || info["last_login_ip"] != "" || info["last_login_at"] != neverSet {
		t.Errorf("admin user_info: %v", info)
	}
}

// isDatetime reports whether s is a YYYY-MM-DD HH:MM:SS datetime.
func isDatetime(s string) bool {
	_, err := time.Parse(datetimeLayout, s)
	return err == nil || s == neverSet
}

// TestUserGetInfoLookup covers the filters of get_user_info: id, e-mail in
// any case, both (which must agree), neither, and users that do not exist.
func TestUserGetInfoLookup(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	ann := createUser(t, ts, "ann@example.com")
	bob := createUser(t, ts, "Bob@Example.com")
	gone := createUser(t, ts, "gone@example.com")
	ts.Exec(fmt.Sprintf("UPDATE users SET deleted = 1 WHERE id = %d", gone))
	cases := []struct {
		name   string
		params []string
		want   int64  // the user found, or 0
		msg    string // the error when want is 0
	}{
		{"by id", []string{"user_id", fmt.Sprint(ann)}, ann, ""},
		{"by e-mail", []string{"email", "ann@example.com"}, ann, ""},
		{"by e-mail in other case", []string{"email", "ANN@EXAMPLE.COM"}, ann, ""},
		{"by e-mail stored in mixed case", []string{"email", "bob@example.com"}, bob, ""},
		{"by both agreeing", []string{"user_id", fmt.Sprint(bob), "email", "BOB@example.com"}, bob, ""},
		{"trimmed values", []string{"user_id", " " + fmt.Sprint(ann) + "\t", "email", "  ann@example.com\n"}, ann, ""},
		{"by both disagreeing", []string{"user_id", fmt.Sprint(ann), "email", "bob@example.com"}, 0, xerochat.MsgUserNotFound},
		{"neither", nil, 0, xerochat.MsgUserFilterRequired},
		{"both empty", []string{"user_id", "", "email", ""}, 0, xerochat.MsgUserFilterRequired},
		{"both blank", []string{"user_id", "  ", "email", " "}, 0, xerochat.MsgUserFilterRequired},
		{"unknown id", []string{"user_id", "999"}, 0, xerochat.MsgUserNotFound},
		{"id not a number", []string{"user_id", "abc"}, 0, xerochat.MsgUserNotFound},
		{"id zero counts as missing, as on the original", []string{"user_id", "0"}, 0, xerochat.MsgUserFilterRequired},
		{"id negative", []string{"user_id", "-1"}, 0, xerochat.MsgUserNotFound},
		{"unknown e-mail", []string{"email", "nobody@example.com"}, 0, xerochat.MsgUserNotFound},
		{"deleted user by id", []string{"user_id", fmt.Sprint(gone)}, 0, xerochat.MsgUserNotFound},
		{"deleted user by e-mail", []string{"email", "gone@example.com"}, 0, xerochat.MsgUserNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			params := vals(append([]string{"api_key", ts.AdminKey}, tc.params...)...)
			for _, res := range []xerochattest.Response{ts.Get("get_user_info", params), ts.Post("get_user_info", params)} {
				if tc.want == 0 {
					wantError(t, res, tc.msg)
					continue
				}
				info, _ := res.JSON(t)["user_info"].(map[string]any)
				if info["id"] != fmt.Sprint(tc.want) {
					t.Errorf("found %s, want user %d", res.Body, tc.want)
				}
			}
		})
	}
}

// TestUserLastLogin shows that API use is not recorded as a login: the
// original records dashboard sign-ins only (the web app's tests cover
// those).
func TestUserLastLogin(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	m := ts.NewMember("ann@example.com", "")
	if info := userInfo(t, ts, m.ID); info["last_login_at"] != neverSet || info["last_login_ip"] != "" {
		t.Fatalf("before any call: %v", info)
	}
	if res := ts.Get("get_flow_campaigns", vals("api_key", m.Key)); res.Status != 200 {
		t.Fatalf("get_flow_campaigns: HTTP %d %s", res.Status, res.Body)
	}
	if info := userInfo(t, ts, m.ID); info["last_login_at"] != neverSet || info["last_login_ip"] != "" {
		t.Errorf("after an API call: last_login_at %q, last_login_ip %q; an API call is no login", info["last_login_at"], info["last_login_ip"])
	}
}

// TestPackagesNewInstall compares the whole get_all_packages answer of a new
// installation with the documented shape.
func TestPackagesNewInstall(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	want := `{"status":"success","packages":[{"id":"1","package_name":"Trial","module_ids":"","price":"0",` +
		`"validity":"0","deleted":"0","visible":"0","highlight":"0"}]}`
	wantJSON(t, ts.Get("get_all_packages", vals("api_key", ts.AdminKey)), want)
	wantJSON(t, ts.Post("get_all_packages/", vals("api_key", ts.AdminKey)), want)
}

// TestPackagesOrderAndDeleted lists packages by id, leaving deleted ones out.
func TestPackagesOrderAndDeleted(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	ts.Exec(`INSERT INTO packages (id, name, module_ids, price, validity, deleted, visible, highlight)
		VALUES (16, 'everything', '251,80,202', '112.35', 700, 0, 1, 0)`)
	ts.Exec(`INSERT INTO packages (id, name, module_ids, price, validity, deleted, visible, highlight)
		VALUES (3, 'Gone', '1', '5', 30, 1, 1, 1)`)
	ts.Exec(`INSERT INTO packages (id, name, module_ids, price, validity, deleted, visible, highlight)
		VALUES (9, 'Pro "plus"', '', '9.90', 365, 0, 0, 1)`)
	res := ts.Get("get_all_packages", vals("api_key", ts.AdminKey))
	want := `{"status":"success","packages":[` +
		`{"id":"1","package_name":"Trial","module_ids":"","price":"0","validity":"0","deleted":"0","visible":"0","highlight":"0"},` +
		`{"id":"9","package_name":"Pro \"plus\"","module_ids":"","price":"9.90","validity":"365","deleted":"0","visible":"0","highlight":"1"},` +
		`{"id":"16","package_name":"everything","module_ids":"251,80,202","price":"112.35","validity":"700","deleted":"0","visible":"1","highlight":"0"}]}`
	wantJSON(t, res, want)
}

// TestUserMemberLearnsNothing shows that a member's answers from the Admin
// endpoints are the same whether the user, e-mail or id asked about exists
// or not, and that nothing changes.
func TestUserMemberLearnsNothing(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	m := ts.NewMember("member@example.com", "")
	other := createUser(t, ts, "other@example.com")
	want := `{"status":"error","message":"` + xerochat.MsgKeyInvalid + `"}`
	requests := []struct {
		path string
		kv   []string
	}{
		{"get_user_info", []string{"user_id", fmt.Sprint(other)}},
		{"get_user_info", []string{"user_id", "999"}},
		{"get_user_info", []string{"user_id", fmt.Sprint(m.ID)}},
		{"get_user_info", []string{"email", "other@example.com"}},
		{"get_user_info", []string{"email", "nobody@example.com"}},
		{"get_user_info", nil},
		{"create_system_user", pairsOf(userParams(ts, "other@example.com", "api_key", ""))},
		{"create_system_user", pairsOf(userParams(ts, "fresh@example.com", "api_key", ""))},
		{"create_system_user", nil},
		{"update_user/" + fmt.Sprint(other), []string{"status", "0"}},
		{"update_user/999", []string{"status", "0"}},
		{"update_user/" + fmt.Sprint(m.ID), []string{"expired_date", "2099-01-01", "package_id", "1"}},
		{"update_user/" + fmt.Sprint(m.ID), nil},
		{"create_system_user/" + fmt.Sprint(other), []string{"name", "Mine"}},
		{"get_all_packages", nil},
	}
	before := ts.Snapshot()
	for _, r := range requests {
		params := vals(append([]string{"api_key", m.Key}, r.kv...)...)
		wantJSON(t, ts.Post(r.path, params), want)
		wantJSON(t, ts.Get(r.path, params), want)
	}
	if after := ts.Snapshot(); after != before {
		t.Errorf("a member's calls to Admin endpoints changed the database:\nbefore %s\nafter  %s", before, after)
	}
}
