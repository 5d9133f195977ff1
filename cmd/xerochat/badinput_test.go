package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The bad-input suite sends every kind of hostile or malformed value to every
// parameter of every endpoint and checks that the server answers cleanly: a
// JSON error envelope with HTTP 200 (or the few codes CONTRACT.md §1 allows),
// never a 500, never SQL text or Go internals, no change to the database, and
// a server that keeps serving.

// biLeaks are texts that must never reach a client: driver errors, SQL, stack
// traces, HTML error pages.
var biLeaks = []string{"SQL", "sqlite", "pq:", "pgx", "syntax error", "goroutine", "panic", "runtime.", "<html"}

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

// biParam is a parameter an endpoint reads.
type biParam struct {
	name string
	// required answers a blank value; "" means blank is as good as absent
	// and the call succeeds.
	required string
	// bad lists the accepted answers to a bad value ("x*" matches a prefix,
	// "*" any message); nil means any text is a legal value (names, labels).
	bad []string
	// zeroValid: "0" is a legal value (status).
	zeroValid bool
}

// biEndpoint is one endpoint with a valid request to start from.
type biEndpoint struct {
	name   string
	title  string // the subtest's name when name is not unique
	admin  bool
	writes bool
	// base returns a valid request: the path id ("" if none) and parameters.
	// It may create records (a contact to delete), so it is called per case.
	base   func(t *testing.T, f *biFixture) (string, url.Values)
	params []biParam
	// pathBad lists the answers to a bad path id.
	pathBad []string
	// check inspects a successful answer; valid says whether the request
	// carried the valid values (else an odd value that matches nothing).
	check func(t *testing.T, f *biFixture, v any, valid bool)
	// cleanup undoes a successful create so that a value can be sent again.
	cleanup func(f *biFixture, v any)
}

// biFixture is a server with a member owning one of everything, and a second
// member owning the same, so that a query escaping its filters would show.
type biFixture struct {
	ts          *testServer
	m, other    *member
	target      string // user id that update_user changes
	targetEmail string
	psid        string // subscriber of m with answers and a label
	label       string // Facebook label id on m's page
	group       string // contact group of m
	contact     string // contact of m
	flow        string // flow campaign of m with answers
	n           int
}

// fresh returns a new unique suffix.
func (f *biFixture) fresh() string { f.n++; return strconv.Itoa(f.n) }

func biNumber(t *testing.T, r response, key string) string {
	t.Helper()
	v, ok := r.JSON(t)[key].(float64)
	if !ok {
		t.Fatalf("no numeric %q in %s", key, r.Body)
	}
	return strconv.FormatInt(int64(v), 10)
}

