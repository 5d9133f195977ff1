package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Messages of the user endpoints, as CONTRACT.md §2 gives them.
const (
	userMsgKeyRequired = "API Key is required"
	userMsgKeyInvalid  = "Either API Key Invalid or Member Validity Expired"
	userMsgNoFilter    = "Provide either user ID or Email to filter"
	userMsgNoUser      = "No Matching User Found"
	userMsgMandatory   = "All mandatory field is not provided"
	userMsgBadEmail    = "Invalid email address"
	userMsgBadDate     = "Invalid expired_date, use YYYY-MM-DD"
	userMsgNoPackage   = "Package ID not found"
	userMsgEmailExists = "Email already exists"
	userMsgNoPathID    = "Provide User ID with End Point URL"
	userMsgNoField     = "Provide at least one field to update"
)

// userNeverSet is how a datetime that was never set is shown.
const userNeverSet = "0000-00-00 00:00:00"

// userExec runs a literal SQL statement on the server's database. Statements
// carry no placeholders so that they run unchanged on SQLite and PostgreSQL.
func userExec(ts *testServer, stmt string) {
	ts.t.Helper()
	if _, err := ts.DB.SQL().Exec(stmt); err != nil {
		ts.t.Fatalf("%s: %v", stmt, err)
	}
}

// userNextYear is an expired_date a year ahead.
func userNextYear() string { return time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02") }

// userCreateParams are valid create_system_user parameters for email; kv
// overrides or adds parameters (an empty value removes one).
func userCreateParams(ts *testServer, email string, kv ...string) map[string]string {
	p := map[string]string{"api_key": ts.AdminKey, "name": "Ann Example", "email": email, "password": "s3cret-Pass!",
		"package_id": "1", "expired_date": userNextYear()}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(p, kv[i])
		} else {
			p[kv[i]] = kv[i+1]
		}
	}
	return p
}

// userPairs turns a parameter map into vals() arguments.
func userPairs(p map[string]string) []string {
	var kv []string
	for k, v := range p {
		kv = append(kv, k, v)
	}
	return kv
}

// userCreate makes a member through create_system_user and returns its id.
func userCreate(ts *testServer, email string, kv ...string) int64 {
	ts.t.Helper()
	res := ts.post("create_system_user", vals(userPairs(userCreateParams(ts, email, kv...))...))
	id, ok := res.JSON(ts.t)["id"].(float64)
	if !ok || res.Status != 200 {
		ts.t.Fatalf("create_system_user %s: HTTP %d %s", email, res.Status, res.Body)
	}
	return int64(id)
}

// userInfoOf returns the user_info object get_user_info answers for id.
func userInfoOf(ts *testServer, id int64) map[string]any {
	ts.t.Helper()
	res := ts.get("get_user_info", vals("api_key", ts.AdminKey, "user_id", fmt.Sprint(id)))
	info, ok := res.JSON(ts.t)["user_info"].(map[string]any)
	if !ok {
		ts.t.Fatalf("get_user_info %d: %s", id, res.Body)
	}
	return info
}

// userWantError fails unless res is HTTP 200 with the error envelope and msg.
func userWantError(t testing.TB, res response, msg string) {
	t.Helper()
	if res.Status != 200 {
		t.Errorf("HTTP %d, want 200; body %s", res.Status, res.Body)
	}
	if got := res.Message(t); got != msg {
		t.Errorf("message %q, want %q; body %s", got, msg, res.Body)
	}
}

// userWantBody fails unless res is HTTP 200 with exactly the JSON text want.
func userWantBody(t testing.TB, res response, want string) {
	t.Helper()
	if res.Status != 200 {
		t.Errorf("HTTP %d, want 200", res.Status)
	}
	if got := strings.TrimRight(string(res.Body), "\n"); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

// userAddDate is the add_date column of a user, as the API shows it in UTC.
func userAddDate(ts *testServer, id int64, loc *time.Location) string {
	ts.t.Helper()
	var unix int64
	if err := ts.DB.SQL().QueryRow(fmt.Sprintf("SELECT add_date FROM users WHERE id = %d", id)).Scan(&unix); err != nil {
		ts.t.Fatal(err)
	}
	return time.Unix(unix, 0).In(loc).Format("2006-01-02 15:04:05")
}

// userKeys returns the member names of the JSON object raw, in order.
func userKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%v in %s", err, raw)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%v in %s", err, raw)
		}
	}
	return keys
}

