package api_test

// The /api contract tests: a whole server on loopback (xerochattest), driven
// over HTTP as any client drives it. This file holds the helpers that the
// tests of several endpoints share.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// vals is the kit's Vals, which nearly every call here uses.
var vals = xerochattest.Vals

// neverSet is how a datetime that was never set is shown.
const neverSet = "0000-00-00 00:00:00"

// datetimeLayout is how the API shows a datetime.
const datetimeLayout = "2006-01-02 15:04:05"

// anyTime in a want of wantJSON stands for any YYYY-MM-DD HH:MM:SS string,
// for the parts of an answer that vary between runs.
const anyTime = "<datetime>"

var datetime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// jsonTokens flattens a JSON text into its tokens, each tagged with its
// type, so that two texts compare equal only with the same keys in the same
// order, the same values and the same JSON types ("1" is not 1).
func jsonTokens(t testing.TB, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("not JSON (%v): %s", err, raw)
		}
		switch v := tok.(type) {
		case json.Delim:
			out = append(out, v.String())
		case string:
			out = append(out, "s:"+v)
		case json.Number:
			out = append(out, "n:"+v.String())
		case bool:
			out = append(out, fmt.Sprintf("b:%t", v))
		case nil:
			out = append(out, "null")
		}
	}
}

// wantJSON fails unless the answer is HTTP 200, compact JSON, and want: the
// same keys in the same order, the same values and JSON types (escapes
// aside). A string anyTime in want matches any datetime.
func wantJSON(t testing.TB, res xerochattest.Response, want string) {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Errorf("HTTP %d, want 200; body %s", res.Status, res.Body)
		return
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, res.Body); err != nil || compact.String() != strings.TrimSuffix(string(res.Body), "\n") {
		t.Errorf("answer is not compact JSON with one trailing newline at most: %s", res.Body)
	}
	got, exp := jsonTokens(t, res.Body), jsonTokens(t, []byte(want))
	same := len(got) == len(exp)
	for i := 0; same && i < len(got); i++ {
		same = got[i] == exp[i] || exp[i] == "s:"+anyTime && datetime.MatchString(strings.TrimPrefix(got[i], "s:"))
	}
	if !same {
		t.Errorf("answer\n  %s\nwant\n  %s", bytes.TrimSpace(res.Body), want)
	}
}

// errorJSON is the exact error envelope with msg.
func errorJSON(msg string) string { return `{"status":"error","message":` + quote(msg) + `}` }

// wantError fails unless the answer is HTTP 200 with exactly the error
// envelope carrying msg.
func wantError(t testing.TB, res xerochattest.Response, msg string) {
	t.Helper()
	wantJSON(t, res, errorJSON(msg))
}

// answerCase is one call of an endpoint and the answer it must get: the
// exact JSON want, or the error envelope with the message err.
type answerCase struct {
	name   string
	post   bool // a form body rather than the query string
	params url.Values
	want   string
	err    string
}

// wantAnswers runs each case against /api/<path>, one subtest a case.
func wantAnswers(t *testing.T, ts *xerochattest.Server, path string, cases []answerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			var r xerochattest.Response
			if tc.post {
				r = ts.Post(path, tc.params)
			} else {
				r = ts.Get(path, tc.params)
			}
			if tc.err != "" {
				wantError(t, r, tc.err)
			} else {
				wantJSON(t, r, tc.want)
			}
		})
	}
}

// wantErrorStatus fails unless the answer has the given HTTP status and the
// {"status":"error","message":...} body, in that key order, with a message.
func wantErrorStatus(t testing.TB, res xerochattest.Response, status int) {
	t.Helper()
	if res.Status != status {
		t.Errorf("HTTP %d, want %d; body %s", res.Status, status, res.Body)
	}
	if keys := jsonKeys(t, res.Body); strings.Join(keys, ",") != "status,message" {
		t.Errorf("keys %v, want [status message]; body %s", keys, res.Body)
	}
	if res.Message(t) == "" {
		t.Errorf("no error message: %s", res.Body)
	}
}

