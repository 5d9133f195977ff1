package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// endpointPaths is every documented endpoint; the ones that take an id in
// the path are given one.
var endpointPaths = []string{
	"get_user_info", "create_system_user", "update_user/2", "create_system_user/2", "get_all_packages",
	"subscriber_information", "get_all_labels", "create_label", "assign_label",
	"get_contact_group", "create_contact_group", "update_contact_group/1", "delete_contact_group",
	"get_contact", "create_contact", "update_contact/1", "delete_contact",
	"get_flow_campaigns", "get_flow_campaign_info", "get_single_subscriber_flow_info", "get_all_subscriber_flow_info",
}

// adminCall is a valid call of an Admin endpoint, without its key.
type adminCall struct {
	path   string
	params url.Values
}

// adminCalls are valid calls of every Admin endpoint (user 2 exists when
// they are used), so that only the caller can make them fail.
func adminCalls(ts *xerochattest.Server) []adminCall {
	return []adminCall{
		{"get_user_info", vals("user_id", "1")},
		{"create_system_user", userParams(ts, "new@example.com", "api_key", "")},
		{"update_user/2", vals("name", "Changed")},
		{"create_system_user/2", vals("name", "Changed")},
		{"get_all_packages", url.Values{}},
	}
}

// wantOK fails unless res is a success of get_all_packages or
// get_flow_campaigns (which answers a bare array).
func wantOK(t testing.TB, res xerochattest.Response) {
	t.Helper()
	if res.Status != 200 || !(bytes.HasPrefix(res.Body, []byte("[")) || bytes.Contains(res.Body, []byte(`"status":"success"`))) {
		t.Errorf("HTTP %d %s, want success", res.Status, res.Body)
	}
}

// sameDay runs call until the calendar day in every zone of locs is the
// same before and after it, so that no check straddles midnight.
func sameDay(t testing.TB, locs []*time.Location, call func() xerochattest.Response) xerochattest.Response {
	t.Helper()
	days := func() string {
		var b strings.Builder
		for _, loc := range locs {
			b.WriteString(time.Now().In(loc).Format("2006-01-02 "))
		}
		return b.String()
	}
	for {
		before := days()
		res := call()
		if days() == before {
			return res
		}
	}
}

// TestAuthMissingKey asks every endpoint without a key, or with a blank one.
func TestAuthMissingKey(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	for _, path := range endpointPaths {
		t.Run(path, func(t *testing.T) {
			ts := ts.For(t)
			wantError(t, ts.Get(path, nil), xerochat.MsgKeyRequired)
			wantError(t, ts.Post(path, vals("api_key", "")), xerochat.MsgKeyRequired)
			wantError(t, ts.Post(path, vals("api_key", "  \t ")), xerochat.MsgKeyRequired)
			wantError(t, ts.PostJSON(path, map[string]any{"api_key": nil}), xerochat.MsgKeyRequired)
			wantError(t, ts.Send(http.MethodGet, path, "", nil, "Authorization", "Bearer "), xerochat.MsgKeyRequired)
		})
	}
}

// TestAuthUnknownKeyEveryEndpoint asks every endpoint with a key nobody has.
func TestAuthUnknownKeyEveryEndpoint(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	for _, path := range endpointPaths {
		t.Run(path, func(t *testing.T) {
			ts := ts.For(t)
			wantError(t, ts.Get(path, vals("api_key", "1-0123456789abcdef0123456789abcdef")), xerochat.MsgKeyInvalid)
			wantError(t, ts.Post(path, vals("api_key", ts.AdminKey+"x")), xerochat.MsgKeyInvalid)
		})
	}
}

