package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

// The bad-input suite sends every kind of hostile or malformed value to every
// parameter of every endpoint and checks that the server answers cleanly: a
// JSON error envelope with HTTP 200 (or the few codes CONTRACT.md §1 allows),
// never a 500, never SQL text or Go internals, no change to the database, and
// a server that keeps serving.

// leaks are texts that must never reach a client: driver errors, SQL, stack
// traces, HTML error pages.
var leaks = []string{"SQL", "sqlite", "pq:", "pgx", "syntax error", "goroutine", "panic", "runtime.", "<html"}

// fixture is a server with a member owning one of everything, and a second
// member owning the same, so that a query escaping its filters would show.
type fixture struct {
	s           *xerochattest.Server
	m, other    *xerochattest.Member
	target      string // user id that update_user changes
	targetEmail string
	psid        string // subscriber of m with answers and a label
	label       string // Facebook label id on m's page
	group       string // contact group of m
	contact     string // contact of m
	flow        string // flow campaign of m with answers
	seq         *int   // the last unique suffix, shared by every copy
}

// fresh returns a new unique suffix.
func (f *fixture) fresh() string { *f.seq++; return strconv.Itoa(*f.seq) }

// at returns the fixture as seen from t, a subtest: the server's helpers
// fail t rather than the test that made the fixture.
func (f *fixture) at(t *testing.T) *fixture {
	c := *f
	c.s = f.s.For(t)
	return &c
}

// ownData gives member m a subscriber with a label and flow answers, a
// contact group and a contact, all made through the API where it can.
func ownData(t *testing.T, ts *xerochattest.Server, m *xerochattest.Member, psid string) (label, group, contact, flow string) {
	t.Helper()
	sub := ts.AddSubscriber(m, psid, "Ann", "Lee")
	label = createLabel(t, ts, m, m.PageID, "VIP")
	wantJSON(t, ts.Post("assign_label", vals("api_key", m.Key, "page_id", m.PageID, "subscriber_id", psid, "label_ids", label)),
		`{"success":true,"status":"success"}`)
	g := newGroup(t, ts, m.Key, "Customers")
	c := newContact(t, ts, m.Key, g, "email", "c-"+psid+"@example.com", "phone_number", "+1555"+psid, "first_name", "Cy")
	fc := ts.AddFlow(m, "Survey", "Colour?", "Size?")
	for i := range fc.Questions {
		saveAnswer(t, ts, fc, i, sub, "answer "+strconv.Itoa(i))
	}
	return label, fmt.Sprint(g), fmt.Sprint(c), fmt.Sprint(fc.ID)
}

// newFixture starts a server with the fixture's data; the workers are
// settled, so that only the calls of a test change the database.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ts := xerochattest.NewServer(t)
	f := &fixture{s: ts, psid: "2000000000000001", seq: new(int)}
	f.m = ts.NewMember("bi-member@example.com", "1000000000000001")
	f.other = ts.NewMember("bi-other@example.com", "1000000000000002")
	f.label, f.group, f.contact, f.flow = ownData(t, ts, f.m, f.psid)
	ownData(t, ts, f.other, "2000000000000002")
	f.targetEmail = "bi-target@example.com"
	f.target = fmt.Sprint(created(t, ts.Post("create_system_user", vals("api_key", ts.AdminKey, "name", "Target",
		"email", f.targetEmail, "password", "secret-pass", "package_id", "1", "expired_date", "2030-01-01")), "id"))
	ts.Settle()
	return f
}

// newContact creates a contact of m and returns its id and phone number.
func (f *fixture) newContact(t *testing.T, withEmail bool) (id, phone string) {
	t.Helper()
	n := f.fresh()
	phone = "+4420" + n
	kv := []string{"phone_number", phone, "first_name", "Tmp"}
	if withEmail {
		kv = append(kv, "email", "tmp"+n+"@example.com")
	}
	group, _ := strconv.ParseInt(f.group, 10, 64)
	return fmt.Sprint(newContact(t, f.s, f.m.Key, group, kv...)), phone
}

