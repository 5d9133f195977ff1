package xerochattest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Response is an answer of the server, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object, failing the test if it is not one.
func (r Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		tb.Fatalf("answer is not a JSON object (%v): %s", err, r.Body)
	}
	return v
}

// Message returns the message of an error envelope, "" for anything else.
func (r Response) Message(tb testing.TB) string {
	tb.Helper()
	v := r.JSON(tb)
	if v["status"] != "error" {
		return ""
	}
	msg, _ := v["message"].(string)
	return msg
}

// Do sends a request and reads the whole answer. Every answer of the server
// is JSON, so any other Content-Type fails the test.
func Do(tb testing.TB, req *http.Request) Response {
	tb.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("read answer: %v", err)
	}
	if ct := res.Header.Get("Content-Type"); req.Method != http.MethodHead && ct != "application/json; charset=utf-8" {
		tb.Errorf("%s %s: Content-Type %q, want JSON; body: %s", req.Method, req.URL.Path, ct, body)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// Get calls base/api/<path> with GET and params in the query string.
func Get(tb testing.TB, base, path string, params url.Values) Response {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/"+path+"?"+params.Encode(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return Do(tb, req)
}

// Post calls base/api/<path> with a form body.
func Post(tb testing.TB, base, path string, params url.Values) Response {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/"+path, strings.NewReader(params.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return Do(tb, req)
}

// PostJSON calls base/api/<path> with a JSON body.
func PostJSON(tb testing.TB, base, path string, body any) Response {
	tb.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/api/"+path, bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return Do(tb, req)
}

// Get calls the server's /api/<path> with GET.
func (s *Server) Get(path string, params url.Values) Response {
	s.tb.Helper()
	return Get(s.tb, s.URL, path, params)
}

// Post calls the server's /api/<path> with a form body.
func (s *Server) Post(path string, params url.Values) Response {
	s.tb.Helper()
	return Post(s.tb, s.URL, path, params)
}

// PostJSON calls the server's /api/<path> with a JSON body.
func (s *Server) PostJSON(path string, body any) Response {
	s.tb.Helper()
	return PostJSON(s.tb, s.URL, path, body)
}

// Vals builds url.Values from name, value pairs.
func Vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
