package api_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// lookupCase is a get_user_info request sent some way, and the user id it
// must find or the error message it must get.
type lookupCase struct {
	name string
	send func() xerochattest.Response
	want string
}

// wantLookups runs each case as a subtest.
func wantLookups(t *testing.T, cases []lookupCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.send()
			if len(tc.want) > 2 {
				wantError(t, res, tc.want)
				return
			}
			if info, _ := res.JSON(t)["user_info"].(map[string]any); info["id"] != tc.want {
				t.Errorf("got %s, want user %s", res.Body, tc.want)
			}
		})
	}
}

// TestRequestTrailingSlash: /api/<name> and /api/<name>/ answer the same.
func TestRequestTrailingSlash(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	createUser(t, ts, "second@example.com")
	for _, path := range endpointPaths {
		t.Run(path, func(t *testing.T) {
			ts := ts.For(t)
			for _, params := range []url.Values{vals("api_key", ts.AdminKey), vals("api_key", ts.AdminKey, "user_id", "2"), nil} {
				plain, slash := ts.Get(path, params), ts.Get(path+"/", params)
				if plain.Status != 200 || slash.Status != plain.Status || !bytes.Equal(plain.Body, slash.Body) {
					t.Errorf("%s: HTTP %d %s\n%s/: HTTP %d %s", path, plain.Status, plain.Body, path, slash.Status, slash.Body)
				}
			}
		})
	}
}

// TestRequestMethods: every endpoint answers GET, POST and HEAD; other
// methods get 405 with the JSON error body and change nothing.
func TestRequestMethods(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	createUser(t, ts, "second@example.com")
	query := "?api_key=" + url.QueryEscape(ts.AdminKey)
	for _, path := range endpointPaths {
		t.Run(path, func(t *testing.T) {
			ts := ts.For(t)
			get := ts.Send(http.MethodGet, path+query, "", nil)
			post := ts.Send(http.MethodPost, path+query, "", nil)
			if get.Status != 200 || post.Status != 200 || !bytes.Equal(get.Body, post.Body) {
				t.Errorf("GET: HTTP %d %s; POST: HTTP %d %s", get.Status, get.Body, post.Status, post.Body)
			}
			head := ts.Send(http.MethodHead, path+query, "", nil)
			if head.Status != 200 || len(head.Body) != 0 || head.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("HEAD: HTTP %d, Content-Type %q, body %q", head.Status, head.Header.Get("Content-Type"), head.Body)
			}
			for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "PROPFIND"} {
				res := ts.Send(method, path+query, "", nil)
				wantErrorStatus(t, res, http.StatusMethodNotAllowed)
				if allow := res.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
					t.Errorf("%s: Allow %q", method, allow)
				}
			}
		})
	}
	// A write with a refused method stores nothing.
	before := ts.Snapshot()
	params := userParams(ts, "new@example.com")
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		res := ts.Send(method, "create_system_user", "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
		wantErrorStatus(t, res, http.StatusMethodNotAllowed)
	}
	res := ts.Send(http.MethodPut, "update_user/2", "application/x-www-form-urlencoded",
		strings.NewReader(vals("api_key", ts.AdminKey, "name", "Changed").Encode()))
	wantErrorStatus(t, res, http.StatusMethodNotAllowed)
	if after := ts.Snapshot(); after != before {
		t.Errorf("a refused method changed the database:\nbefore %s\nafter  %s", before, after)
	}
	// GET may write, as in the original: parameters in the query string.
	res = ts.Get("create_system_user", params)
	if v := res.JSON(t); v["status"] != "success" {
		t.Errorf("create_system_user by GET: %s", res.Body)
	}
}