// biOwnData gives member m a subscriber with a label and flow answers, a
// contact group and a contact, all made through the API where it can.
func biOwnData(t *testing.T, ts *testServer, m *member, psid string) (label, group, contact, flow string) {
	t.Helper()
	sub := ts.addSubscriber(m, psid, "Ann", "Lee")
	res := ts.post("create_label", vals("api_key", m.Key, "page_id", m.PageID, "label_name", "VIP"))
	label, _ = res.JSON(t)["label_id"].(string)
	if label == "" {
		t.Fatalf("create_label: %s", res.Body)
	}
	if res := ts.post("assign_label", vals("api_key", m.Key, "page_id", m.PageID, "subscriber_id", psid, "label_ids", label)); res.Message(t) != "" {
		t.Fatalf("assign_label: %s", res.Body)
	}
	group = biNumber(t, ts.post("create_contact_group", vals("api_key", m.Key, "name", "Customers")), "contact_type_id")
	contact = biNumber(t, ts.post("create_contact", vals("api_key", m.Key, "contact_type_id", group,
		"email", "c-"+psid+"@example.com", "phone_number", "+1555"+psid, "first_name", "Cy")), "new_contact_id")
	fc := ts.addFlow(m, "Survey", "Colour?", "Size?")
	for i, q := range fc.Questions {
		if err := ts.DB.SaveAnswer(context.Background(), fc.ID, q.ID, sub.ID, "answer "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	return label, group, contact, strconv.FormatInt(fc.ID, 10)
}

func biSetup(t *testing.T) *biFixture {
	t.Helper()
	ts := startServer(t)
	f := &biFixture{ts: ts, psid: "2000000000000001"}
	f.m = ts.newMember("bi-member@example.com", "1000000000000001")
	f.other = ts.newMember("bi-other@example.com", "1000000000000002")
	f.label, f.group, f.contact, f.flow = biOwnData(t, ts, f.m, f.psid)
	biOwnData(t, ts, f.other, "2000000000000002")
	f.targetEmail = "bi-target@example.com"
	f.target = biNumber(t, ts.post("create_system_user", vals("api_key", ts.AdminKey, "name", "Target",
		"email", f.targetEmail, "password", "secret-pass", "package_id", "1", "expired_date", "2030-01-01")), "id")
	return f
}

// newContact creates a contact of m and returns its id and phone number.
func (f *biFixture) newContact(t *testing.T, withEmail bool) (id, phone string) {
	t.Helper()
	n := f.fresh()
	phone = "+4420" + n
	p := vals("api_key", f.m.Key, "contact_type_id", f.group, "phone_number", phone, "first_name", "Tmp")
	if withEmail {
		p.Set("email", "tmp"+n+"@example.com")
	}
	return biNumber(t, f.ts.post("create_contact", p), "new_contact_id"), phone
}

// biField returns v[key] of a JSON object.
func biField(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

// biEndpoints lists all 20 endpoints of the API.
func biEndpoints() []biEndpoint {
	noUser := []string{"No Matching User Found"}
	noSub := []string{"No Matching Subscriber Found"}
	noBot := []string{"No Enabled Bot Found"}
	noGroup := []string{"The contact type ID does not exist"}
	noContact := []string{"The contact ID does not exist"}
	noFlow := []string{"The flow campaign ID does not exist"}
	mandatory := "All mandatory field is not provided"
	return []biEndpoint{
		{name: "get_user_info", admin: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("user_id", f.target) },
			params: []biParam{
				{name: "user_id", required: "Provide either user ID or Email to filter", bad: noUser},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(biField(v, "user_info"), "id"); got != f.target {
					t.Errorf("user_info.id = %v, want %s", got, f.target)
				}
			}},
		{name: "get_user_info", title: "get_user_info by email", admin: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("email", f.targetEmail) },
			params: []biParam{
				{name: "email", required: "Provide either user ID or Email to filter", bad: noUser},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(biField(v, "user_info"), "email"); got != f.targetEmail {
					t.Errorf("user_info.email = %v, want %s", got, f.targetEmail)
				}
			}},
		{name: "create_system_user", admin: true, writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("name", "New User", "email", "new"+f.fresh()+"@example.com", "password", "secret-pass",
					"package_id", "1", "expired_date", "2030-01-01", "mobile", "+15550100", "address", "1 Main St")
			},
			params: []biParam{
				{name: "name", required: mandatory},
				{name: "email", required: mandatory, bad: []string{"Invalid email address"}},
				{name: "password", required: mandatory},
				{name: "package_id", required: mandatory, bad: []string{"Package ID not found"}},
				{name: "expired_date", required: mandatory, bad: []string{"Invalid expired_date, use YYYY-MM-DD"}},
				{name: "mobile"},
				{name: "address"},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if _, ok := biField(v, "id").(float64); !ok {
					t.Errorf("id is not a number: %v", v)
				}
			}},
		{name: "create_system_user", title: "create_system_user alias", admin: true, writes: true, // the alias of update_user/{id}
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return f.target, vals("name", "Target") },
			params: []biParam{
				{name: "name", required: "Provide at least one field to update"},
			},
			pathBad: []string{"User not found with the ID: *"}},
		{name: "update_user", admin: true, writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return f.target, vals("name", "Target") },
			params: []biParam{
				{name: "name", required: "Provide at least one field to update"},
				{name: "mobile"},
				{name: "address"},
				{name: "package_id", bad: []string{"Package ID not found"}},
				{name: "expired_date", bad: []string{"Invalid expired_date, use YYYY-MM-DD"}},
				{name: "status", bad: []string{"Invalid status, use 0 or 1"}, zeroValid: true},
			},
			pathBad: []string{"User not found with the ID: *"}},
		{name: "get_all_packages", admin: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", url.Values{} },
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if pk, _ := biField(v, "packages").([]any); len(pk) == 0 {
					t.Errorf("no packages: %v", v)
				}
			}},
		{name: "subscriber_information",
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("subscriber_id", f.psid, "page_id", f.m.PageID)
			},
			params: []biParam{
				{name: "subscriber_id", required: "Provide subscriber_id field", bad: noSub},
				{name: "page_id", bad: noSub},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(biField(v, "subscriber_info"), "subscriber_id"); got != f.psid {
					t.Errorf("subscriber_id = %v, want %s", got, f.psid)
				}
			}},
		{name: "get_all_labels",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("page_id", f.m.PageID) },
			params: []biParam{
				{name: "page_id", required: "Provide page_id field", bad: []string{"No Matching Label Found"}},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				labels, _ := biField(v, "label_info").([]any)
				if len(labels) != 1 || biField(labels[0], "label_id") != f.label {
					t.Errorf("label_info = %v, want only %s", labels, f.label)
				}
			}},
		{name: "create_label", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("page_id", f.m.PageID, "label_name", "VIP")
			},
			params: []biParam{
				{name: "page_id", required: "Provide page_id field", bad: noBot},
				{name: "label_name", required: "Provide label_name field"},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if id, _ := biField(v, "label_id").(string); id == "" {
					t.Errorf("no label_id: %v", v)
				}
			}},
		{name: "assign_label", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("page_id", f.m.PageID, "subscriber_id", f.psid, "label_ids", f.label)
			},
			params: []biParam{
				{name: "page_id", required: "Provide page_id field", bad: noBot},
				{name: "subscriber_id", required: "Provide subscriber_id field", bad: noSub},
				{name: "label_ids", required: "Provide label_ids field", bad: []string{"No Label Found"}},
			}},
		{name: "get_contact_group",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("contact_type_id", f.group) },
			params: []biParam{
				{name: "contact_type_id", required: "The contact type ID is required", bad: noGroup},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(v, "id"); got != f.group {
					t.Errorf("id = %v, want %s", got, f.group)
				}
			}},
		{name: "create_contact_group", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("name", "Group") },
			params: []biParam{
				{name: "name", required: "The contact type name is required"},
			}},
		{name: "update_contact_group", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return f.group, vals("name", "Renamed") },
			params: []biParam{
				{name: "name", required: "The contact type name is required"},
			},
			pathBad: []string{"Invalid contact type ID provided"}},
		{name: "delete_contact_group", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				id := biNumber(t, f.ts.post("create_contact_group", vals("api_key", f.m.Key, "name", "Doomed")), "contact_type_id")
				return "", vals("contact_type_id", id)
			},
			params: []biParam{
				{name: "contact_type_id", required: "The contact_type_id field is required", bad: noGroup},
			}},
		{name: "get_contact",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("contact_id", f.contact) },
			params: []biParam{
				{name: "contact_id", required: "The contact_id field is required", bad: noContact},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(v, "id"); got != f.contact {
					t.Errorf("id = %v, want %s", got, f.contact)
				}
			}},
		{name: "create_contact", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				n := f.fresh()
				return "", vals("contact_type_id", f.group, "email", "new"+n+"@example.com", "phone_number", "+3312"+n,
					"first_name", "First", "last_name", "Last")
			},
			params: []biParam{
				{name: "contact_type_id", required: "The contact_type_id is required",
					bad: []string{"You can NOT add the contact to the specified contact group"}},
				{name: "email", bad: []string{"Please provide a valid email address"}},
				{name: "phone_number"},
				{name: "first_name"},
				{name: "last_name"},
			},
			// An odd phone number is legal; deleting the contact frees it for
			// the next transport.
			cleanup: func(f *biFixture, v any) {
				if id, ok := biField(v, "new_contact_id").(float64); ok {
					f.ts.post("delete_contact", vals("api_key", f.m.Key, "contact_id", strconv.FormatInt(int64(id), 10)))
				}
			}},
		{name: "update_contact", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				// A contact with a phone number and no e-mail yet: the e-mail
				// may be set, the phone number only repeated.
				id, phone := f.newContact(t, false)
				return id, vals("first_name", "First", "email", "set"+f.fresh()+"@example.com", "phone_number", phone)
			},
			params: []biParam{
				{name: "first_name"},
				{name: "last_name"},
				{name: "email", bad: []string{"Please provide a valid email address"}},
				{name: "phone_number", bad: []string{"The phone_number can not be changed once added"}},
			},
			pathBad: noContact},
		{name: "delete_contact", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				id, _ := f.newContact(t, true)
				return "", vals("contact_id", id)
			},
			params: []biParam{
				{name: "contact_id", required: "The contact_id field is required", bad: noContact},
			}},
		{name: "get_flow_campaigns",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", url.Values{} },
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				list, _ := v.([]any)
				if len(list) != 1 || biField(list[0], "id") != f.flow {
					t.Errorf("campaigns = %v, want only %s", v, f.flow)
				}
			}},
		{name: "get_flow_campaign_info",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("flow_campaign_id", f.flow) },
			params: []biParam{
				{name: "flow_campaign_id", required: "The flow_campaign_id field is required", bad: noFlow},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(v, "id"); got != f.flow {
					t.Errorf("id = %v, want %s", got, f.flow)
				}
			}},
		{name: "get_single_subscriber_flow_info",
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("flow_campaign_id", f.flow, "subscriber_id", f.psid)
			},
			params: []biParam{
				{name: "flow_campaign_id", required: "The flow_campaign_id field is required", bad: noFlow},
				// Any text may be a PSID: an odd one has no answers.
				{name: "subscriber_id", required: "The subscriber_id field is required"},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				data, ok := biField(v, "data").([]any)
				if !ok || valid && len(data) != 2 || !valid && len(data) != 0 {
					t.Errorf("data = %v, want %s", biField(v, "data"), map[bool]string{true: "2 answers", false: "[]"}[valid])
				}
			}},
		{name: "get_all_subscriber_flow_info",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("flow_campaign_id", f.flow) },
			params: []biParam{
				{name: "flow_campaign_id", required: "The flow_campaign_id field is required", bad: noFlow},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				data, _ := biField(v, "data").(map[string]any)
				if len(data) != 1 || data[f.psid] == nil {
					t.Errorf("data = %v, want the answers of %s only", biField(v, "data"), f.psid)
				}
			}},
	}
}