// TestAuthRejectedCallers lists the callers the key check refuses, each on
// a fresh server: unknown keys, inactive, deleted and expired accounts. A
// refused caller gets the same message from member and Admin endpoints and
// changes nothing.
func TestAuthRejectedCallers(t *testing.T) {
	t.Parallel()
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(xerochat.DateLayout)
	cases := []struct {
		name    string
		key     func(t testing.TB, ts *xerochattest.Server) string
		member  bool // the key works on member endpoints
		isAdmin bool // the key works on Admin endpoints
	}{
		{"active member (control)", func(t testing.TB, ts *xerochattest.Server) string { return ts.NewMember("m@example.com", "").Key }, true, false},
		{"admin (control)", func(t testing.TB, ts *xerochattest.Server) string { return ts.AdminKey }, true, true},
		{"unknown key", func(t testing.TB, ts *xerochattest.Server) string { return "2-0123456789abcdef0123456789abcdef" }, false, false},
		{"key of another shape", func(t testing.TB, ts *xerochattest.Server) string { return "not a key" }, false, false},
		{"admin key in other case", func(t testing.TB, ts *xerochattest.Server) string { return strings.ToUpper(ts.AdminKey) }, false, false},
		{"admin key cut short", func(t testing.TB, ts *xerochattest.Server) string { return ts.AdminKey[:len(ts.AdminKey)-1] }, false, false},
		{"key over 128 characters", func(t testing.TB, ts *xerochattest.Server) string { return strings.Repeat("a", 129) }, false, false},
		{"key over 255 characters", func(t testing.TB, ts *xerochattest.Server) string { return strings.Repeat("a", 300) }, false, false},
		{"key not UTF-8", func(t testing.TB, ts *xerochattest.Server) string { return "\xff\xfe" + ts.AdminKey }, false, false},
		{"member made inactive", func(t testing.TB, ts *xerochattest.Server) string {
			m := ts.NewMember("m@example.com", "")
			wantOK(t, ts.Post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "status", "0")))
			return m.Key
		}, false, false},
		{"member deleted", func(t testing.TB, ts *xerochattest.Server) string {
			m := ts.NewMember("m@example.com", "")
			ts.Exec(fmt.Sprintf("UPDATE users SET deleted = 1 WHERE id = %d", m.ID))
			return m.Key
		}, false, false},
		{"member expired yesterday", func(t testing.TB, ts *xerochattest.Server) string {
			m := ts.NewMember("m@example.com", "")
			wantOK(t, ts.Post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", yesterday)))
			return m.Key
		}, false, false},
		{"member expired long ago", func(t testing.TB, ts *xerochattest.Server) string {
			m := ts.NewMember("m@example.com", "")
			wantOK(t, ts.Post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", "2001-01-01")))
			return m.Key
		}, false, false},
		{"admin inactive", func(t testing.TB, ts *xerochattest.Server) string {
			ts.Exec("UPDATE users SET status = 0 WHERE id = 1")
			return ts.AdminKey
		}, false, false},
		{"admin deleted", func(t testing.TB, ts *xerochattest.Server) string {
			ts.Exec("UPDATE users SET deleted = 1 WHERE id = 1")
			return ts.AdminKey
		}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := xerochattest.NewServer(t)
			createUser(t, ts, "second@example.com") // user 2, for the update calls
			key := tc.key(t, ts)
			before := ts.Snapshot()
			res := ts.Get("get_flow_campaigns", vals("api_key", key))
			if tc.member {
				wantOK(t, res)
			} else {
				wantError(t, res, xerochat.MsgKeyInvalid)
			}
			for _, c := range adminCalls(ts) {
				res := ts.Post(c.path, with(c.params, key))
				if tc.isAdmin {
					wantOK(t, res)
				} else {
					wantError(t, res, xerochat.MsgKeyInvalid)
				}
			}
			if after := ts.Snapshot(); !tc.isAdmin && after != before {
				t.Errorf("a refused caller changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestAuthMemberOnAdminEndpoints: a valid member gets the key message from
// each Admin endpoint, by parameter and by Bearer header, and changes nothing.
func TestAuthMemberOnAdminEndpoints(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	m := ts.NewMember("m@example.com", "")
	before := ts.Snapshot()
	for _, c := range adminCalls(ts) {
		t.Run(c.path, func(t *testing.T) {
			ts := ts.For(t)
			wantError(t, ts.Post(c.path, with(c.params, m.Key)), xerochat.MsgKeyInvalid)
			wantError(t, ts.Get(c.path, with(c.params, m.Key)), xerochat.MsgKeyInvalid)
			res := ts.Send(http.MethodPost, c.path, "application/x-www-form-urlencoded",
				strings.NewReader(c.params.Encode()), "Authorization", "Bearer "+m.Key)
			wantError(t, res, xerochat.MsgKeyInvalid)
		})
	}
	if after := ts.Snapshot(); after != before {
		t.Errorf("a member's calls changed the database:\nbefore %s\nafter  %s", before, after)
	}
	wantOK(t, ts.Get("get_flow_campaigns", vals("api_key", m.Key)))
}

// TestAuthExpiryDay: a member is valid through the whole of expired_date
// and refused from the next day; renewing makes the same key work again.
func TestAuthExpiryDay(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		days  int // expired_date relative to today
		valid bool
	}{
		{"expires tomorrow", 1, true},
		{"expires today", 0, true},
		{"expired yesterday", -1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := xerochattest.NewServer(t)
			m := ts.NewMember("m@example.com", "")
			res := sameDay(t, []*time.Location{time.UTC}, func() xerochattest.Response {
				date := time.Now().UTC().AddDate(0, 0, tc.days).Format(xerochat.DateLayout)
				wantOK(t, ts.Post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", date)))
				return ts.Get("get_flow_campaigns", vals("api_key", m.Key))
			})
			if tc.valid {
				wantOK(t, res)
				return
			}
			wantError(t, res, xerochat.MsgKeyInvalid)
			wantOK(t, ts.Post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", nextYear())))
			wantOK(t, ts.Get("get_flow_campaigns", vals("api_key", m.Key)))
		})
	}
}

// TestAuthExpiryUsesServerTimeZone: the expiry day is a day of the server's
// zone. Kiritimati (UTC+14) is always at least a day ahead of Etc/GMT+12
// (UTC-12), so one date is "today" on one server and past on the other.
func TestAuthExpiryUsesServerTimeZone(t *testing.T) {
	t.Parallel()
	ahead, _ := time.LoadLocation("Pacific/Kiritimati")
	behind, _ := time.LoadLocation("Etc/GMT+12")
	if ahead == nil || behind == nil {
		t.Fatal("time zones not available")
	}
	cases := []struct {
		name    string
		server  *time.Location
		expires *time.Location // expired_date is today in this zone
		valid   bool
	}{
		{"ahead server, today ahead", ahead, ahead, true},
		{"ahead server, today behind", ahead, behind, false},
		{"behind server, today behind", behind, behind, true},
		{"behind server, today ahead", behind, ahead, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := xerochattest.NewServer(t, xerochattest.Timezone(tc.server.String()))
			m := ts.NewMember("m@example.com", "")
			res := sameDay(t, []*time.Location{tc.server, tc.expires}, func() xerochattest.Response {
				date := time.Now().In(tc.expires).Format(xerochat.DateLayout)
				wantOK(t, ts.Post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", date)))
				return ts.Get("get_flow_campaigns", vals("api_key", m.Key))
			})
			if tc.valid {
				wantOK(t, res)
			} else {
				wantError(t, res, xerochat.MsgKeyInvalid)
			}
			// Dates the API shows are in the server's zone too.
			if info := userInfo(t, ts, m.ID); info["add_date"] != addDate(t, ts, m.ID, tc.server) {
				t.Errorf("add_date %q, want %q (server zone %s)", info["add_date"], addDate(t, ts, m.ID, tc.server), tc.server)
			}
		})
	}
}

// TestAuthAdminNeverExpires: an admin whose expired_date is long past keeps
// working.
func TestAuthAdminNeverExpires(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	wantOK(t, ts.Post("update_user/1", vals("api_key", ts.AdminKey, "expired_date", "2001-01-01")))
	if info := userInfo(t, ts, 1); info["expired_date"] != "2001-01-01 00:00:00" {
		t.Fatalf("expired_date not set: %v", info)
	}
	wantOK(t, ts.Get("get_all_packages", vals("api_key", ts.AdminKey)))
	wantOK(t, ts.Get("get_flow_campaigns", vals("api_key", ts.AdminKey)))
}

// TestAuthBearer takes the key from an Authorization: Bearer header.
func TestAuthBearer(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	m := ts.NewMember("m@example.com", "")
	cases := []struct {
		name, header, path, msg string // msg "" means success
	}{
		{"admin", "Bearer " + ts.AdminKey, "get_all_packages", ""},
		{"scheme in lower case", "bearer " + ts.AdminKey, "get_all_packages", ""},
		{"surrounding spaces", "Bearer   " + ts.AdminKey + "  ", "get_all_packages", ""},
		{"member on member endpoint", "Bearer " + m.Key, "get_flow_campaigns", ""},
		{"member on Admin endpoint", "Bearer " + m.Key, "get_all_packages", xerochat.MsgKeyInvalid},
		{"unknown key", "Bearer 1-0123456789abcdef0123456789abcdef", "get_all_packages", xerochat.MsgKeyInvalid},
		{"empty", "Bearer ", "get_all_packages", xerochat.MsgKeyRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				res := ts.Send(method, tc.path, "", nil, "Authorization", tc.header)
				if tc.msg == "" {
					wantOK(t, res)
				} else {
					wantError(t, res, tc.msg)
				}
			}
		})
	}
	// With a form body carrying the other parameters.
	res := ts.Send(http.MethodPost, "get_user_info", "application/x-www-form-urlencoded",
		strings.NewReader("user_id=1"), "Authorization", "Bearer "+ts.AdminKey)
	if info, _ := res.JSON(t)["user_info"].(map[string]any); info["id"] != "1" {
		t.Errorf("Bearer with form body: %s", res.Body)
	}
}

// TestAuthKeySources reads api_key from the query string and from every
// kind of body.
func TestAuthKeySources(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	form := vals("api_key", ts.AdminKey, "user_id", "1")
	cases := []struct {
		name string
		send func() xerochattest.Response
	}{
		{"query, GET", func() xerochattest.Response { return ts.Get("get_user_info", form) }},
		{"query, POST with other parameters in body", func() xerochattest.Response {
			return ts.Send(http.MethodPost, "get_user_info?api_key="+url.QueryEscape(ts.AdminKey),
				"application/x-www-form-urlencoded", strings.NewReader("user_id=1"))
		}},
		{"form body", func() xerochattest.Response { return ts.Post("get_user_info", form) }},
		{"form body without type", func() xerochattest.Response {
			return ts.Send(http.MethodPost, "get_user_info", "", strings.NewReader(form.Encode()))
		}},
		{"form body with charset", func() xerochattest.Response {
			return ts.Send(http.MethodPost, "get_user_info", "application/x-www-form-urlencoded; charset=UTF-8",
				strings.NewReader(form.Encode()))
		}},
		{"multipart body", func() xerochattest.Response { return postMultipart(t, ts, "get_user_info", form) }},
		{"JSON body", func() xerochattest.Response {
			return ts.PostJSON("get_user_info", map[string]any{"api_key": ts.AdminKey, "user_id": 1})
		}},
		{"JSON body without type", func() xerochattest.Response {
			return ts.Send(http.MethodPost, "get_user_info", "",
				strings.NewReader(`{"api_key":"`+ts.AdminKey+`","user_id":"1"}`))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.send()
			if info, _ := res.JSON(t)["user_info"].(map[string]any); res.Status != 200 || info["id"] != "1" {
				t.Errorf("HTTP %d %s, want user 1", res.Status, res.Body)
			}
		})
	}
}

// TestAuthRotatedKey: a new key ends the old one at once.
func TestAuthRotatedKey(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	m := ts.NewMember("m@example.com", "")
	wantOK(t, ts.Get("get_flow_campaigns", vals("api_key", m.Key)))
	newKey, err := ts.App.RotateAPIKey(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if newKey == m.Key {
		t.Fatal("rotation gave the same key")
	}
	wantError(t, ts.Get("get_flow_campaigns", vals("api_key", m.Key)), xerochat.MsgKeyInvalid)
	wantOK(t, ts.Get("get_flow_campaigns", vals("api_key", newKey)))

	adminKey, err := ts.App.RotateAPIKey(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, ts.Get("get_all_packages", vals("api_key", ts.AdminKey)), xerochat.MsgKeyInvalid)
	wantOK(t, ts.Get("get_all_packages", vals("api_key", adminKey)))

	// The key is not stored in clear text anywhere.
	if snap := ts.Snapshot(); strings.Contains(snap, newKey) || strings.Contains(snap, adminKey) {
		t.Errorf("an API key is stored in clear text")
	}
}

// TestAuthBeforeParameterChecks: the key is checked before any parameter
// of the endpoint (update_user's path id excepted).
func TestAuthBeforeParameterChecks(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	m := ts.NewMember("m@example.com", "")
	cases := []struct {
		path string
		kv   []string
		msg  string
	}{
		{"get_user_info", nil, xerochat.MsgKeyRequired},
		{"get_user_info", []string{"api_key", "bad"}, xerochat.MsgKeyInvalid},
		{"get_user_info", []string{"api_key", m.Key}, xerochat.MsgKeyInvalid},
		{"get_user_info", []string{"api_key", "bad", "user_id", "999"}, xerochat.MsgKeyInvalid},
		{"create_system_user", []string{"api_key", "bad"}, xerochat.MsgKeyInvalid},
		{"create_system_user", []string{"email", "bad", "expired_date", "bad"}, xerochat.MsgKeyRequired},
		{"create_system_user", []string{"api_key", m.Key, "name", "A", "email", "bad"}, xerochat.MsgKeyInvalid},
		{"update_user/2", nil, xerochat.MsgKeyRequired},
		{"update_user/2", []string{"api_key", "bad"}, xerochat.MsgKeyInvalid},
		{"update_user/999", []string{"api_key", "bad", "status", "7"}, xerochat.MsgKeyInvalid},
		{"create_system_user/2", []string{"api_key", m.Key}, xerochat.MsgKeyInvalid},
		{"update_user", []string{"api_key", "bad"}, xerochat.MsgUserIDInPath},
		{"update_user/", []string{"api_key", m.Key}, xerochat.MsgUserIDInPath},
		{"get_all_packages", []string{"api_key", "bad"}, xerochat.MsgKeyInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.path+"/"+strings.Join(tc.kv, ","), func(t *testing.T) {
			ts := ts.For(t)
			wantError(t, ts.Get(tc.path, vals(tc.kv...)), tc.msg)
		})
	}
}

// TestAuthBeforeParameterLimits: parameters that break the server's own
// length and encoding limits do not answer before the key check, which
// CONTRACT.md §2 puts first.
func TestAuthBeforeParameterLimits(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	long := strings.Repeat("n", 300)
	cases := []struct {
		name, path string
		params     url.Values
		msg        string
	}{
		{"long name, no key", "create_system_user", vals("name", long), xerochat.MsgKeyRequired},
		{"long name, bad key", "create_system_user", vals("api_key", "bad", "name", long), xerochat.MsgKeyInvalid},
		{"long email, bad key", "get_user_info", vals("api_key", "bad", "email", long+"@example.com"), xerochat.MsgKeyInvalid},
		{"not UTF-8, no key", "get_user_info", vals("email", "\xff@example.com"), xerochat.MsgKeyRequired},
		{"long password, bad key", "create_system_user", vals("api_key", "bad", "password", strings.Repeat("p", 100)), xerochat.MsgKeyInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			wantError(t, ts.Post(tc.path, tc.params), tc.msg)
		})
	}
}