// TestRequestUnknownPaths: unknown endpoints, and two extra path segments, are
// 404 with the JSON error body, whatever the key.
func TestRequestUnknownPaths(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	createUser(t, ts, "second@example.com")
	paths := []string{"", "nope", "get_user_infos", "get_user", "getUserInfo", "get_all_packages/extra/more",
		"get_all_packages/1/2/", "get_user_info/1/2", "get_flow_campaigns/1/2", "create_contact_group/3/4",
		"update_user/2/3", "update_user/2/3/", "create_system_user/2/x", "update_contact/7/8", "update_contact_group/3/4"}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			ts := ts.For(t)
			for _, key := range []string{"", ts.AdminKey} {
				wantErrorStatus(t, ts.Get(path, vals("api_key", key, "user_id", "2", "name", "X")), http.StatusNotFound)
				wantErrorStatus(t, ts.Post(path, vals("api_key", key, "user_id", "2", "name", "X")), http.StatusNotFound)
			}
		})
	}
	if info := userInfo(t, ts, 2); info["name"] != "Ann Example" {
		t.Errorf("a 404 call changed user 2: %v", info)
	}
}

// TestRequestUncleanPaths: paths the router would clean (double slashes,
// dot segments, /api alone) still get a JSON answer, never an HTML page.
func TestRequestUncleanPaths(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	query := "?api_key=" + url.QueryEscape(ts.AdminKey)
	for _, path := range []string{"/api", "/api//get_all_packages", "/api/get_all_packages//", "/api/./get_all_packages",
		"/api/x/../get_all_packages", "/api/update_user/2//"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(method+" "+path, func(t *testing.T) {
				req, _ := http.NewRequest(method, ts.URL+path+query, nil)
				res, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("HTTP %d, Content-Type %q, body %q: want a JSON answer", res.StatusCode, ct, body)
				}
			})
		}
	}
}

// TestRequestBodyWinsOverQuery: a name in both the query string and the
// body takes the body's value, for every kind of body and for the key.
func TestRequestBodyWinsOverQuery(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	createUser(t, ts, "second@example.com")
	q := func(kv ...string) string { return "get_user_info?" + vals(kv...).Encode() }
	form := "application/x-www-form-urlencoded"
	wantLookups(t, []lookupCase{
		{"form", func() xerochattest.Response {
			return ts.Send(http.MethodPost, q("api_key", ts.AdminKey, "user_id", "1"), form, strings.NewReader("user_id=2"))
		}, "2"},
		{"form on GET", func() xerochattest.Response {
			return ts.Send(http.MethodGet, q("api_key", ts.AdminKey, "user_id", "1"), form, strings.NewReader("user_id=2"))
		}, "2"},
		{"multipart", func() xerochattest.Response {
			body, ctype := multipartBody(t, "user_id", "2")
			return ts.Send(http.MethodPost, q("api_key", ts.AdminKey, "user_id", "1"), ctype, body)
		}, "2"},
		{"JSON", func() xerochattest.Response {
			return ts.Send(http.MethodPost, q("api_key", ts.AdminKey, "user_id", "2"), "application/json",
				strings.NewReader(`{"user_id":1}`))
		}, "1"},
		{"bad key in query, good in body", func() xerochattest.Response {
			return ts.Send(http.MethodPost, q("api_key", "bad", "user_id", "1"), form,
				strings.NewReader(vals("api_key", ts.AdminKey).Encode()))
		}, "1"},
		{"good key in query, bad in body", func() xerochattest.Response {
			return ts.Send(http.MethodPost, q("api_key", ts.AdminKey, "user_id", "1"), form, strings.NewReader("api_key=bad"))
		}, xerochat.MsgKeyInvalid},
		{"query only where body lacks the name", func() xerochattest.Response {
			return ts.Send(http.MethodPost, q("user_id", "2"), form, strings.NewReader(vals("api_key", ts.AdminKey).Encode()))
		}, "2"},
	})
}