// TestUserGetInfoShape compares a whole get_user_info answer with the
// documented one: key order, every value a JSON string, dates formatted.
func TestUserGetInfoShape(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id := userCreate(ts, "Ann@Example.com", "name", "Ann Example", "mobile", "01234567891", "address", "Heaven 21",
		"expired_date", "2031-10-27")
	res := ts.get("get_user_info", vals("api_key", ts.AdminKey, "user_id", fmt.Sprint(id)))
	want := fmt.Sprintf(`{"status":"success","user_info":{"id":"%d","name":"Ann Example","email":"Ann@Example.com",`+
		`"mobile":"01234567891","address":"Heaven 21","user_type":"Member","status":"1","add_date":"%s",`+
		`"last_login_at":"0000-00-00 00:00:00","expired_date":"2031-10-27 00:00:00","package_id":"1","last_login_ip":""}}`,
		id, userAddDate(ts, id, time.UTC))
	userWantBody(t, res, want)

	// The admin made on first start: an Admin who never expires, and whose
	// call just now is its last login.
	info := userInfoOf(ts, 1)
	if info["user_type"] != "Admin" || info["status"] != "1" || info["expired_date"] != userNeverSet ||
		info["email"] != "admin@example.com" || info["last_login_ip"] != "127.0.0.1" {
		t.Errorf("admin user_info: %v", info)
	}
	if s, _ := info["last_login_at"].(string); !userDatetime(s) || s == userNeverSet {
		t.Errorf("admin last_login_at %q, want the time of its first call", s)
	}
}

// userDatetime reports whether s is a YYYY-MM-DD HH:MM:SS datetime.
func userDatetime(s string) bool {
	_, err := time.Parse("2006-01-02 15:04:05", s)
	return err == nil || s == userNeverSet
}

