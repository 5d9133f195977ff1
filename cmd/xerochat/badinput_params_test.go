package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// biHugeLen is the length of the "1 MB" value: a form body or query string
// carrying it stays just under the 1 MiB limit.
const biHugeLen = 1<<20 - 8<<10

// Classes of bad values, which decide the expected answer.
const (
	biBad   = iota // garbage or injection text: not found / invalid, or stored as text
	biZero         // "0": bad, except where 0 is a legal value
	biValid        // odd spelling of the valid value (padding, repeats): acts as it
	biLen          // longer than any parameter may be
	biEnc          // invalid UTF-8 or NUL
	biBlank        // white space only: the parameter is absent
)

// biCat is a kind of bad value, derived from the parameter's valid value.
type biCat struct {
	name   string
	class  int
	values func(valid string) []string // more than one: the parameter is repeated
	noJSON bool                        // not expressible in a JSON body
}

func biOne(s string) func(string) []string { return func(string) []string { return []string{s} } }

var biCats = []biCat{
	{name: "non-numeric", class: biBad, values: biOne("abc")},
	{name: "negative", class: biBad, values: biOne("-1")},
	{name: "zero", class: biZero, values: biOne("0")},
	{name: "30 digits", class: biBad, values: biOne("123456789012345678901234567890")},
	{name: "1 OR 1=1", class: biBad, values: biOne("1 OR 1=1")},
	{name: "valid OR 1=1", class: biBad, values: func(v string) []string { return []string{v + " OR 1=1"} }},
	{name: "valid quote OR", class: biBad, values: func(v string) []string { return []string{v + "' OR '1'='1"} }},
	{name: "drop table", class: biBad, values: biOne("'; DROP TABLE users; --")},
	{name: "quote comment", class: biBad, values: biOne("1'--")},
	{name: "script", class: biBad, values: biOne(`<script>alert("x")</script>`)},
	{name: "1 MB", class: biLen, values: biOne(strings.Repeat("9", biHugeLen))},
	{name: "invalid UTF-8", class: biEnc, values: func(v string) []string { return []string{v + "\xff\xfe"} }, noJSON: true},
	{name: "NUL", class: biEnc, values: func(v string) []string { return []string{v + "\x00"} }},
	{name: "blank", class: biBlank, values: biOne(" \t ")},
	{name: "padded", class: biValid, values: func(v string) []string { return []string{"  " + v + "\t\n"} }},
	{name: "repeated bad last", class: biBad, values: func(v string) []string { return []string{v, "abc"} }},
	{name: "repeated valid last", class: biValid, values: func(v string) []string { return []string{"abc", v} }},
}

// biPathCats are the classes sent as a path id (/api/update_contact/<id>).
var biPathCats = []string{"non-numeric", "negative", "zero", "30 digits", "1 OR 1=1", "valid OR 1=1",
	"valid quote OR", "drop table", "quote comment", "script", "1 MB", "invalid UTF-8", "NUL"}

// biExpect decides the answer to a value of class c sent as parameter p.
func biExpect(p biParam, c int) biWant {
	if p.name == "api_key" && (c == biLen || c == biEnc) {
		// Any bad key is an invalid key (CONTRACT.md §1): the key check
		// comes first and says nothing more.
		c = biBad
	}
	switch c {
	case biLen, biEnc:
		// The contract asks for a clear message: it names the parameter.
		return biWant{msgs: []string{"*" + p.name + "*"}}
	case biBlank:
		if p.required != "" {
			return biWant{msgs: []string{p.required}}
		}
		return biWant{ok: true, valid: true}
	case biValid:
		return biWant{ok: true, valid: true}
	case biZero:
		if p.zeroValid {
			return biWant{ok: true, valid: true}
		}
	}
	if p.bad == nil {
		return biWant{ok: true}
	}
	return biWant{msgs: p.bad}
}

func biCatByName(name string) biCat {
	for _, c := range biCats {
		if c.name == name {
			return c
		}
	}
	panic("no bad-value class " + name)
}