// jsonKeys returns the member names of the JSON object raw, in order.
func jsonKeys(t testing.TB, raw []byte) []string {
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

// quote is s as a JSON string.
func quote(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// created checks a create answer {"status":"success","<key>":<id>} and
// returns the id, a positive JSON number.
func created(t testing.TB, res xerochattest.Response, key string) int64 {
	t.Helper()
	var v map[string]json.RawMessage
	var id int64
	if err := json.Unmarshal(res.Body, &v); err != nil || json.Unmarshal(v[key], &id) != nil || id <= 0 {
		t.Fatalf("no numeric %s in %s", key, res.Body)
	}
	wantJSON(t, res, fmt.Sprintf(`{"status":"success",%s:%d}`, quote(key), id))
	return id
}

// multipartBody is a multipart/form-data body of name, value pairs, each
// name as often as it comes, and its Content-Type.
func multipartBody(t testing.TB, pairs ...string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := w.WriteField(pairs[i], pairs[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, w.FormDataContentType()
}

// pairsOf lists params as name, value pairs, each value of a name in turn.
func pairsOf(params url.Values) []string {
	var kv []string
	for name, vs := range params {
		for _, v := range vs {
			kv = append(kv, name, v)
		}
	}
	return kv
}

// postMultipart posts params to /api/<path> as multipart/form-data.
func postMultipart(t testing.TB, s *xerochattest.Server, path string, params url.Values) xerochattest.Response {
	t.Helper()
	body, ctype := multipartBody(t, pairsOf(params)...)
	return s.Send(http.MethodPost, path, ctype, body)
}

// nextYear is an expired_date a year ahead.
func nextYear() string { return time.Now().UTC().AddDate(1, 0, 0).Format(xerochat.DateLayout) }

// userParams are valid create_system_user parameters for email; kv
// overrides or adds parameters (an empty value removes one).
func userParams(s *xerochattest.Server, email string, kv ...string) url.Values {
	p := vals("api_key", s.AdminKey, "name", "Ann Example", "email", email, "password", "s3cret-Pass!",
		"package_id", "1", "expired_date", nextYear())
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			p.Del(kv[i])
		} else {
			p.Set(kv[i], kv[i+1])
		}
	}
	return p
}

// with returns a copy of params with the key set: the same call by another
// caller.
func with(params url.Values, key string) url.Values {
	p := url.Values{}
	for k, v := range params {
		p[k] = slices.Clone(v)
	}
	p.Set("api_key", key)
	return p
}

// createUser makes a member through create_system_user and returns its id.
func createUser(t testing.TB, s *xerochattest.Server, email string, kv ...string) int64 {
	t.Helper()
	return created(t, s.Post("create_system_user", userParams(s, email, kv...)), "id")
}

// userInfo returns the user_info object get_user_info answers for id.
func userInfo(t testing.TB, s *xerochattest.Server, id int64) map[string]any {
	t.Helper()
	res := s.Get("get_user_info", vals("api_key", s.AdminKey, "user_id", fmt.Sprint(id)))
	info, ok := res.JSON(t)["user_info"].(map[string]any)
	if !ok {
		t.Fatalf("get_user_info %d: %s", id, res.Body)
	}
	return info
}

// addDate is the add_date column of a user as the API shows it in loc.
func addDate(t testing.TB, s *xerochattest.Server, id int64, loc *time.Location) string {
	t.Helper()
	var unix int64
	if err := s.DB.SQL().QueryRow(fmt.Sprintf("SELECT add_date FROM users WHERE id = %d", id)).Scan(&unix); err != nil {
		t.Fatal(err)
	}
	return time.Unix(unix, 0).In(loc).Format(datetimeLayout)
}

// wantUnchanged fails if the database differs from the snapshot before.
func wantUnchanged(t testing.TB, s *xerochattest.Server, before, what string) {
	t.Helper()
	if after := s.For(t).Snapshot(); after != before {
		t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", what, before, after)
	}
}