// TestUserGetInfoLookup covers the filters of get_user_info: id, e-mail in
// any case, both (which must agree), neither, and users that do not exist.
func TestUserGetInfoLookup(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ann := userCreate(ts, "ann@example.com")
	bob := userCreate(ts, "Bob@Example.com")
	gone := userCreate(ts, "gone@example.com")
	userExec(ts, fmt.Sprintf("UPDATE users SET deleted = 1 WHERE id = %d", gone))
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
		{"by both disagreeing", []string{"user_id", fmt.Sprint(ann), "email", "bob@example.com"}, 0, userMsgNoUser},
		{"neither", nil, 0, userMsgNoFilter},
		{"both empty", []string{"user_id", "", "email", ""}, 0, userMsgNoFilter},
		{"both blank", []string{"user_id", "  ", "email", " "}, 0, userMsgNoFilter},
		{"unknown id", []string{"user_id", "999"}, 0, userMsgNoUser},
		{"id not a number", []string{"user_id", "abc"}, 0, userMsgNoUser},
		{"id zero", []string{"user_id", "0"}, 0, userMsgNoUser},
		{"id negative", []string{"user_id", "-1"}, 0, userMsgNoUser},
		{"unknown e-mail", []string{"email", "nobody@example.com"}, 0, userMsgNoUser},
		{"deleted user by id", []string{"user_id", fmt.Sprint(gone)}, 0, userMsgNoUser},
		{"deleted user by e-mail", []string{"email", "gone@example.com"}, 0, userMsgNoUser},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			params := vals(append([]string{"api_key", ts.AdminKey}, tc.params...)...)
			for _, res := range []response{ts.get("get_user_info", params), ts.post("get_user_info", params)} {
				if tc.want == 0 {
					userWantError(t, res, tc.msg)
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

// TestUserLastLogin shows that API use is recorded as the member's last
// login, with the caller's address.
func TestUserLastLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("ann@example.com", "")
	if info := userInfoOf(ts, m.ID); info["last_login_at"] != userNeverSet || info["last_login_ip"] != "" {
		t.Fatalf("before any call: %v", info)
	}
	before := time.Now().UTC().Truncate(time.Second)
	if res := ts.get("get_flow_campaigns", vals("api_key", m.Key)); res.Status != 200 {
		t.Fatalf("get_flow_campaigns: HTTP %d %s", res.Status, res.Body)
	}
	after := time.Now().UTC()
	info := userInfoOf(ts, m.ID)
	at, err := time.Parse("2006-01-02 15:04:05", info["last_login_at"].(string))
	if err != nil || at.Before(before) || at.After(after) {
		t.Errorf("last_login_at %q, want the time of the call (between %v and %v)", info["last_login_at"], before, after)
	}
	if info["last_login_ip"] != "127.0.0.1" {
		t.Errorf("last_login_ip %q, want 127.0.0.1", info["last_login_ip"])
	}
}

// TestPackagesNewInstall compares the whole get_all_packages answer of a new
// installation with the documented shape.
func TestPackagesNewInstall(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	want := `{"status":"success","packages":[{"id":"1","package_name":"Trial","module_ids":"","price":"0",` +
		`"validity":"0","deleted":"0","visible":"0","highlight":"0"}]}`
	userWantBody(t, ts.get("get_all_packages", vals("api_key", ts.AdminKey)), want)
	userWantBody(t, ts.post("get_all_packages/", vals("api_key", ts.AdminKey)), want)
}

// TestPackagesOrderAndDeleted lists packages by id, leaving deleted ones out.
func TestPackagesOrderAndDeleted(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	userExec(ts, `INSERT INTO packages (id, name, module_ids, price, validity, deleted, visible, highlight)
		VALUES (16, 'everything', '251,80,202', '112.35', 700, 0, 1, 0)`)
	userExec(ts, `INSERT INTO packages (id, name, module_ids, price, validity, deleted, visible, highlight)
		VALUES (3, 'Gone', '1', '5', 30, 1, 1, 1)`)
	userExec(ts, `INSERT INTO packages (id, name, module_ids, price, validity, deleted, visible, highlight)
		VALUES (9, 'Pro "plus"', '', '9.90', 365, 0, 0, 1)`)
	res := ts.get("get_all_packages", vals("api_key", ts.AdminKey))
	want := `{"status":"success","packages":[` +
		`{"id":"1","package_name":"Trial","module_ids":"","price":"0","validity":"0","deleted":"0","visible":"0","highlight":"0"},` +
		`{"id":"9","package_name":"Pro \"plus\"","module_ids":"","price":"9.90","validity":"365","deleted":"0","visible":"0","highlight":"1"},` +
		`{"id":"16","package_name":"everything","module_ids":"251,80,202","price":"112.35","validity":"700","deleted":"0","visible":"1","highlight":"0"}]}`
	userWantBody(t, res, want)
}

// TestUserMemberLearnsNothing shows that a member's answers from the Admin
// endpoints are the same whether the user, e-mail or id asked about exists
// or not, and that nothing changes.
func TestUserMemberLearnsNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("member@example.com", "")
	other := userCreate(ts, "other@example.com")
	want := `{"status":"error","message":"` + userMsgKeyInvalid + `"}`
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
		{"create_system_user", userPairs(userCreateParams(ts, "other@example.com", "api_key", ""))},
		{"create_system_user", userPairs(userCreateParams(ts, "fresh@example.com", "api_key", ""))},
		{"create_system_user", nil},
		{"update_user/" + fmt.Sprint(other), []string{"status", "0"}},
		{"update_user/999", []string{"status", "0"}},
		{"update_user/" + fmt.Sprint(m.ID), []string{"expired_date", "2099-01-01", "package_id", "1"}},
		{"update_user/" + fmt.Sprint(m.ID), nil},
		{"create_system_user/" + fmt.Sprint(other), []string{"name", "Mine"}},
		{"get_all_packages", nil},
	}
	before := ts.snapshot()
	for _, r := range requests {
		params := vals(append([]string{"api_key", m.Key}, r.kv...)...)
		userWantBody(t, ts.post(r.path, params), want)
		userWantBody(t, ts.get(r.path, params), want)
	}
	if after := ts.snapshot(); after != before {
		t.Errorf("a member's calls to Admin endpoints changed the database:\nbefore %s\nafter  %s", before, after)
	}
}