// field returns v[key] of a JSON object.
func field(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

// answer is the answer a case expects.
type answer struct {
	ok     bool     // a success answer
	valid  bool     // for ok: the request acts as the valid one
	msgs   []string // for errors: accepted messages (see matches)
	status int      // HTTP status of an error; 200 when 0
}

// matches matches a message against a pattern: "*x*" contains x, "x*"
// starts with x, "*" is any non-empty message, anything else is exact.
func matches(msg, pattern string) bool {
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

// pair is one parameter as sent; a name may come more than once.
type pair struct{ name, value string }

// encode is kvs as a query string or form body, in their order.
func encode(kvs []pair) string {
	q := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		q = append(q, url.QueryEscape(kv.name)+"="+url.QueryEscape(kv.value))
	}
	return strings.Join(q, "&")
}

// flat is kvs as name, value pairs.
func flat(kvs []pair) []string {
	out := make([]string, 0, 2*len(kvs))
	for _, kv := range kvs {
		out = append(out, kv.name, kv.value)
	}
	return out
}

// request builds a request to /api/<path> carrying kvs in the given way:
// GET (query string), form, multipart or json (request body).
func request(t *testing.T, base, path, transport string, kvs []pair) *http.Request {
	t.Helper()
	u := base + "/api/" + path
	var body io.Reader
	var ctype string
	switch transport {
	case "GET":
		req, err := http.NewRequest(http.MethodGet, u+"?"+encode(kvs), nil)
		if err != nil {
			t.Fatal(err)
		}
		return req
	case "form":
		body, ctype = strings.NewReader(encode(kvs)), "application/x-www-form-urlencoded"
	case "multipart":
		body, ctype = multipartBody(t, flat(kvs)...)
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

// checkAnswer checks an answer against want, and that nothing internal leaked.
func checkAnswer(t *testing.T, label string, r xerochattest.Response, want answer, check func(v any)) {
	t.Helper()
	if r.Status == http.StatusInternalServerError {
		t.Errorf("%s: HTTP 500: %.300s", label, r.Body)
		return
	}
	for _, leak := range leaks {
		if bytes.Contains(r.Body, []byte(leak)) {
			t.Errorf("%s: the answer contains %q: %.500s", label, leak, r.Body)
		}
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Errorf("%s: the answer is not JSON (%v): %.300s", label, err, r.Body)
		return
	}
	status, _ := field(v, "status").(string)
	msg, _ := field(v, "message").(string)
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
	if r.Status != wantStatus || status != "error" || !slices.ContainsFunc(want.msgs, func(p string) bool { return matches(msg, p) }) {
		t.Errorf("%s: got HTTP %d %.300s; want HTTP %d with an error message matching %q", label, r.Status, r.Body, wantStatus, want.msgs)
	}
}

// wantAlive proves the server still answers a normal call correctly.
func wantAlive(t *testing.T, f *fixture) {
	t.Helper()
	r := xerochattest.Do(t, request(t, f.s.URL, "get_flow_campaign_info", "GET",
		[]pair{{"api_key", f.m.Key}, {"flow_campaign_id", f.flow}}))
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); r.Status != http.StatusOK || err != nil || v["id"] != f.flow {
		t.Fatalf("the server no longer answers a normal call: HTTP %d %.300s", r.Status, r.Body)
	}
}

// pairsFor lists params in a fixed order with the api_key first, name's value
// replaced by values (in order, repeated when more than one).
func pairsFor(key string, params url.Values, name string, values []string) []pair {
	kvs := []pair{}
	add := func(n, v string) {
		if n != name {
			kvs = append(kvs, pair{n, v})
			return
		}
		for _, x := range values {
			kvs = append(kvs, pair{n, x})
		}
	}
	add("api_key", key)
	names := slices.Sorted(maps.Keys(params))
	for _, n := range names {
		add(n, params.Get(n))
	}
	if name != "api_key" && !params.Has(name) {
		for _, x := range values {
			kvs = append(kvs, pair{name, x})
		}
	}
	return kvs
}

var transports = []string{"GET", "form", "multipart", "json"}
