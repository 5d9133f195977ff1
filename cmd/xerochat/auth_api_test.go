package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// authEndpoints is every documented endpoint; the ones that take an id in
// the path are given one.
var authEndpoints = []string{
	"get_user_info", "create_system_user", "update_user/2", "create_system_user/2", "get_all_packages",
	"subscriber_information", "get_all_labels", "create_label", "assign_label",
	"get_contact_group", "create_contact_group", "update_contact_group/1", "delete_contact_group",
	"get_contact", "create_contact", "update_contact/1", "delete_contact",
	"get_flow_campaigns", "get_flow_campaign_info", "get_single_subscriber_flow_info", "get_all_subscriber_flow_info",
}

// authAdminCalls are valid calls of every Admin endpoint (user 2 exists
// when they are used), so that only the caller can make them fail.
func authAdminCalls(ts *testServer) []struct {
	path string
	kv   []string
} {
	return []struct {
		path string
		kv   []string
	}{
		{"get_user_info", []string{"user_id", "1"}},
		{"create_system_user", userPairs(userCreateParams(ts, "new@example.com", "api_key", ""))},
		{"update_user/2", []string{"name", "Changed"}},
		{"create_system_user/2", []string{"name", "Changed"}},
		{"get_all_packages", nil},
	}
}

// authRequest sends method to /api/path with a body of the given type.
func authRequest(ts *testServer, method, path, contentType string, body io.Reader, header ...string) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.URL()+"/api/"+path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return ts.do(req)
}

// authMultipart posts params as multipart/form-data, each name as often as
// it has values.
func authMultipart(ts *testServer, path string, params url.Values) response {
	ts.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for name, vs := range params {
		for _, v := range vs {
			if err := w.WriteField(name, v); err != nil {
				ts.t.Fatal(err)
			}
		}
	}
	w.Close()
	return authRequest(ts, http.MethodPost, path, w.FormDataContentType(), &buf)
}

// authOK fails unless res is a success of get_all_packages or
// get_flow_campaigns (which answers a bare array).
func authOK(t testing.TB, res response) {
	t.Helper()
	if res.Status != 200 || !(bytes.HasPrefix(res.Body, []byte("[")) || bytes.Contains(res.Body, []byte(`"status":"success"`))) {
		t.Errorf("HTTP %d %s, want success", res.Status, res.Body)
	}
}

// authSameDay runs call until the calendar day in every zone of locs is the
// same before and after it, so that no check straddles midnight.
func authSameDay(t testing.TB, locs []*time.Location, call func() response) response {
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
	ts := startServer(t)
	for _, path := range authEndpoints {
		t.Run(path, func(t *testing.T) {
			userWantError(t, ts.get(path, nil), userMsgKeyRequired)
			userWantError(t, ts.post(path, vals("api_key", "")), userMsgKeyRequired)
			userWantError(t, ts.post(path, vals("api_key", "  \t ")), userMsgKeyRequired)
			userWantError(t, ts.postJSON(path, map[string]any{"api_key": nil}), userMsgKeyRequired)
			userWantError(t, authRequest(ts, http.MethodGet, path, "", nil, "Authorization", "Bearer "), userMsgKeyRequired)
		})
	}
}

// TestAuthUnknownKeyEveryEndpoint asks every endpoint with a key nobody has.
func TestAuthUnknownKeyEveryEndpoint(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, path := range authEndpoints {
		t.Run(path, func(t *testing.T) {
			userWantError(t, ts.get(path, vals("api_key", "1-0123456789abcdef0123456789abcdef")), userMsgKeyInvalid)
			userWantError(t, ts.post(path, vals("api_key", ts.AdminKey+"x")), userMsgKeyInvalid)
		})
	}
}