// TestRequestTrimmedValues: values lose surrounding white space in the
// query, form, multipart and JSON bodies alike.
func TestRequestTrimmedValues(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	padded := vals("api_key", " \t"+ts.AdminKey+"\n ", "email", "  Admin@Example.com\r\n", "user_id", " 1 ")
	for name, res := range map[string]xerochattest.Response{
		"query":     ts.Get("get_user_info", padded),
		"form":      ts.Post("get_user_info", padded),
		"multipart": postMultipart(t, ts, "get_user_info", padded),
		"JSON":      ts.PostJSON("get_user_info", map[string]any{"api_key": " " + ts.AdminKey + " ", "user_id": " 1\t"}),
	} {
		if info, _ := res.JSON(t)["user_info"].(map[string]any); info["id"] != "1" {
			t.Errorf("%s: %s", name, res.Body)
		}
	}
	res := ts.PostJSON("create_system_user", map[string]any{"api_key": ts.AdminKey, "name": "  Trim Me\t", "email": " trim@example.com ",
		"password": "pw", "package_id": " 1 ", "expired_date": " 2031-05-06 ", "mobile": " 42 ", "address": "\n1 Road "})
	id, ok := res.JSON(t)["id"].(float64)
	if !ok {
		t.Fatalf("create with padded values: %s", res.Body)
	}
	info := userInfo(t, ts, int64(id))
	for k, v := range map[string]string{"name": "Trim Me", "email": "trim@example.com", "expired_date": "2031-05-06 00:00:00",
		"mobile": "42", "address": "1 Road", "package_id": "1"} {
		if info[k] != v {
			t.Errorf("%s stored as %q, want %q", k, info[k], v)
		}
	}
}

// TestRequestUnknownParametersIgnored: parameters an endpoint does not read
// change nothing, however long or oddly shaped.
func TestRequestUnknownParametersIgnored(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	long := strings.Repeat("z", 5000)
	res := ts.Get("get_user_info", vals("api_key", ts.AdminKey, "user_id", "1", "foo", "bar", "notes", long, "user_type", "Member"))
	if info, _ := res.JSON(t)["user_info"].(map[string]any); info["id"] != "1" || info["user_type"] != "Admin" {
		t.Errorf("get_user_info with unknown parameters: %s", res.Body)
	}
	// Privileged-looking extras on create are not taken.
	res = ts.Post("create_system_user", userParams(ts, "extra@example.com",
		"id", "99", "user_type", "Admin", "status", "0", "deleted", "1", "api_key_hash", "x", "padding", long))
	wantJSON(t, res, `{"status":"success","id":2}`)
	if info := userInfo(t, ts, 2); info["user_type"] != "Member" || info["status"] != "1" {
		t.Errorf("extras changed the new user: %v", info)
	}
}

// TestRequestJSONUnknownMembersIgnored: in a JSON body, members the
// endpoint does not read are ignored whatever their JSON type, as unknown
// parameters are everywhere else.
func TestRequestJSONUnknownMembersIgnored(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	res := ts.PostJSON("get_user_info", map[string]any{"api_key": ts.AdminKey, "user_id": "1",
		"meta": map[string]any{"source": "crm"}, "tags": []any{map[string]any{"a": 1}}})
	if info, _ := res.JSON(t)["user_info"].(map[string]any); info["id"] != "1" {
		t.Errorf("JSON body with nested unknown members: %s", res.Body)
	}
}

