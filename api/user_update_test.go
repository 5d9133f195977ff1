package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestUserUpdateCheckOrder sends update_user requests that break several
// rules at once, on both URL forms; the contract's first rule answers and
// nothing changes.
func TestUserUpdateCheckOrder(t *testing.T) {
	t.Parallel()
	ts, m, gone := checkOrderServer(t)
	id := fmt.Sprint(m.ID)
	cases := []struct {
		name   string
		path   string // after update_user or create_system_user
		params []string
		msg    string
	}{
		{"no id, no key", "", nil, xerochat.MsgUserIDInPath},
		{"no id, trailing slash, no key", "/", nil, xerochat.MsgUserIDInPath},
		{"no id, unknown key", "", []string{"api_key", "nope", "name", "X"}, xerochat.MsgUserIDInPath},
		{"no id, member key", "", []string{"api_key", m.Key, "name", "X"}, xerochat.MsgUserIDInPath},
		{"no id, admin key", "", []string{"api_key", "ADMIN", "name", "X"}, xerochat.MsgUserIDInPath},
		{"no key", "/" + id, []string{"name", "X"}, xerochat.MsgKeyRequired},
		{"no key, no field, unknown user", "/999", nil, xerochat.MsgKeyRequired},
		{"unknown key", "/" + id, []string{"api_key", "nope", "name", "X"}, xerochat.MsgKeyInvalid},
		{"member key on itself", "/" + id, []string{"api_key", m.Key, "name", "X"}, xerochat.MsgKeyInvalid},
		{"no field", "/" + id, []string{"api_key", "ADMIN"}, xerochat.MsgUserNoUpdate},
		{"blank fields", "/" + id, []string{"api_key", "ADMIN", "name", " ", "mobile", ""}, xerochat.MsgUserNoUpdate},
		{"only fields update cannot change", "/" + id, []string{"api_key", "ADMIN", "email", "x@example.com", "password", "p"}, xerochat.MsgUserNoUpdate},
		{"no field, unknown user", "/999", []string{"api_key", "ADMIN"}, xerochat.MsgUserNoUpdate},
		{"bad date", "/" + id, []string{"api_key", "ADMIN", "expired_date", "2030-02-30"}, xerochat.MsgUserExpiryBad},
		{"bad date, unknown user", "/999", []string{"api_key", "ADMIN", "expired_date", "tomorrow"}, xerochat.MsgUserExpiryBad},
		{"bad date before unknown package", "/" + id, []string{"api_key", "ADMIN", "expired_date", "x", "package_id", "99"}, xerochat.MsgUserExpiryBad},
		{"unknown package", "/" + id, []string{"api_key", "ADMIN", "package_id", "99"}, xerochat.MsgPackageNotFound},
		{"deleted package", "/" + id, []string{"api_key", "ADMIN", "package_id", "7"}, xerochat.MsgPackageNotFound},
		{"package not a number", "/" + id, []string{"api_key", "ADMIN", "package_id", "one"}, xerochat.MsgPackageNotFound},
		{"unknown package, unknown user", "/999", []string{"api_key", "ADMIN", "package_id", "99"}, xerochat.MsgPackageNotFound},
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
				ts := ts.For(t)
				params := vals(tc.params...)
				if params.Get("api_key") == "ADMIN" {
					params.Set("api_key", ts.AdminKey)
				}
				before := ts.Snapshot()
				wantError(t, ts.Post(endpoint+tc.path, params), tc.msg)
				wantError(t, ts.Get(endpoint+tc.path, params), tc.msg)
				if after := ts.Snapshot(); after != before {
					t.Errorf("a rejected update changed the database:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
}

// TestUserUpdateStatusValues accepts only 0 and 1 as status.
func TestUserUpdateStatusValues(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	id := fmt.Sprint(createUser(t, ts, "ann@example.com"))
	for _, status := range []string{"2", "-1", "01", "1.0", "true", "yes", "10"} {
		t.Run(status, func(t *testing.T) {
			ts := ts.For(t)
			before := ts.Snapshot()
			res := ts.Post("update_user/"+id, vals("api_key", ts.AdminKey, "status", status))
			if v := res.JSON(t); v["status"] != "error" || res.Status != 200 || res.Message(t) == "" {
				t.Errorf("status=%s: HTTP %d %s, want an error message", status, res.Status, res.Body)
			}
			if after := ts.Snapshot(); after != before {
				t.Errorf("status=%s changed the database", status)
			}
		})
	}
}

// TestUserUpdateSuccess changes every field through both URL forms and
// reads them back; an update that changes nothing also succeeds.
func TestUserUpdateSuccess(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	id := createUser(t, ts, "ann@example.com", "name", "Ann", "mobile", "111", "address", "Old St")
	ts.Exec("INSERT INTO packages (id, name) VALUES (16, 'everything')")
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
		res := ts.Post(step.path, vals(append([]string{"api_key", ts.AdminKey}, step.kv...)...))
		wantJSON(t, res, `{"status":"success"}`)
		info := userInfo(t, ts, id)
		for k, v := range step.want {
			if info[k] != v {
				t.Errorf("%s: %s = %#v, want %q", step.name, k, info[k], v)
			}
		}
	}
	// A JSON body works too, numbers included.
	res := ts.PostJSON("update_user/"+path, map[string]any{"api_key": ts.AdminKey, "status": 0, "package_id": 16})
	wantJSON(t, res, `{"status":"success"}`)
	if info := userInfo(t, ts, id); info["status"] != "0" || info["package_id"] != "16" {
		t.Errorf("after JSON update: %v", info)
	}
}
