package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// biRaw sends a POST to /api/<path>?<query> with a raw body and content type.
func biRaw(t *testing.T, base, path string, query []biKV, ctype string, body []byte) response {
	t.Helper()
	q := make([]string, 0, len(query))
	for _, kv := range query {
		q = append(q, url.QueryEscape(kv.name)+"="+url.QueryEscape(kv.value))
	}
	req, err := http.NewRequest(http.MethodPost, base+"/api/"+path+"?"+strings.Join(q, "&"), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return biDo(t, req)
}

// biMultipart returns a well-formed multipart body of kvs and its boundary.
func biMultipart(kvs []biKV) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range kvs {
		w.WriteField(kv.name, kv.value)
	}
	w.Close()
	return buf.Bytes(), w.Boundary()
}

// biPathEndpoints take an id as a further path segment.
var biPathEndpoints = map[string]bool{"update_user": true, "create_system_user": true, "update_contact": true, "update_contact_group": true}

// TestBadInputBodies sends malformed bodies to every endpoint, each with a
// valid request in the query string that a body ignored would let through:
// broken JSON, broken multipart, bodies over 1 MiB (413), a query string
// over 1 MiB (414) and a path with a further segment (404).
func TestBadInputBodies(t *testing.T) {
	t.Parallel()
	f := biSetup(t)
	big := bytes.Repeat([]byte("a"), 1<<20+1024)
	bigPart, bigBoundary := biMultipart([]biKV{{"x", string(big)}})
	seen := map[string]bool{}
	for _, ep := range biEndpoints() {
		if seen[ep.name] {
			continue
		}
		seen[ep.name] = true
		t.Run(ep.name, func(t *testing.T) {
			defer biUseT(f.ts, t)()
			key := f.m.Key
			if ep.admin {
				key = f.ts.AdminKey
			}
			// A parameter the endpoint reads, to send as an object.
			read := "api_key"
			if len(ep.params) > 0 {
				read = ep.params[0].name
			}
			type bodyCase struct {
				name   string
				ctype  string
				body   func(query []biKV) []byte
				status int  // of the error; 200 when 0
				ok     bool // the body is odd but valid: the call succeeds
			}
			raw := func(s string) func([]biKV) []byte { return func([]biKV) []byte { return []byte(s) } }
			var boundary string
			multi := func(cut bool) func([]biKV) []byte {
				return func(query []biKV) []byte {
					var mp []byte
					mp, boundary = biMultipart(query)
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
				query := biKVs(key, base, "", nil)
				body := c.body(query)
				ctype := c.ctype
				if strings.HasSuffix(ctype, "boundary=") {
					ctype += boundary
				}
				before := f.ts.snapshot()
				r := biRaw(t, f.ts.URL(), path, query, ctype, body)
				biCheck(t, c.name, r, biWant{ok: c.ok, msgs: []string{"*"}, status: c.status}, nil)
				if c.ok && ep.writes {
					continue
				}
				if after := f.ts.snapshot(); after != before {
					t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", c.name, before, after)
				}
			}

			pathID, base := ep.base(t, f)
			path := ep.name
			if pathID != "" {
				path += "/" + pathID
			}
			query := biKVs(key, base, "", nil)

			// A query string over 1 MiB, on GET.
			req := biRequest(t, f.ts.URL(), path, "GET", append(query, biKV{"x", string(big)}))
			biCheck(t, "query over 1 MiB", biDo(t, req), biWant{msgs: []string{"*"}, status: http.StatusRequestURITooLong}, nil)

			// Methods other than GET, POST and HEAD are 405, and do nothing.
			for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
				q := make([]string, 0, len(query))
				for _, kv := range query {
					q = append(q, url.QueryEscape(kv.name)+"="+url.QueryEscape(kv.value))
				}
				req, _ := http.NewRequest(method, f.ts.URL()+"/api/"+path+"?"+strings.Join(q, "&"), nil)
				before := f.ts.snapshot()
				biCheck(t, method, biDo(t, req), biWant{msgs: []string{"*"}, status: http.StatusMethodNotAllowed}, nil)
				if after := f.ts.snapshot(); after != before {
					t.Errorf("%s changed the database", method)
				}
			}

			// A further path segment is an unknown path.
			extra := ep.name + "/1"
			if biPathEndpoints[ep.name] {
				extra += "/2"
			}
			before := f.ts.snapshot()
			r := biDo(t, biRequest(t, f.ts.URL(), extra, "form", query))
			biCheck(t, "POST /api/"+extra, r, biWant{msgs: []string{"*"}, status: http.StatusNotFound}, nil)
			if after := f.ts.snapshot(); after != before {
				t.Errorf("/api/%s changed the database", extra)
			}
			biAlive(t, f)
		})
	}
}
