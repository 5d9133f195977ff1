package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// hugeLen is the length of the "1 MB" value: a form body or query string
// carrying it stays just under the 1 MiB limit.
const hugeLen = 1<<20 - 8<<10

// Classes of bad values, which decide the expected answer.
const (
	classBad   = iota // garbage or injection text: not found / invalid, or stored as text
	classZero         // "0": bad, except where 0 is a legal value
	classValid        // odd spelling of the valid value (padding, repeats): acts as it
	classLen          // longer than any parameter may be
	classEnc          // invalid UTF-8 or NUL
	classBlank        // white space only: the parameter is absent
)

// valueKind is a kind of bad value, derived from the parameter's valid value.
type valueKind struct {
	name   string
	class  int
	values func(valid string) []string // more than one: the parameter is repeated
	noJSON bool                        // not expressible in a JSON body
}

func one(s string) func(string) []string { return func(string) []string { return []string{s} } }

var valueKinds = []valueKind{
	{name: "non-numeric", class: classBad, values: one("abc")},
	{name: "negative", class: classBad, values: one("-1")},
	{name: "zero", class: classZero, values: one("0")},
	{name: "30 digits", class: classBad, values: one("123456789012345678901234567890")},
	{name: "1 OR 1=1", class: classBad, values: one("1 OR 1=1")},
	{name: "valid OR 1=1", class: classBad, values: func(v string) []string { return []string{v + " OR 1=1"} }},
	{name: "valid quote OR", class: classBad, values: func(v string) []string { return []string{v + "' OR '1'='1"} }},
	{name: "drop table", class: classBad, values: one("'; DROP TABLE users; --")},
	{name: "quote comment", class: classBad, values: one("1'--")},
	{name: "script", class: classBad, values: one(`<script>alert("x")</script>`)},
	{name: "1 MB", class: classLen, values: one(strings.Repeat("9", hugeLen))},
	{name: "invalid UTF-8", class: classEnc, values: func(v string) []string { return []string{v + "\xff\xfe"} }, noJSON: true},
	{name: "NUL", class: classEnc, values: func(v string) []string { return []string{v + "\x00"} }},
	{name: "blank", class: classBlank, values: one(" \t ")},
	{name: "padded", class: classValid, values: func(v string) []string { return []string{"  " + v + "\t\n"} }},
	{name: "repeated bad last", class: classBad, values: func(v string) []string { return []string{v, "abc"} }},
	{name: "repeated valid last", class: classValid, values: func(v string) []string { return []string{"abc", v} }},
}

// pathKinds are the classes sent as a path id (/api/update_contact/<id>).
var pathKinds = []string{"non-numeric", "negative", "zero", "30 digits", "1 OR 1=1", "valid OR 1=1",
	"valid quote OR", "drop table", "quote comment", "script", "1 MB", "invalid UTF-8", "NUL"}

// recordIDs are the parameters naming a record by id; 0 counts as missing,
// as on the original (CONTRACT.md §1).
var recordIDs = map[string]bool{"user_id": true, "package_id": true, "contact_type_id": true, "contact_id": true,
	"flow_campaign_id": true}

// expect decides the answer to a value of class c sent as parameter p.
func expect(p param, c int) answer {
	if p.name == "api_key" && (c == classLen || c == classEnc) {
		// Any bad key is an invalid key (CONTRACT.md §1): the key check
		// comes first and says nothing more.
		c = classBad
	}
	switch c {
	case classLen, classEnc:
		// The contract asks for a clear message: it names the parameter.
		return answer{msgs: []string{"*" + p.name + "*"}}
	case classBlank:
		if p.required != "" {
			return answer{msgs: []string{p.required}}
		}
		return answer{ok: true, valid: true}
	case classValid:
		return answer{ok: true, valid: true}
	case classZero:
		if p.zeroValid {
			return answer{ok: true, valid: true}
		}
		if recordIDs[p.name] {
			return expect(p, classBlank)
		}
	}
	if p.bad == nil {
		return answer{ok: true}
	}
	return answer{msgs: p.bad}
}

