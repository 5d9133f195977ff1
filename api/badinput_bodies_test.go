package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

// multipartOf is a well-formed multipart body of kvs and its boundary.
func multipartOf(t *testing.T, kvs []pair) ([]byte, string) {
	body, ctype := multipartBody(t, flat(kvs)...)
	return body.Bytes(), strings.TrimPrefix(ctype, "multipart/form-data; boundary=")
}

// pathEndpoints take an id as a further path segment.
var pathEndpoints = map[string]bool{"update_user": true, "create_system_user": true, "update_contact": true, "update_contact_group": true}

// TestBadInputBodies sends malformed bodies to every endpoint, each with a
// valid request in the query string that a body ignored would let through:
// broken JSON, broken multipart, bodies over 1 MiB (413), a query string
// over 1 MiB (414) and a path with a further segment (404).
func TestBadInputBodies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	big := bytes.Repeat([]byte("a"), 1<<20+1024)
	bigPart, bigBoundary := multipartOf(t, []pair{{"x", string(big)}})
	seen := map[string]bool{}
	for _, ep := range endpoints() {
		if seen[ep.name] {
			continue
		}
		seen[ep.name] = true
		t.Run(ep.name, func(t *testing.T) {
			f := f.at(t)
			key := f.m.Key
			if ep.admin {
				key = f.s.AdminKey
			}
			// A parameter the endpoint reads, to send as an object.
			read := "api_key"
			if len(ep.params) > 0 {
				read = ep.params[0].name
			}
			type bodyCase struct {
				name   string
				ctype  string
				body   func(query []pair) []byte
				status int  // of the error; 200 when 0
				ok     bool // the body is odd but valid: the call succeeds
			}
			raw := func(s string) func([]pair) []byte { return func([]pair) []byte { return []byte(s) } }
			var boundary string
			multi := func(cut bool) func([]pair) []byte {
				return func(query []pair) []byte {
					var mp []byte
					mp, boundary = multipartOf(t, query)
					if cut {
						mp = mp[:len(mp)*2/3]
					}
					return mp
				}
			}
			cases := []bodyCase{
				{name: "json open brace", ctype: "application/json", body: raw(`{`)},
				{name: "json array", ctype: "application/json", body: raw(`[]`)},
				{name: "json string", ctype: "application/json", body: raw(`"str"`)},
				{name: "json number", ctype: "application/json", body: raw(`123`)},
				{name: "json array of objects", ctype: "application/json", body: raw(`[{"api_key":"` + key + `"}]`)},
				{name: "json two objects", ctype: "application/json", body: raw(`{"api_key":"` + key + `"}{"x":1}`)},
				{name: "json trailing comma", ctype: "application/json", body: raw(`{"api_key":"` + key + `",}`)},
				{name: "json key as object", ctype: "application/json", body: raw(`{"api_key":{"x":1}}`)},
				{name: "json key array holding an object", ctype: "application/json", body: raw(`{"api_key":["` + key + `",{"x":1}]}`)},
				{name: "json " + read + " as object", ctype: "application/json", body: raw(`{"` + read + `":{"b":1}}`)},
				{name: "json untyped open brace", body: raw(`{"api_key":`)},
				// Unknown parameters are ignored (CONTRACT.md §1), whatever
				// their JSON type: the query string's request goes through.
				{name: "json unknown nested object", ctype: "application/json", body: raw(`{"a":{"b":1}}`), ok: true},
				{name: "multipart bad boundary", ctype: "multipart/form-data; boundary=not-the-boundary", body: multi(false)},
				{name: "multipart no boundary", ctype: "multipart/form-data", body: multi(false)},
				{name: "multipart truncated", ctype: "multipart/form-data; boundary=", body: multi(true)},
				{name: "form over 1 MiB", ctype: "application/x-www-form-urlencoded", body: raw("x=" + string(big)), status: 413},
				{name: "untyped over 1 MiB", body: raw("x=" + string(big)), status: 413},
				{name: "text over 1 MiB", ctype: "text/plain", body: raw(string(big)), status: 413},
				{name: "json over 1 MiB", ctype: "application/json", body: raw(`{"x":"` + string(big) + `"}`), status: 413},
				{name: "multipart over 1 MiB", ctype: "multipart/form-data; boundary=" + bigBoundary, body: raw(string(bigPart)), status: 413},
			}
			for _, c := range cases {
				// A fresh valid request each time: a delete consumes its record.
				pathID, base := ep.base(t, f)
				path := ep.name
				if pathID != "" {
					path += "/" + pathID
				}
				query := pairsFor(key, base, "", nil)
				body := c.body(query)
				ctype := c.ctype
				if strings.HasSuffix(ctype, "boundary=") {
					ctype += boundary
				}
				before := f.s.Snapshot()
				r := f.s.Send(http.MethodPost, path+"?"+encode(query), ctype, bytes.NewReader(body))
				checkAnswer(t, c.name, r, answer{ok: c.ok, msgs: []string{"*"}, status: c.status}, nil)
				if c.ok && ep.writes {
					continue
				}
				if after := f.s.Snapshot(); after != before {
					t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", c.name, before, after)
				}
			}

			pathID, base := ep.base(t, f)
			path := ep.name
			if pathID != "" {
				path += "/" + pathID
			}
			query := pairsFor(key, base, "", nil)

			// A query string over 1 MiB, on GET.
			req := request(t, f.s.URL, path, "GET", append(query, pair{"x", string(big)}))
			checkAnswer(t, "query over 1 MiB", xerochattest.Do(t, req), answer{msgs: []string{"*"}, status: http.StatusRequestURITooLong}, nil)

			// Methods other than GET, POST and HEAD are 405, and do nothing.
			for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
				before := f.s.Snapshot()
				checkAnswer(t, method, f.s.Send(method, path+"?"+encode(query), "", nil), answer{msgs: []string{"*"}, status: http.StatusMethodNotAllowed}, nil)
				if after := f.s.Snapshot(); after != before {
					t.Errorf("%s changed the database", method)
				}
			}

			// Two further path segments are an unknown path. (One reaches
			// an endpoint without id, as on the original: see
			// TestOriginalPathForms.)
			extra := ep.name + "/1/2"
			before := f.s.Snapshot()
			r := xerochattest.Do(t, request(t, f.s.URL, extra, "form", query))
			checkAnswer(t, "POST /api/"+extra, r, answer{msgs: []string{"*"}, status: http.StatusNotFound}, nil)
			if after := f.s.Snapshot(); after != before {
				t.Errorf("/api/%s changed the database", extra)
			}
			wantAlive(t, f)
		})
	}
}
