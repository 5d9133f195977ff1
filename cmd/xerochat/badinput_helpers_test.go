package main

import (
	"bytes"
	"context"
	"encoding/json"
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

// biWant is the answer a case expects.
type biWant struct {
	ok     bool     // a success answer
	valid  bool     // for ok: the request acts as the valid one
	msgs   []string // for errors: accepted messages (see biMatch)
	status int      // HTTP status of an error; 200 when 0
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

var biTransports = []string{"GET", "form", "multipart", "json"}