// TestBadInputParams sends every class of bad value, in the query string and
// in form, multipart and JSON bodies, to every parameter (the key included)
// and path id of every endpoint, on a server where the caller owns data.
func TestBadInputParams(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, ep := range biEndpoints() {
		names[ep.name] = true
	}
	if len(names) != 20 {
		t.Errorf("the table covers %d endpoints, want all 20", len(names))
	}
	for _, ep := range biEndpoints() {
		title := ep.title
		if title == "" {
			title = ep.name
		}
		t.Run(title, func(t *testing.T) {
			t.Parallel()
			f := biSetup(t)
			key := f.m.Key
			if ep.admin {
				key = f.ts.AdminKey
			}
			params := append([]biParam{{name: "api_key", required: "API Key is required",
				bad: []string{"Either API Key Invalid or Member Validity Expired"}}}, ep.params...)
			for _, p := range params {
				for i, cat := range biCats {
					t.Run(p.name+"/"+cat.name, func(t *testing.T) {
						defer biUseT(f.ts, t)()
						want := biExpect(p, cat.class)
						for j, tr := range biTransports {
							if tr == "json" && cat.noJSON {
								continue
							}
							// A write that succeeds is tried in one way only
							// (rotating): the ways of sending matter for the
							// rejections, and a success may cost a bcrypt.
							if want.ok && ep.writes && j != i%len(biTransports) && !(cat.noJSON && j == 0) {
								continue
							}
							pathID, base := ep.base(t, f)
							valid := base.Get(p.name)
							if p.name == "api_key" {
								valid = key
							}
							path := ep.name
							if pathID != "" {
								path += "/" + pathID
							}
							before := f.ts.snapshot()
							r := biDo(t, biRequest(t, f.ts.URL(), path, tr, biKVs(key, base, p.name, cat.values(valid))))
							label := fmt.Sprintf("%s %s %s=%.60q", tr, path, p.name, cat.values(valid))
							biCheck(t, label, r, want, func(v any) {
								if ep.check != nil {
									ep.check(t, f, v, want.valid)
								}
							})
							if !want.ok || !ep.writes {
								if after := f.ts.snapshot(); after != before {
									t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", label, before, after)
								}
							}
							if want.ok && ep.cleanup != nil {
								var v any
								json.Unmarshal(r.Body, &v)
								ep.cleanup(f, v)
							}
						}
						biAlive(t, f)
					})
				}
			}
			if ep.pathBad == nil {
				return
			}
			for _, name := range biPathCats {
				cat := biCatByName(name)
				t.Run("path id/"+name, func(t *testing.T) {
					defer biUseT(f.ts, t)()
					for _, tr := range []string{"GET", "form"} {
						validID, base := ep.base(t, f)
						id := cat.values(validID)[0]
						want := biWant{msgs: ep.pathBad}
						if strings.Contains(id, "/") {
							// An escaped slash is a further path segment: an
							// unknown path.
							want = biWant{msgs: []string{"*"}, status: http.StatusNotFound}
						}
						path := ep.name + "/" + url.PathEscape(id)
						before := f.ts.snapshot()
						r := biDo(t, biRequest(t, f.ts.URL(), path, tr, biKVs(key, base, "", nil)))
						label := fmt.Sprintf("%s %.80s", tr, path)
						biCheck(t, label, r, want, nil)
						if after := f.ts.snapshot(); after != before {
							t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", label, before, after)
						}
					}
					biAlive(t, f)
				})
			}
		})
	}
}

// TestBadInputBearer sends hostile keys in the Authorization header, which
// the contract accepts besides api_key.
func TestBadInputBearer(t *testing.T) {
	t.Parallel()
	f := biSetup(t)
	for _, c := range []struct{ name, key string }{
		{"non-numeric", "abc"},
		{"30 digits", "123456789012345678901234567890"},
		{"or 1=1", f.m.Key + "' OR '1'='1"},
		{"drop table", "'; DROP TABLE users; --"},
		{"invalid UTF-8", f.m.Key + "\xff\xfe"},
		{"64 KB", strings.Repeat("9", 64<<10)},
		{"another scheme", "Basic " + f.m.Key},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer biUseT(f.ts, t)()
			for _, path := range []string{"get_contact?contact_id=" + f.contact, "get_all_packages"} {
				req, _ := http.NewRequest(http.MethodGet, f.ts.URL()+"/api/"+path, nil)
				req.Header.Set("Authorization", "Bearer "+c.key)
				before := f.ts.snapshot()
				biCheck(t, path, biDo(t, req), biWant{msgs: []string{"Either API Key Invalid or Member Validity Expired"}}, nil)
				if after := f.ts.snapshot(); after != before {
					t.Errorf("%s changed the database", path)
				}
			}
		})
	}
	// The header still works once the hostile ones have been refused.
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL()+"/api/get_contact?contact_id="+f.contact, nil)
	req.Header.Set("Authorization", "Bearer "+f.m.Key)
	biCheck(t, "valid bearer", biDo(t, req), biWant{ok: true}, nil)
}
