package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
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

// TestUserUpdateCheckOrder sends update_user requests that break several
// rules at once, on both URL forms; the contract's first rule answers and
// nothing changes.
func TestUserUpdateCheckOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("member@example.com", "")
	gone := userCreate(ts, "gone@example.com")
	userExec(ts, fmt.Sprintf("UPDATE users SET deleted = 1 WHERE id = %d", gone))
	userExec(ts, "INSERT INTO packages (id, name, deleted) VALUES (7, 'Old', 1)")
	id := fmt.Sprint(m.ID)
	cases := []struct {
		name   string
		path   string // after update_user or create_system_user
		params []string
		msg    string
	}{
		{"no id, no key", "", nil, userMsgNoPathID},
		{"no id, trailing slash, no key", "/", nil, userMsgNoPathID},
		{"no id, unknown key", "", []string{"api_key", "nope", "name", "X"}, userMsgNoPathID},
		{"no id, member key", "", []string{"api_key", m.Key, "name", "X"}, userMsgNoPathID},
		{"no id, admin key", "", []string{"api_key", "ADMIN", "name", "X"}, userMsgNoPathID},
		{"no key", "/" + id, []string{"name", "X"}, userMsgKeyRequired},
		{"no key, no field, unknown user", "/999", nil, userMsgKeyRequired},
		{"unknown key", "/" + id, []string{"api_key", "nope", "name", "X"}, userMsgKeyInvalid},
		{"member key on itself", "/" + id, []string{"api_key", m.Key, "name", "X"}, userMsgKeyInvalid},
		{"no field", "/" + id, []string{"api_key", "ADMIN"}, userMsgNoField},
		{"blank fields", "/" + id, []string{"api_key", "ADMIN", "name", " ", "mobile", ""}, userMsgNoField},
		{"only fields update cannot change", "/" + id, []string{"api_key", "ADMIN", "email", "x@example.com", "password", "p"}, userMsgNoField},
		{"no field, unknown user", "/999", []string{"api_key", "ADMIN"}, userMsgNoField},
		{"bad date", "/" + id, []string{"api_key", "ADMIN", "expired_date", "2030-02-30"}, userMsgBadDate},
		{"bad date, unknown user", "/999", []string{"api_key", "ADMIN", "expired_date", "tomorrow"}, userMsgBadDate},
		{"bad date before unknown package", "/" + id, []string{"api_key", "ADMIN", "expired_date", "x", "package_id", "99"}, userMsgBadDate},
		{"unknown package", "/" + id, []string{"api_key", "ADMIN", "package_id", "99"}, userMsgNoPackage},
		{"deleted package", "/" + id, []string{"api_key", "ADMIN", "package_id", "7"}, userMsgNoPackage},
		{"package not a number", "/" + id, []string{"api_key", "ADMIN", "package_id", "one"}, userMsgNoPackage},
		{"unknown package, unknown user", "/999", []string{"api_key", "ADMIN", "package_id", "99"}, userMsgNoPackage},
		{"unknown user", "/999", []string{"api_key", "ADMIN", "name", "X"}, "User not found with the ID: 999"},
		{"unknown user, trailing slash", "/999/", []string{"api_key", "ADMIN", "name", "X"}, "User not found with the ID: 999"},
		{"deleted user", "/" + fmt.Sprint(gone), []string{"api_key", "ADMIN", "name", "X"}, "User not found with the ID: " + fmt.Sprint(gone)},
		{"id not a number", "/abc", []string{"api_key", "ADMIN", "name", "X"}, "User not found with the ID: abc"},
	}
	for _, tc := range cases {
		for _, endpoint := range []string{"update_user", "create_system_user"} {
			if endpoint == "create_system_user" && strings.Trim(tc.path, "/") == "" {
				continue // without an id this is the create endpoint
			}
			t.Run(endpoint+"/"+tc.name, func(t *testing.T) {
				params := vals(tc.params...)
				if params.Get("api_key") == "ADMIN" {
					params.Set("api_key", ts.AdminKey)
				}
				before := ts.snapshot()
				userWantError(t, ts.post(endpoint+tc.path, params), tc.msg)
				userWantError(t, ts.get(endpoint+tc.path, params), tc.msg)
				if after := ts.snapshot(); after != before {
					t.Errorf("a rejected update changed the database:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
}

// TestUserUpdateStatusValues accepts only 0 and 1 as status.
func TestUserUpdateStatusValues(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id := fmt.Sprint(userCreate(ts, "ann@example.com"))
	for _, status := range []string{"2", "-1", "01", "1.0", "true", "yes", "10"} {
		t.Run(status, func(t *testing.T) {
			before := ts.snapshot()
			res := ts.post("update_user/"+id, vals("api_key", ts.AdminKey, "status", status))
			if v := res.JSON(t); v["status"] != "error" || res.Status != 200 || res.Message(t) == "" {
				t.Errorf("status=%s: HTTP %d %s, want an error message", status, res.Status, res.Body)
			}
			if after := ts.snapshot(); after != before {
				t.Errorf("status=%s changed the database", status)
			}
		})
	}
}

// TestUserUpdateSuccess changes every field through both URL forms and
// reads them back; an update that changes nothing also succeeds.
func TestUserUpdateSuccess(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id := userCreate(ts, "ann@example.com", "name", "Ann", "mobile", "111", "address", "Old St")
	userExec(ts, "INSERT INTO packages (id, name) VALUES (16, 'everything')")
	path := fmt.Sprint(id)
	steps := []struct {
		name string
		path string
		kv   []string
		want map[string]string
	}{
		{"every field", "update_user/" + path, []string{"name", "Ann B", "mobile", "222", "address", "New St 2",
			"package_id", "16", "expired_date", "2032-02-29", "status", "0"},
			map[string]string{"name": "Ann B", "mobile": "222", "address": "New St 2", "package_id": "16",
				"expired_date": "2032-02-29 00:00:00", "status": "0"}},
		{"trailing slash, one field", "update_user/" + path + "/", []string{"status", "1"},
			map[string]string{"status": "1", "name": "Ann B", "package_id": "16"}},
		{"alias", "create_system_user/" + path, []string{"name", "Ann C", "package_id", "1"},
			map[string]string{"name": "Ann C", "package_id": "1", "mobile": "222"}},
		{"alias, trailing slash", "create_system_user/" + path + "/", []string{"mobile", " 333 "},
			map[string]string{"mobile": "333", "name": "Ann C"}},
		{"same values", "update_user/" + path, []string{"name", "Ann C", "mobile", "333", "status", "1"},
			map[string]string{"name": "Ann C", "mobile": "333", "status": "1"}},
		{"email is not an update field", "update_user/" + path, []string{"name", "Ann D", "email", "other@example.com"},
			map[string]string{"name": "Ann D", "email": "ann@example.com"}},
	}
	for _, step := range steps {
		res := ts.post(step.path, vals(append([]string{"api_key", ts.AdminKey}, step.kv...)...))
		userWantBody(t, res, `{"status":"success"}`)
		info := userInfoOf(ts, id)
		for k, v := range step.want {
			if info[k] != v {
				t.Errorf("%s: %s = %#v, want %q", step.name, k, info[k], v)
			}
		}
	}
	// A JSON body works too, numbers included.
	res := ts.postJSON("update_user/"+path, map[string]any{"api_key": ts.AdminKey, "status": 0, "package_id": 16})
	userWantBody(t, res, `{"status":"success"}`)
	if info := userInfoOf(ts, id); info["status"] != "0" || info["package_id"] != "16" {
		t.Errorf("after JSON update: %v", info)
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