// TestAuthRejectedCallers lists the callers the key check refuses, each on
// a fresh server: unknown keys, inactive, deleted and expired accounts. A
// refused caller gets the same message from member and Admin endpoints and
// changes nothing.
func TestAuthRejectedCallers(t *testing.T) {
	t.Parallel()
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	cases := []struct {
		name    string
		key     func(ts *testServer) string
		member  bool // the key works on member endpoints
		isAdmin bool // the key works on Admin endpoints
	}{
		{"active member (control)", func(ts *testServer) string { return ts.newMember("m@example.com", "").Key }, true, false},
		{"admin (control)", func(ts *testServer) string { return ts.AdminKey }, true, true},
		{"unknown key", func(ts *testServer) string { return "2-0123456789abcdef0123456789abcdef" }, false, false},
		{"key of another shape", func(ts *testServer) string { return "not a key" }, false, false},
		{"admin key in other case", func(ts *testServer) string { return strings.ToUpper(ts.AdminKey) }, false, false},
		{"admin key cut short", func(ts *testServer) string { return ts.AdminKey[:len(ts.AdminKey)-1] }, false, false},
		{"key over 128 characters", func(ts *testServer) string { return strings.Repeat("a", 129) }, false, false},
		{"key over 255 characters", func(ts *testServer) string { return strings.Repeat("a", 300) }, false, false},
		{"key not UTF-8", func(ts *testServer) string { return "\xff\xfe" + ts.AdminKey }, false, false},
		{"member made inactive", func(ts *testServer) string {
			m := ts.newMember("m@example.com", "")
			authOK(ts.t, ts.post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "status", "0")))
			return m.Key
		}, false, false},
		{"member deleted", func(ts *testServer) string {
			m := ts.newMember("m@example.com", "")
			userExec(ts, fmt.Sprintf("UPDATE users SET deleted = 1 WHERE id = %d", m.ID))
			return m.Key
		}, false, false},
		{"member expired yesterday", func(ts *testServer) string {
			m := ts.newMember("m@example.com", "")
			authOK(ts.t, ts.post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", yesterday)))
			return m.Key
		}, false, false},
		{"member expired long ago", func(ts *testServer) string {
			m := ts.newMember("m@example.com", "")
			authOK(ts.t, ts.post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", "2001-01-01")))
			return m.Key
		}, false, false},
		{"admin inactive", func(ts *testServer) string {
			userExec(ts, "UPDATE users SET status = 0 WHERE id = 1")
			return ts.AdminKey
		}, false, false},
		{"admin deleted", func(ts *testServer) string {
			userExec(ts, "UPDATE users SET deleted = 1 WHERE id = 1")
			return ts.AdminKey
		}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			userCreate(ts, "second@example.com") // user 2, for the update calls
			key := tc.key(ts)
			before := ts.snapshot()
			res := ts.get("get_flow_campaigns", vals("api_key", key))
			if tc.member {
				authOK(t, res)
			} else {
				userWantError(t, res, userMsgKeyInvalid)
			}
			for _, c := range authAdminCalls(ts) {
				res := ts.post(c.path, vals(append([]string{"api_key", key}, c.kv...)...))
				if tc.isAdmin {
					authOK(t, res)
				} else {
					userWantError(t, res, userMsgKeyInvalid)
				}
			}
			if after := ts.snapshot(); !tc.isAdmin && after != before {
				t.Errorf("a refused caller changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestAuthMemberOnAdminEndpoints: a valid member gets the key message from
// each Admin endpoint, by parameter and by Bearer header, and changes nothing.
func TestAuthMemberOnAdminEndpoints(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("m@example.com", "")
	before := ts.snapshot()
	for _, c := range authAdminCalls(ts) {
		t.Run(c.path, func(t *testing.T) {
			userWantError(t, ts.post(c.path, vals(append([]string{"api_key", m.Key}, c.kv...)...)), userMsgKeyInvalid)
			userWantError(t, ts.get(c.path, vals(append([]string{"api_key", m.Key}, c.kv...)...)), userMsgKeyInvalid)
			res := authRequest(ts, http.MethodPost, c.path, "application/x-www-form-urlencoded",
				strings.NewReader(vals(c.kv...).Encode()), "Authorization", "Bearer "+m.Key)
			userWantError(t, res, userMsgKeyInvalid)
		})
	}
	if after := ts.snapshot(); after != before {
		t.Errorf("a member's calls changed the database:\nbefore %s\nafter  %s", before, after)
	}
	authOK(t, ts.get("get_flow_campaigns", vals("api_key", m.Key)))
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
			ts := startServer(t)
			m := ts.newMember("m@example.com", "")
			res := authSameDay(t, []*time.Location{time.UTC}, func() response {
				date := time.Now().UTC().AddDate(0, 0, tc.days).Format("2006-01-02")
				authOK(t, ts.post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", date)))
				return ts.get("get_flow_campaigns", vals("api_key", m.Key))
			})
			if tc.valid {
				authOK(t, res)
				return
			}
			userWantError(t, res, userMsgKeyInvalid)
			authOK(t, ts.post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", userNextYear())))
			authOK(t, ts.get("get_flow_campaigns", vals("api_key", m.Key)))
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
			ts := startServer(t, withTimezone(tc.server.String()))
			m := ts.newMember("m@example.com", "")
			res := authSameDay(t, []*time.Location{tc.server, tc.expires}, func() response {
				date := time.Now().In(tc.expires).Format("2006-01-02")
				authOK(t, ts.post(fmt.Sprintf("update_user/%d", m.ID), vals("api_key", ts.AdminKey, "expired_date", date)))
				return ts.get("get_flow_campaigns", vals("api_key", m.Key))
			})
			if tc.valid {
				authOK(t, res)
			} else {
				userWantError(t, res, userMsgKeyInvalid)
			}
			// Dates the API shows are in the server's zone too.
			if info := userInfoOf(ts, m.ID); info["add_date"] != userAddDate(ts, m.ID, tc.server) {
				t.Errorf("add_date %q, want %q (server zone %s)", info["add_date"], userAddDate(ts, m.ID, tc.server), tc.server)
			}
		})
	}
}

// TestAuthAdminNeverExpires: an admin whose expired_date is long past keeps
// working.
func TestAuthAdminNeverExpires(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	authOK(t, ts.post("update_user/1", vals("api_key", ts.AdminKey, "expired_date", "2001-01-01")))
	if info := userInfoOf(ts, 1); info["expired_date"] != "2001-01-01 00:00:00" {
		t.Fatalf("expired_date not set: %v", info)
	}
	authOK(t, ts.get("get_all_packages", vals("api_key", ts.AdminKey)))
	authOK(t, ts.get("get_flow_campaigns", vals("api_key", ts.AdminKey)))
}

// TestAuthBearer takes the key from an Authorization: Bearer header.
func TestAuthBearer(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("m@example.com", "")
	cases := []struct {
		name, header, path, msg string // msg "" means success
	}{
		{"admin", "Bearer " + ts.AdminKey, "get_all_packages", ""},
		{"scheme in lower case", "bearer " + ts.AdminKey, "get_all_packages", ""},
		{"surrounding spaces", "Bearer   " + ts.AdminKey + "  ", "get_all_packages", ""},
		{"member on member endpoint", "Bearer " + m.Key, "get_flow_campaigns", ""},
		{"member on Admin endpoint", "Bearer " + m.Key, "get_all_packages", userMsgKeyInvalid},
		{"unknown key", "Bearer 1-0123456789abcdef0123456789abcdef", "get_all_packages", userMsgKeyInvalid},
		{"empty", "Bearer ", "get_all_packages", userMsgKeyRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				res := authRequest(ts, method, tc.path, "", nil, "Authorization", tc.header)
				if tc.msg == "" {
					authOK(t, res)
				} else {
					userWantError(t, res, tc.msg)
				}
			}
		})
	}
	// With a form body carrying the other parameters.
	res := authRequest(ts, http.MethodPost, "get_user_info", "application/x-www-form-urlencoded",
		strings.NewReader("user_id=1"), "Authorization", "Bearer "+ts.AdminKey)
	if info, _ := res.JSON(t)["user_info"].(map[string]any); info["id"] != "1" {
		t.Errorf("Bearer with form body: %s", res.Body)
	}
}

// TestAuthKeySources reads api_key from the query string and from every
// kind of body.
func TestAuthKeySources(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	form := vals("api_key", ts.AdminKey, "user_id", "1")
	cases := []struct {
		name string
		send func() response
	}{
		{"query, GET", func() response { return ts.get("get_user_info", form) }},
		{"query, POST with other parameters in body", func() response {
			return authRequest(ts, http.MethodPost, "get_user_info?api_key="+url.QueryEscape(ts.AdminKey),
				"application/x-www-form-urlencoded", strings.NewReader("user_id=1"))
		}},
		{"form body", func() response { return ts.post("get_user_info", form) }},
		{"form body without type", func() response {
			return authRequest(ts, http.MethodPost, "get_user_info", "", strings.NewReader(form.Encode()))
		}},
		{"form body with charset", func() response {
			return authRequest(ts, http.MethodPost, "get_user_info", "application/x-www-form-urlencoded; charset=UTF-8",
				strings.NewReader(form.Encode()))
		}},
		{"multipart body", func() response { return authMultipart(ts, "get_user_info", form) }},
		{"JSON body", func() response {
			return ts.postJSON("get_user_info", map[string]any{"api_key": ts.AdminKey, "user_id": 1})
		}},
		{"JSON body without type", func() response {
			return authRequest(ts, http.MethodPost, "get_user_info", "",
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
	ts := startServer(t)
	m := ts.newMember("m@example.com", "")
	authOK(t, ts.get("get_flow_campaigns", vals("api_key", m.Key)))
	newKey, err := ts.DB.RotateAPIKey(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if newKey == m.Key {
		t.Fatal("rotation gave the same key")
	}
	userWantError(t, ts.get("get_flow_campaigns", vals("api_key", m.Key)), userMsgKeyInvalid)
	authOK(t, ts.get("get_flow_campaigns", vals("api_key", newKey)))

	adminKey, err := ts.DB.RotateAPIKey(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	userWantError(t, ts.get("get_all_packages", vals("api_key", ts.AdminKey)), userMsgKeyInvalid)
	authOK(t, ts.get("get_all_packages", vals("api_key", adminKey)))

	// The key is not stored in clear text anywhere.
	if snap := ts.snapshot(); strings.Contains(snap, newKey) || strings.Contains(snap, adminKey) {
		t.Errorf("an API key is stored in clear text")
	}
}

// TestAuthBeforeParameterChecks: the key is checked before any parameter
// of the endpoint (update_user's path id excepted).
func TestAuthBeforeParameterChecks(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("m@example.com", "")
	cases := []struct {
		path string
		kv   []string
		msg  string
	}{
		{"get_user_info", nil, userMsgKeyRequired},
		{"get_user_info", []string{"api_key", "bad"}, userMsgKeyInvalid},
		{"get_user_info", []string{"api_key", m.Key}, userMsgKeyInvalid},
		{"get_user_info", []string{"api_key", "bad", "user_id", "999"}, userMsgKeyInvalid},
		{"create_system_user", []string{"api_key", "bad"}, userMsgKeyInvalid},
		{"create_system_user", []string{"email", "bad", "expired_date", "bad"}, userMsgKeyRequired},
		{"create_system_user", []string{"api_key", m.Key, "name", "A", "email", "bad"}, userMsgKeyInvalid},
		{"update_user/2", nil, userMsgKeyRequired},
		{"update_user/2", []string{"api_key", "bad"}, userMsgKeyInvalid},
		{"update_user/999", []string{"api_key", "bad", "status", "7"}, userMsgKeyInvalid},
		{"create_system_user/2", []string{"api_key", m.Key}, userMsgKeyInvalid},
		{"update_user", []string{"api_key", "bad"}, userMsgNoPathID},
		{"update_user/", []string{"api_key", m.Key}, userMsgNoPathID},
		{"get_all_packages", []string{"api_key", "bad"}, userMsgKeyInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.path+"/"+strings.Join(tc.kv, ","), func(t *testing.T) {
			userWantError(t, ts.get(tc.path, vals(tc.kv...)), tc.msg)
		})
	}
}

// TestAuthBeforeParameterLimits: parameters that break the server's own
// length and encoding limits do not answer before the key check, which
// CONTRACT.md §2 puts first.
func TestAuthBeforeParameterLimits(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	long := strings.Repeat("n", 300)
	cases := []struct {
		name, path string
		params     url.Values
		msg        string
	}{
		{"long name, no key", "create_system_user", vals("name", long), userMsgKeyRequired},
		{"long name, bad key", "create_system_user", vals("api_key", "bad", "name", long), userMsgKeyInvalid},
		{"long email, bad key", "get_user_info", vals("api_key", "bad", "email", long+"@example.com"), userMsgKeyInvalid},
		{"not UTF-8, no key", "get_user_info", vals("email", "\xff@example.com"), userMsgKeyRequired},
		{"long password, bad key", "create_system_user", vals("api_key", "bad", "password", strings.Repeat("p", 100)), userMsgKeyInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			userWantError(t, ts.post(tc.path, tc.params), tc.msg)
		})
	}
}
