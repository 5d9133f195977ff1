package main

import (
	"fmt"
	"strings"
	"testing"
)

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
