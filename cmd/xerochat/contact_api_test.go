package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// End-to-end tests of contact groups and contacts (CONTRACT.md §2 items
// 9–16, §3 on uniqueness), driven over HTTP against a real server.

// Placeholders a contactBody expectation may hold for the parts of an answer
// that vary between runs.
const (
	contactAnyTime = "<datetime>"
	contactAnyInt  = "<int>"
)

// contactServer returns ts bound to t, so that the harness helpers called
// inside a subtest fail that subtest and not its parent.
func contactServer(t *testing.T, ts *testServer) *testServer {
	c := *ts
	c.t = t
	return &c
}

// contactQ is s as a JSON string.
func contactQ(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// contactErr is the exact error envelope with msg.
func contactErr(msg string) string {
	return `{"status":"error","message":` + contactQ(msg) + `}`
}

// contactBody checks that the answer is HTTP 200 and that its JSON, white
// space aside, is want: same keys, same order, same types. want may hold
// contactAnyTime and contactAnyInt.
func contactBody(t testing.TB, res response, want string) {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Errorf("HTTP status %d, want 200; body %s", res.Status, res.Body)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, res.Body); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, res.Body)
	}
	pattern := regexp.QuoteMeta(want)
	pattern = strings.ReplaceAll(pattern, contactAnyTime, `\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)
	pattern = strings.ReplaceAll(pattern, contactAnyInt, `[1-9][0-9]*`)
	if !regexp.MustCompile(`^` + pattern + `$`).Match(compact.Bytes()) {
		t.Errorf("answer\n  %s\nwant\n  %s", compact.Bytes(), want)
	}
}

// contactCreated checks a create answer {"status":"success","<key>":<int>}
// and returns the id.
func contactCreated(t testing.TB, res response, key string) int64 {
	t.Helper()
	contactBody(t, res, `{"status":"success",`+contactQ(key)+`:`+contactAnyInt+`}`)
	var v map[string]json.RawMessage
	var id int64
	if err := json.Unmarshal(res.Body, &v); err != nil || json.Unmarshal(v[key], &id) != nil || id <= 0 {
		t.Fatalf("no numeric %s in %s", key, res.Body)
	}
	return id
}

// contactNewGroup creates a contact group of the key's owner.
func contactNewGroup(ts *testServer, key, name string) int64 {
	ts.t.Helper()
	return contactCreated(ts.t, ts.post("create_contact_group", vals("api_key", key, "name", name)), "contact_type_id")
}

// contactNew creates a contact in group with the given name, value pairs.
func contactNew(ts *testServer, key string, group int64, kv ...string) int64 {
	ts.t.Helper()
	p := vals(kv...)
	p.Set("api_key", key)
	p.Set("contact_type_id", fmt.Sprint(group))
	return contactCreated(ts.t, ts.post("create_contact", p), "new_contact_id")
}

// contactRow is the exact get_contact answer for a contact.
func contactRow(id, userID, group int64, first, last, phone, email string) string {
	return fmt.Sprintf(`{"id":"%d","user_id":"%d","contact_type_id":"%d","first_name":%s,"last_name":%s,`+
		`"phone_number":%s,"email":%s,"notes":"","unsubscribed":"0","deleted":"0"}`,
		id, userID, group, contactQ(first), contactQ(last), contactQ(phone), contactQ(email))
}

// contactGroupRow is the exact get_contact_group answer for a live group.
func contactGroupRow(id, userID int64, name string) string {
	return fmt.Sprintf(`{"id":"%d","user_id":"%d","type":%s,"created_at":"%s","deleted":"0"}`,
		id, userID, contactQ(name), contactAnyTime)
}

// contactCase is one call that must be rejected with an exact message.
type contactCase struct {
	name   string
	path   string // after /api/
	params url.Values
	want   string
}

// contactRejected runs each case by POST (form body) and by GET (query
// string), checks the exact error envelope and that no row changed.
func contactRejected(t *testing.T, ts *testServer, cases []contactCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := contactServer(t, ts)
			before := ts.snapshot()
			contactBody(t, ts.post(tc.path, tc.params), contactErr(tc.want))
			contactBody(t, ts.get(tc.path, tc.params), contactErr(tc.want))
			if after := ts.snapshot(); after != before {
				t.Errorf("a rejected call changed rows:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestContactGroupLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("a@example.com", "")

	before := time.Now().UTC().Truncate(time.Second)
	id := contactCreated(t, ts.post("create_contact_group", vals("api_key", a.Key, "name", "  Kunden Zürich  ")), "contact_type_id")
	after := time.Now().UTC()

	res := ts.get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id)))
	contactBody(t, res, contactGroupRow(id, a.ID, "Kunden Zürich"))
	created, err := time.ParseInLocation("2006-01-02 15:04:05", fmt.Sprint(res.JSON(t)["created_at"]), time.UTC)
	if err != nil || created.Before(before) || created.After(after) {
		t.Errorf("created_at %v (%v), want between %v and %v in UTC", res.JSON(t)["created_at"], err, before, after)
	}

	ok := `{"status":"success"}`
	contactBody(t, ts.post(fmt.Sprintf("update_contact_group/%d", id), vals("api_key", a.Key, "name", "Clients")), ok)
	contactBody(t, ts.get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), contactGroupRow(id, a.ID, "Clients"))
	// An unchanged name is a success too, not {"status":"info"}.
	contactBody(t, ts.post(fmt.Sprintf("update_contact_group/%d", id), vals("api_key", a.Key, "name", "Clients")), ok)
	contactBody(t, ts.post(fmt.Sprintf("update_contact_group/%d/", id), vals("api_key", a.Key, "name", "Clients")), ok)
	contactBody(t, ts.get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), contactGroupRow(id, a.ID, "Clients"))

	second := contactNewGroup(ts, a.Key, "Second")
	if second == id {
		t.Fatalf("two groups got the same id %d", id)
	}
	contactBody(t, ts.post("delete_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))),
		fmt.Sprintf(`{"status":"success","message":"The contact type ID (%d) has been deleted"}`, id))

	// The deleted group is gone for every endpoint; the other one is not.
	gone := contactErr("The contact type ID does not exist")
	contactBody(t, ts.get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), gone)
	contactBody(t, ts.post(fmt.Sprintf("update_contact_group/%d", id), vals("api_key", a.Key, "name", "Again")), gone)
	contactBody(t, ts.post("delete_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), gone)
	contactBody(t, ts.get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(second))), contactGroupRow(second, a.ID, "Second"))
}

func TestContactLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("a@example.com", "")
	g := contactNewGroup(ts, a.Key, "Customers")

	res := ts.post("create_contact", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(g), "email", " ann@example.com ",
		"phone_number", " +4930123 ", "first_name", " Ann ", "last_name", "Lee"))
	c1 := contactCreated(t, res, "new_contact_id")
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))),
		contactRow(c1, a.ID, g, "Ann", "Lee", "+4930123", "ann@example.com"))

	// Phone only, and e-mail only: the absent one is "".
	c2 := contactNew(ts, a.Key, g, "phone_number", "555")
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactRow(c2, a.ID, g, "", "", "555", ""))
	c3 := contactNew(ts, a.Key, g, "email", "bo@example.com", "first_name", "Bo")
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c3))), contactRow(c3, a.ID, g, "Bo", "", "", "bo@example.com"))
	if c1 == c2 || c2 == c3 || c1 == c3 {
		t.Fatalf("contact ids not distinct: %d %d %d", c1, c2, c3)
	}

	contactBody(t, ts.post(fmt.Sprintf("update_contact/%d", c1), vals("api_key", a.Key, "first_name", "Anna")), `{"status":"success"}`)
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))),
		contactRow(c1, a.ID, g, "Anna", "Lee", "+4930123", "ann@example.com"))

	contactBody(t, ts.post("delete_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))),
		fmt.Sprintf(`{"status":"success","message":"The contact ID (%d) has been deleted"}`, c1))
	gone := contactErr("The contact ID does not exist")
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))), gone)
	contactBody(t, ts.post(fmt.Sprintf("update_contact/%d", c1), vals("api_key", a.Key, "first_name", "X")), gone)
	contactBody(t, ts.post("delete_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))), gone)
	// The others are untouched.
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactRow(c2, a.ID, g, "", "", "555", ""))
}

func TestContactUpdateSuccess(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("a@example.com", "")
	g := contactNewGroup(ts, a.Key, "G")
	full := contactNew(ts, a.Key, g, "email", "ann@example.com", "phone_number", "111", "first_name", "Ann", "last_name", "Lee")
	phoneOnly := contactNew(ts, a.Key, g, "phone_number", "222")
	emailOnly := contactNew(ts, a.Key, g, "email", "bo@example.com")
	ok := `{"status":"success"}`
	update := func(id int64, slash string, kv ...string) response {
		return ts.post(fmt.Sprintf("update_contact/%d%s", id, slash), vals(append([]string{"api_key", a.Key}, kv...)...))
	}
	get := func(id int64) response {
		return ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(id)))
	}

	// Sending the present e-mail or phone again is not a change.
	contactBody(t, update(full, "", "email", "ann@example.com", "first_name", "Anna"), ok)
	contactBody(t, get(full), contactRow(full, a.ID, g, "Anna", "Lee", "111", "ann@example.com"))
	contactBody(t, update(full, "/", "phone_number", " 111 ", "last_name", "Li"), ok)
	contactBody(t, get(full), contactRow(full, a.ID, g, "Anna", "Li", "111", "ann@example.com"))
	contactBody(t, update(full, "", "email", "ann@example.com", "phone_number", "111"), ok)
	contactBody(t, get(full), contactRow(full, a.ID, g, "Anna", "Li", "111", "ann@example.com"))

	// An e-mail or phone can be set while the contact has none, once.
	contactBody(t, update(phoneOnly, "", "email", "new@example.com"), ok)
	contactBody(t, get(phoneOnly), contactRow(phoneOnly, a.ID, g, "", "", "222", "new@example.com"))
	contactBody(t, update(phoneOnly, "", "email", "newer@example.com"), contactErr("The email can not be changed once added"))
	contactBody(t, update(emailOnly, "/", "phone_number", "333", "first_name", "Bo"), ok)
	contactBody(t, get(emailOnly), contactRow(emailOnly, a.ID, g, "Bo", "", "333", "bo@example.com"))
	contactBody(t, update(emailOnly, "", "phone_number", "334"), contactErr("The phone_number can not be changed once added"))
	// Blank fields are ignored, not written.
	contactBody(t, update(full, "", "first_name", "", "last_name", "Lo"), ok)
	contactBody(t, get(full), contactRow(full, a.ID, g, "Anna", "Lo", "111", "ann@example.com"))
}

func TestContactUniquenessPerMember(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("a@example.com", "")
	b := ts.newMember("b@example.com", "")
	ga, gb := contactNewGroup(ts, a.Key, "A"), contactNewGroup(ts, b.Key, "B")

	// Two members may hold the same e-mail and phone.
	ca := contactNew(ts, a.Key, ga, "email", "same@example.com", "phone_number", "111")
	contactNew(ts, b.Key, gb, "email", "same@example.com", "phone_number", "111")
	// A second group of the same member does not make room.
	ga2 := contactNewGroup(ts, a.Key, "A2")
	dup := vals("api_key", a.Key, "contact_type_id", fmt.Sprint(ga2), "email", "Same@Example.com")
	contactBody(t, ts.post("create_contact", dup), contactErr("Please try with different email address"))
	// Empty e-mails and empty phones never clash.
	contactNew(ts, a.Key, ga, "phone_number", "201")
	contactNew(ts, a.Key, ga, "phone_number", "202")
	contactNew(ts, a.Key, ga, "email", "e1@example.com")
	contactNew(ts, a.Key, ga, "email", "e2@example.com")

	// Deleting a contact frees its e-mail and phone, for create and update.
	contactBody(t, ts.post("delete_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(ca))),
		fmt.Sprintf(`{"status":"success","message":"The contact ID (%d) has been deleted"}`, ca))
	again := contactNew(ts, a.Key, ga2, "email", "SAME@example.com")
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(again))), contactRow(again, a.ID, ga2, "", "", "", "SAME@example.com"))
	e3 := contactNew(ts, a.Key, ga, "email", "e3@example.com")
	contactBody(t, ts.post(fmt.Sprintf("update_contact/%d", e3), vals("api_key", a.Key, "phone_number", "111")), `{"status":"success"}`)
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(e3))), contactRow(e3, a.ID, ga, "", "", "111", "e3@example.com"))
}

func TestContactGroupDeleteKeepsContacts(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("a@example.com", "")
	g := contactNewGroup(ts, a.Key, "Old")
	c1 := contactNew(ts, a.Key, g, "email", "c1@example.com", "first_name", "C")
	c2 := contactNew(ts, a.Key, g, "phone_number", "222")
	gid := fmt.Sprint(g)

	contactBody(t, ts.post("delete_contact_group", vals("api_key", a.Key, "contact_type_id", gid)),
		fmt.Sprintf(`{"status":"success","message":"The contact type ID (%d) has been deleted"}`, g))
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))), contactRow(c1, a.ID, g, "C", "", "", "c1@example.com"))
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactRow(c2, a.ID, g, "", "", "222", ""))
	// Its contacts can still be updated; they keep the old group id.
	contactBody(t, ts.post(fmt.Sprintf("update_contact/%d", c2), vals("api_key", a.Key, "last_name", "Z")), `{"status":"success"}`)
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactRow(c2, a.ID, g, "", "Z", "222", ""))

	contactRejected(t, ts, []contactCase{
		{"get", "get_contact_group", vals("api_key", a.Key, "contact_type_id", gid), "The contact type ID does not exist"},
		{"update", "update_contact_group/" + gid, vals("api_key", a.Key, "name", "New"), "The contact type ID does not exist"},
		{"delete", "delete_contact_group", vals("api_key", a.Key, "contact_type_id", gid), "The contact type ID does not exist"},
		{"create contact", "create_contact", vals("api_key", a.Key, "contact_type_id", gid, "email", "n@example.com"),
			"You can NOT add the contact to the specified contact group"},
	})
}

func TestContactTenancy(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("a@example.com", "")
	b := ts.newMember("b@example.com", "")
	ga := contactNewGroup(ts, a.Key, "A's")
	ga2 := contactNewGroup(ts, a.Key, "A's second")
	groups := []int64{ga, ga2}
	contacts := []int64{
		contactNew(ts, a.Key, ga, "email", "x@example.com", "phone_number", "111"),
		contactNew(ts, a.Key, ga2, "phone_number", "222"),
		contactNew(ts, a.Key, ga2, "email", "y@example.com"),
	}
	contactNewGroup(ts, b.Key, "B's") // B has records of its own
	contactNew(ts, b.Key, contactNewGroup(ts, b.Key, "B2"), "email", "b@example.com")
	const missing = "999999"

	// For each call, B on an id of A must answer byte for byte what B gets
	// for an id that exists nowhere.
	type call struct {
		path  string
		param string // "" when the id goes in the path
		extra []string
	}
	groupCalls := []call{
		{"get_contact_group", "contact_type_id", nil},
		{"update_contact_group/", "", []string{"name", "Stolen"}},
		{"delete_contact_group", "contact_type_id", nil},
		{"create_contact", "contact_type_id", []string{"email", "z@example.com"}},
		{"create_contact", "contact_type_id", []string{"phone_number", "111"}},
	}
	contactCalls := []call{
		{"get_contact", "contact_id", nil},
		{"update_contact/", "", []string{"first_name", "Stolen"}},
		{"update_contact/", "", []string{"email", "other@example.com", "phone_number", "999"}},
		{"update_contact/", "", nil},
		{"delete_contact", "contact_id", nil},
	}
	send := func(ts *testServer, c call, id string) response {
		p := vals(append([]string{"api_key", b.Key}, c.extra...)...)
		if c.param == "" {
			return ts.post(c.path+id, p)
		}
		p.Set(c.param, id)
		return ts.post(c.path, p)
	}
	run := func(calls []call, ids []int64) {
		for _, c := range calls {
			for _, id := range ids {
				t.Run(fmt.Sprintf("%s%s%v/%d", c.path, c.param, c.extra, id), func(t *testing.T) {
					ts := contactServer(t, ts)
					want := send(ts, c, missing)
					if want.Message(t) == "" {
						t.Fatalf("a missing id was not refused: %s", want.Body)
					}
					before := ts.snapshot()
					got := send(ts, c, fmt.Sprint(id))
					if got.Status != want.Status || !bytes.Equal(got.Body, want.Body) {
						t.Errorf("B on A's id %d: %d %s\nB on a missing id: %d %s", id, got.Status, got.Body, want.Status, want.Body)
					}
					if after := ts.snapshot(); after != before {
						t.Errorf("B's call changed rows:\nbefore:\n%s\nafter:\n%s", before, after)
					}
				})
			}
		}
	}
	run(groupCalls, groups)
	run(contactCalls, contacts)

	// The messages themselves are the contract's.
	contactBody(t, send(ts, groupCalls[0], fmt.Sprint(ga)), contactErr("The contact type ID does not exist"))
	contactBody(t, send(ts, groupCalls[3], fmt.Sprint(ga)), contactErr("You can NOT add the contact to the specified contact group"))
	contactBody(t, send(ts, contactCalls[0], fmt.Sprint(contacts[0])), contactErr("The contact ID does not exist"))
	// A still sees its records as they were.
	contactBody(t, ts.get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(ga))), contactGroupRow(ga, a.ID, "A's"))
	contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(contacts[0]))),
		contactRow(contacts[0], a.ID, ga, "", "", "111", "x@example.com"))
}

// contactSend calls /api/<path> with p carried the way source says.
func contactSend(ts *testServer, source, path string, p url.Values) response {
	ts.t.Helper()
	target := ts.URL() + "/api/" + path
	var req *http.Request
	switch source {
	case "get":
		return ts.get(path, p)
	case "post-query":
		req, _ = http.NewRequest(http.MethodPost, target+"?"+p.Encode(), nil)
	case "form":
		return ts.post(path, p)
	case "bearer":
		q := url.Values{}
		for k, v := range p {
			if k != "api_key" {
				q[k] = v
			}
		}
		req, _ = http.NewRequest(http.MethodPost, target, strings.NewReader(q.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+p.Get("api_key"))
	case "multipart":
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for k := range p {
			_ = w.WriteField(k, p.Get(k))
		}
		_ = w.Close()
		req, _ = http.NewRequest(http.MethodPost, target, &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
	case "json", "json-numbers":
		obj := map[string]any{}
		for k := range p {
			obj[k] = p.Get(k)
			if source == "json-numbers" && strings.HasSuffix(k, "_id") {
				obj[k] = json.Number(p.Get(k))
			}
		}
		return ts.postJSON(path, obj)
	default:
		ts.t.Fatalf("unknown source %q", source)
	}
	return ts.do(req)
}

func TestContactParameterSources(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("a@example.com", "")
	ok := `{"status":"success"}`
	for _, source := range []string{"get", "post-query", "form", "bearer", "multipart", "json", "json-numbers"} {
		t.Run(source, func(t *testing.T) {
			ts := contactServer(t, ts)
			send := func(path string, kv ...string) response {
				return contactSend(ts, source, path, vals(append([]string{"api_key", a.Key}, kv...)...))
			}
			g := contactCreated(t, send("create_contact_group", "name", "G "+source), "contact_type_id")
			gid := fmt.Sprint(g)
			contactBody(t, send("get_contact_group", "contact_type_id", gid), contactGroupRow(g, a.ID, "G "+source))
			contactBody(t, send("update_contact_group/"+gid, "name", "H "+source), ok)
			contactBody(t, send("get_contact_group/", "contact_type_id", gid), contactGroupRow(g, a.ID, "H "+source))
			contactBody(t, send("update_contact_group/"+gid+"/", "name", "I "+source), ok)
			contactBody(t, send("get_contact_group", "contact_type_id", gid), contactGroupRow(g, a.ID, "I "+source))

			email := source + "@example.com"
			c := contactCreated(t, send("create_contact/", "contact_type_id", gid, "email", email, "first_name", "F"), "new_contact_id")
			cid := fmt.Sprint(c)
			contactBody(t, send("get_contact", "contact_id", cid), contactRow(c, a.ID, g, "F", "", "", email))
			contactBody(t, send("update_contact/"+cid, "last_name", "L"), ok)
			contactBody(t, send("update_contact/"+cid+"/", "phone_number", "123"), ok)
			contactBody(t, send("get_contact/", "contact_id", cid), contactRow(c, a.ID, g, "F", "L", "123", email))
			contactBody(t, send("create_contact", "contact_type_id", gid, "email", email), contactErr("Please try with different email address"))
			contactBody(t, send("delete_contact/", "contact_id", cid), fmt.Sprintf(`{"status":"success","message":"The contact ID (%d) has been deleted"}`, c))
			contactBody(t, send("get_contact", "contact_id", cid), contactErr("The contact ID does not exist"))
			contactBody(t, send("delete_contact_group", "contact_type_id", gid),
				fmt.Sprintf(`{"status":"success","message":"The contact type ID (%d) has been deleted"}`, g))
			contactBody(t, send("get_contact_group", "contact_type_id", gid), contactErr("The contact type ID does not exist"))
		})
	}

	t.Run("body wins over query", func(t *testing.T) {
		ts := contactServer(t, ts)
		g := contactNewGroup(ts, a.Key, "Q")
		q := vals("api_key", a.Key, "contact_type_id", "999999", "email", "query@example.com", "first_name", "Query")
		body := vals("contact_type_id", fmt.Sprint(g), "email", "body@example.com")
		req, _ := http.NewRequest(http.MethodPost, ts.URL()+"/api/create_contact?"+q.Encode(), strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c := contactCreated(t, ts.do(req), "new_contact_id")
		contactBody(t, ts.get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c))), contactRow(c, a.ID, g, "Query", "", "", "body@example.com"))
	})
}