// biWant is the answer a case expects.
type biWant struct {
	ok     bool     // a success answer
	valid  bool     // for ok: the request acts as the valid one
	msgs   []string // for errors: accepted messages (see biMatch)
	status int      // HTTP status of an error; 200 when 0
}

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

// biMatch matches a message against a pattern: "*x*" contains x, "x*"
// starts with x, "*" is any non-empty message, anything else is exact.
func biMatch(msg, pattern string) bool {
	switch {
	case msg == "":
		return false
	case pattern == "*":
		return true
	case len(pattern) > 2 && strings.HasPrefix(pattern, "*") && strings.HasSuffix(pattern, "*"):
		return strings.Contains(msg, pattern[1:len(pattern)-1])
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(msg, strings.TrimSuffix(pattern, "*"))
	}
	return msg == pattern
}

var biClient = &http.Client{Timeout: time.Minute}

// biDo sends a request and reads the answer, failing t (not the server's
// test) on a transport error.
func biDo(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := biClient.Do(req)
	if err != nil {
		t.Fatalf("%s %.200s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s %.200s: Content-Type %q, want JSON; body: %.300s", req.Method, req.URL.Path, ct, body)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// biKV is one parameter as sent; a name may come more than once.
type biKV struct{ name, value string }

// biRequest builds a request to /api/<path> carrying kvs in the given way:
// GET (query string), form, multipart or json (request body).
func biRequest(t *testing.T, base, path, transport string, kvs []biKV) *http.Request {
	t.Helper()
	u := base + "/api/" + path
	var body io.Reader
	var ctype string
	switch transport {
	case "GET":
		q := make([]string, 0, len(kvs))
		for _, kv := range kvs {
			q = append(q, url.QueryEscape(kv.name)+"="+url.QueryEscape(kv.value))
		}
		req, err := http.NewRequest(http.MethodGet, u+"?"+strings.Join(q, "&"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return req
	case "form":
		q := make([]string, 0, len(kvs))
		for _, kv := range kvs {
			q = append(q, url.QueryEscape(kv.name)+"="+url.QueryEscape(kv.value))
		}
		body, ctype = strings.NewReader(strings.Join(q, "&")), "application/x-www-form-urlencoded"
	case "multipart":
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, kv := range kvs {
			if err := w.WriteField(kv.name, kv.value); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		body, ctype = &buf, w.FormDataContentType()
	case "json":
		// Written by hand so that a name can repeat, as a client may send it.
		var b strings.Builder
		b.WriteByte('{')
		for i, kv := range kvs {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(kv.name)
			v, _ := json.Marshal(kv.value)
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		body, ctype = strings.NewReader(b.String()), "application/json"
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	return req
}

// biCheck checks an answer against want, and that nothing internal leaked.
func biCheck(t *testing.T, label string, r response, want biWant, check func(v any)) {
	t.Helper()
	if r.Status == http.StatusInternalServerError {
		t.Errorf("%s: HTTP 500: %.300s", label, r.Body)
		return
	}
	for _, leak := range biLeaks {
		if bytes.Contains(r.Body, []byte(leak)) {
			t.Errorf("%s: the answer contains %q: %.500s", label, leak, r.Body)
		}
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Errorf("%s: the answer is not JSON (%v): %.300s", label, err, r.Body)
		return
	}
	status, _ := biField(v, "status").(string)
	msg, _ := biField(v, "message").(string)
	if want.ok {
		if r.Status != http.StatusOK || status == "error" {
			t.Errorf("%s: want success, got HTTP %d %.300s", label, r.Status, r.Body)
		} else if check != nil {
			check(v)
		}
		return
	}
	wantStatus := want.status
	if wantStatus == 0 {
		wantStatus = http.StatusOK
	}
	if r.Status != wantStatus || status != "error" || !slices.ContainsFunc(want.msgs, func(p string) bool { return biMatch(msg, p) }) {
		t.Errorf("%s: got HTTP %d %.300s; want HTTP %d with an error message matching %q", label, r.Status, r.Body, wantStatus, want.msgs)
	}
}

// biUseT points the server's helpers at the running subtest, so that a
// failure inside them belongs to it; the returned func restores the parent.
func biUseT(ts *testServer, t *testing.T) func() {
	old := ts.t
	ts.t = t
	return func() { ts.t = old }
}

// biAlive proves the server still answers a normal call correctly.
func biAlive(t *testing.T, f *biFixture) {
	t.Helper()
	r := biDo(t, biRequest(t, f.ts.URL(), "get_flow_campaign_info", "GET",
		[]biKV{{"api_key", f.m.Key}, {"flow_campaign_id", f.flow}}))
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); r.Status != http.StatusOK || err != nil || v["id"] != f.flow {
		t.Fatalf("the server no longer answers a normal call: HTTP %d %.300s", r.Status, r.Body)
	}
}

// biKVs lists params in a fixed order with the api_key first, name's value
// replaced by values (in order, repeated when more than one).
func biKVs(key string, params url.Values, name string, values []string) []biKV {
	kvs := []biKV{}
	add := func(n, v string) {
		if n != name {
			kvs = append(kvs, biKV{n, v})
			return
		}
		for _, x := range values {
			kvs = append(kvs, biKV{n, x})
		}
	}
	add("api_key", key)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range params {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		add(n, params.Get(n))
	}
	if name != "api_key" && !params.Has(name) {
		for _, x := range values {
			kvs = append(kvs, biKV{name, x})
		}
	}
	return kvs
}

func biCatByName(name string) biCat {
	for _, c := range biCats {
		if c.name == name {
			return c
		}
	}
	panic("no bad-value class " + name)
}

var biTransports = []string{"GET", "form", "multipart", "json"}

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

// biVerbatim holds texts a client may store that look like markup or SQL:
// they must come back exactly as sent, as JSON strings.
var biVerbatim = []string{
	`<script>alert("x")</script>`,
	`'; DROP TABLE users; --`,
	`1 OR 1=1`,
	`a & b <i>c</i> "q" \ / %s %d {{.}}`,
	"Zoë 日本語 😀 \u2028 tab\there",
	`Robert'); DELETE FROM contacts WHERE ('1'='1`,
}

// TestBadInputVerbatimText stores markup and SQL look-alikes through every
// endpoint that stores text and reads each back unchanged.
func TestBadInputVerbatimText(t *testing.T) {
	t.Parallel()
	f := biSetup(t)
	ts := f.ts
	// get reads a JSON object and checks the answer is valid JSON.
	get := func(t *testing.T, path string, params url.Values) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL()+"/api/"+path+"?"+params.Encode(), nil)
		r := biDo(t, req)
		if !json.Valid(r.Body) {
			t.Fatalf("%s: not JSON: %s", path, r.Body)
		}
		return r.JSON(t)
	}
	send := func(t *testing.T, path string, params url.Values, transport string) map[string]any {
		t.Helper()
		kvs := []biKV{}
		for _, n := range slices.Sorted(func(yield func(string) bool) {
			for n := range params {
				if !yield(n) {
					return
				}
			}
		}) {
			kvs = append(kvs, biKV{n, params.Get(n)})
		}
		r := biDo(t, biRequest(t, ts.URL(), path, transport, kvs))
		v := r.JSON(t)
		if v["status"] != "success" {
			t.Fatalf("%s %s: %s", transport, path, r.Body)
		}
		return v
	}
	num := func(v map[string]any, key string) string {
		n, _ := v[key].(float64)
		return strconv.FormatInt(int64(n), 10)
	}
	for i, text := range biVerbatim {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			defer biUseT(ts, t)()
			tr := biTransports[i%len(biTransports)]
			same := func(what string, got any) {
				t.Helper()
				if got != text {
					t.Errorf("%s (%s): got %q, want %q", what, tr, got, text)
				}
			}
			mk := f.m.Key
			ak := ts.AdminKey

			g := num(send(t, "create_contact_group", vals("api_key", mk, "name", text), tr), "contact_type_id")
			same("create_contact_group name", get(t, "get_contact_group", vals("api_key", mk, "contact_type_id", g))["type"])
			send(t, "update_contact_group/"+g, vals("api_key", mk, "name", text+" 2"), tr)
			if got := get(t, "get_contact_group", vals("api_key", mk, "contact_type_id", g))["type"]; got != text+" 2" {
				t.Errorf("update_contact_group name (%s): got %q, want %q", tr, got, text+" 2")
			}

			c := num(send(t, "create_contact", vals("api_key", mk, "contact_type_id", g, "phone_number", text,
				"first_name", text, "last_name", text), tr), "new_contact_id")
			row := get(t, "get_contact", vals("api_key", mk, "contact_id", c))
			same("create_contact first_name", row["first_name"])
			same("create_contact last_name", row["last_name"])
			same("create_contact phone_number", row["phone_number"])
			send(t, "update_contact/"+c, vals("api_key", mk, "last_name", text+" 3"), tr)
			if got := get(t, "get_contact", vals("api_key", mk, "contact_id", c))["last_name"]; got != text+" 3" {
				t.Errorf("update_contact last_name (%s): got %q", tr, got)
			}

			u := num(send(t, "create_system_user", vals("api_key", ak, "name", text, "email", "verbatim"+strconv.Itoa(i)+"@example.com",
				"password", text, "package_id", "1", "expired_date", "2030-01-01", "mobile", text, "address", text), tr), "id")
			info, _ := get(t, "get_user_info", vals("api_key", ak, "user_id", u))["user_info"].(map[string]any)
			same("create_system_user name", info["name"])
			same("create_system_user mobile", info["mobile"])
			same("create_system_user address", info["address"])
			send(t, "update_user/"+u, vals("api_key", ak, "name", text+" 4", "address", text+" 5"), tr)
			info, _ = get(t, "get_user_info", vals("api_key", ak, "user_id", u))["user_info"].(map[string]any)
			if info["name"] != text+" 4" || info["address"] != text+" 5" {
				t.Errorf("update_user (%s): name %q, address %q", tr, info["name"], info["address"])
			}

			id, _ := send(t, "create_label", vals("api_key", mk, "page_id", f.m.PageID, "label_name", text), tr)["label_id"].(string)
			labels, _ := get(t, "get_all_labels", vals("api_key", mk, "page_id", f.m.PageID))["label_info"].([]any)
			found := false
			for _, l := range labels {
				if biField(l, "label_id") == id {
					found = true
					same("create_label label_name", biField(l, "label_name"))
				}
			}
			if !found {
				t.Errorf("create_label (%s): label %s not in get_all_labels: %v", tr, id, labels)
			}
		})
	}
}