// TestRequestBodyLimit: a body over 1 MiB gets 413 with the JSON error body
// whatever its type, and changes nothing; a body of exactly 1 MiB is read.
func TestRequestBodyLimit(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	const limit = 1 << 20
	params := userParams(ts, "big@example.com")
	formOf := func(size int) []byte {
		head := params.Encode() + "&padding="
		return []byte(head + strings.Repeat("p", size-len(head)))
	}
	jsonOf := func(size int) []byte {
		head := `{"api_key":"` + ts.AdminKey + `","name":"Big","email":"big@example.com","password":"pw","package_id":"1",` +
			`"expired_date":"` + nextYear() + `","padding":"`
		return []byte(head + strings.Repeat("p", size-len(head)-2) + `"}`)
	}
	mp, mpType := multipartBody(t, append(pairsOf(params), "padding", strings.Repeat("p", limit))...)
	// hidden hides the length, so that the body is sent chunked.
	hidden := func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }
	cases := []struct {
		name        string
		contentType string
		body        io.Reader
	}{
		{"form", "application/x-www-form-urlencoded", bytes.NewReader(formOf(limit + 1))},
		{"form, chunked", "application/x-www-form-urlencoded", hidden(formOf(limit + 1))},
		{"no type", "", bytes.NewReader(formOf(limit + 1))},
		{"JSON", "application/json", bytes.NewReader(jsonOf(limit + 1))},
		{"JSON, chunked", "application/json", hidden(jsonOf(limit + 1))},
		{"multipart", mpType, mp},
		{"other type", "text/plain", bytes.NewReader(formOf(limit + 1))},
	}
	before := ts.Snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			res := ts.Send(http.MethodPost, "create_system_user", tc.contentType, tc.body)
			wantErrorStatus(t, res, http.StatusRequestEntityTooLarge)
		})
	}
	if after := ts.Snapshot(); after != before {
		t.Errorf("an oversized request changed the database")
	}
	// Exactly at the limit the body is read and the call works.
	res := ts.Send(http.MethodPost, "create_system_user", "application/x-www-form-urlencoded", bytes.NewReader(formOf(limit)))
	if v := res.JSON(t); res.Status != 200 || v["status"] != "success" {
		t.Errorf("form body of exactly %d bytes: HTTP %d %s", limit, res.Status, res.Body)
	}
	// The same e-mail again: the answer proves the whole JSON body was read.
	res = ts.Send(http.MethodPost, "create_system_user", "application/json", bytes.NewReader(jsonOf(limit)))
	wantError(t, res, xerochat.MsgUserEmailTaken)
}

// TestRequestRepeatedParameters: a name given twice keeps its last value
// (the decision recorded in api/params.go, as PHP does), in the query
// string and in every kind of body.
func TestRequestRepeatedParameters(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	createUser(t, ts, "second@example.com")
	key := url.QueryEscape(ts.AdminKey)
	form := "application/x-www-form-urlencoded"
	wantLookups(t, []lookupCase{
		{"query", func() xerochattest.Response {
			return ts.Send(http.MethodGet, "get_user_info?api_key="+key+"&user_id=1&user_id=2", "", nil)
		}, "2"},
		{"query, reversed", func() xerochattest.Response {
			return ts.Send(http.MethodGet, "get_user_info?api_key="+key+"&user_id=2&user_id=1", "", nil)
		}, "1"},
		{"form", func() xerochattest.Response {
			return ts.Send(http.MethodPost, "get_user_info", form, strings.NewReader("api_key="+key+"&user_id=1&user_id=2"))
		}, "2"},
		{"multipart", func() xerochattest.Response {
			return postMultipart(t, ts, "get_user_info", url.Values{"api_key": {ts.AdminKey}, "user_id": {"1", "2"}})
		}, "2"},
		{"JSON", func() xerochattest.Response {
			return ts.Send(http.MethodPost, "get_user_info", "application/json",
				strings.NewReader(`{"api_key":"`+ts.AdminKey+`","user_id":"1","user_id":"2"}`))
		}, "2"},
		{"key, good last", func() xerochattest.Response {
			return ts.Send(http.MethodGet, "get_user_info?api_key=bad&api_key="+key+"&user_id=1", "", nil)
		}, "1"},
		{"key, bad last", func() xerochattest.Response {
			return ts.Send(http.MethodGet, "get_user_info?api_key="+key+"&api_key=bad&user_id=1", "", nil)
		}, xerochat.MsgKeyInvalid},
		{"key, empty last", func() xerochattest.Response {
			return ts.Send(http.MethodGet, "get_user_info?api_key="+key+"&api_key=&user_id=1", "", nil)
		}, xerochat.MsgKeyRequired},
	})
}