func kindByName(name string) valueKind {
	for _, c := range valueKinds {
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
	for _, ep := range endpoints() {
		names[ep.name] = true
	}
	if len(names) != 20 {
		t.Errorf("the table covers %d endpoints, want all 20", len(names))
	}
	for _, ep := range endpoints() {
		title := ep.title
		if title == "" {
			title = ep.name
		}
		t.Run(title, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			key := f.m.Key
			if ep.admin {
				key = f.s.AdminKey
			}
			params := append([]param{{name: "api_key", required: xerochat.MsgKeyRequired,
				bad: []string{xerochat.MsgKeyInvalid}}}, ep.params...)
			for _, p := range params {
				for i, cat := range valueKinds {
					t.Run(p.name+"/"+cat.name, func(t *testing.T) {
						f := f.at(t)
						want := expect(p, cat.class)
						for j, tr := range transports {
							if tr == "json" && cat.noJSON {
								continue
							}
							// A write that succeeds is tried in one way only
							// (rotating): the ways of sending matter for the
							// rejections, and a success may cost a bcrypt.
							if want.ok && ep.writes && j != i%len(transports) && !(cat.noJSON && j == 0) {
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
							before := f.s.Snapshot()
							r := xerochattest.Do(t, request(t, f.s.URL, path, tr, pairsFor(key, base, p.name, cat.values(valid))))
							label := fmt.Sprintf("%s %s %s=%.60q", tr, path, p.name, cat.values(valid))
							checkAnswer(t, label, r, want, func(v any) {
								if ep.check != nil {
									ep.check(t, f, v, want.valid)
								}
							})
							if !want.ok || !ep.writes {
								if after := f.s.Snapshot(); after != before {
									t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", label, before, after)
								}
							}
							if want.ok && ep.cleanup != nil {
								var v any
								json.Unmarshal(r.Body, &v)
								ep.cleanup(f, v)
							}
						}
						wantAlive(t, f)
					})
				}
			}
			if ep.pathBad == nil {
				return
			}
			for _, name := range pathKinds {
				cat := kindByName(name)
				t.Run("path id/"+name, func(t *testing.T) {
					f := f.at(t)
					for _, tr := range []string{"GET", "form"} {
						validID, base := ep.base(t, f)
						id := cat.values(validID)[0]
						want := answer{msgs: ep.pathBad}
						if strings.Contains(id, "/") {
							// An escaped slash is a further path segment: an
							// unknown path.
							want = answer{msgs: []string{"*"}, status: http.StatusNotFound}
						}
						path := ep.name + "/" + url.PathEscape(id)
						before := f.s.Snapshot()
						r := xerochattest.Do(t, request(t, f.s.URL, path, tr, pairsFor(key, base, "", nil)))
						label := fmt.Sprintf("%s %.80s", tr, path)
						if name == "zero" {
							// A path id of 0 is no path id, as on the original
							// (CONTRACT.md §1): the same answer as without one.
							without := xerochattest.Do(t, request(t, f.s.URL, ep.name, tr, pairsFor(key, base, "", nil)))
							if string(r.Body) != string(without.Body) || r.Status != without.Status {
								t.Errorf("%s: %d %s; without a path id: %d %s", label, r.Status, r.Body, without.Status, without.Body)
							}
							continue
						}
						checkAnswer(t, label, r, want, nil)
						if after := f.s.Snapshot(); after != before {
							t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", label, before, after)
						}
					}
					wantAlive(t, f)
				})
			}
		})
	}
}

// TestBadInputBearer sends hostile keys in the Authorization header, which
// the contract accepts besides api_key.
func TestBadInputBearer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
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
			f := f.at(t)
			for _, path := range []string{"get_contact?contact_id=" + f.contact, "get_all_packages"} {
				req, _ := http.NewRequest(http.MethodGet, f.s.URL+"/api/"+path, nil)
				req.Header.Set("Authorization", "Bearer "+c.key)
				before := f.s.Snapshot()
				checkAnswer(t, path, xerochattest.Do(t, req), answer{msgs: []string{xerochat.MsgKeyInvalid}}, nil)
				if after := f.s.Snapshot(); after != before {
					t.Errorf("%s changed the database", path)
				}
			}
		})
	}
	// The header still works once the hostile ones have been refused.
	req, _ := http.NewRequest(http.MethodGet, f.s.URL+"/api/get_contact?contact_id="+f.contact, nil)
	req.Header.Set("Authorization", "Bearer "+f.m.Key)
	checkAnswer(t, "valid bearer", xerochattest.Do(t, req), answer{ok: true}, nil)
}
