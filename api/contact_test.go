package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// End-to-end tests of contact groups and contacts (CONTRACT.md §2 items
// 9–16, §3 on uniqueness), driven over HTTP against a real server.

// newGroup creates a contact group of the key's owner.
func newGroup(t testing.TB, ts *xerochattest.Server, key, name string) int64 {
	t.Helper()
	return created(t, ts.For(t).Post("create_contact_group", vals("api_key", key, "name", name)), "contact_type_id")
}

// newContact creates a contact in group with the given name, value pairs.
func newContact(t testing.TB, ts *xerochattest.Server, key string, group int64, kv ...string) int64 {
	t.Helper()
	p := vals(kv...)
	p.Set("api_key", key)
	p.Set("contact_type_id", fmt.Sprint(group))
	return created(t, ts.For(t).Post("create_contact", p), "new_contact_id")
}

// deletedJSON is the success answer of a delete: msg is the contract's
// message with the id in it.
func deletedJSON(msg string, id int64) string {
	return `{"status":"success","message":` + quote(fmt.Sprintf(msg, id)) + `}`
}

// contactJSON is the exact get_contact answer for a contact.
func contactJSON(id, userID, group int64, first, last, phone, email string) string {
	return fmt.Sprintf(`{"id":"%d","user_id":"%d","contact_type_id":"%d","first_name":%s,"last_name":%s,`+
		`"phone_number":%s,"email":%s,"notes":"","unsubscribed":"0","deleted":"0"}`,
		id, userID, group, quote(first), quote(last), quote(phone), quote(email))
}

// groupJSON is the exact get_contact_group answer for a live group.
func groupJSON(id, userID int64, name string) string {
	return fmt.Sprintf(`{"id":"%d","user_id":"%d","type":%s,"created_at":"%s","deleted":"0"}`,
		id, userID, quote(name), anyTime)
}

// rejectCase is one call that must be rejected with an exact message.
type rejectCase struct {
	name   string
	path   string // after /api/
	params url.Values
	want   string
}

// wantRejected runs each case by POST (form body) and by GET (query
// string), checks the exact error envelope and that no row changed.
func wantRejected(t *testing.T, ts *xerochattest.Server, cases []rejectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			before := ts.Snapshot()
			wantError(t, ts.Post(tc.path, tc.params), tc.want)
			wantError(t, ts.Get(tc.path, tc.params), tc.want)
			if after := ts.Snapshot(); after != before {
				t.Errorf("a rejected call changed rows:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestContactGroupLifecycle(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")

	before := time.Now().UTC().Truncate(time.Second)
	id := created(t, ts.Post("create_contact_group", vals("api_key", a.Key, "name", "  Kunden Zürich  ")), "contact_type_id")
	after := time.Now().UTC()

	res := ts.Get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id)))
	wantJSON(t, res, groupJSON(id, a.ID, "Kunden Zürich"))
	created, err := time.ParseInLocation(datetimeLayout, fmt.Sprint(res.JSON(t)["created_at"]), time.UTC)
	if err != nil || created.Before(before) || created.After(after) {
		t.Errorf("created_at %v (%v), want between %v and %v in UTC", res.JSON(t)["created_at"], err, before, after)
	}

	ok := `{"status":"success"}`
	wantJSON(t, ts.Post(fmt.Sprintf("update_contact_group/%d", id), vals("api_key", a.Key, "name", "Clients")), ok)
	wantJSON(t, ts.Get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), groupJSON(id, a.ID, "Clients"))
	// An unchanged name is a success too, not {"status":"info"}.
	wantJSON(t, ts.Post(fmt.Sprintf("update_contact_group/%d", id), vals("api_key", a.Key, "name", "Clients")), ok)
	wantJSON(t, ts.Post(fmt.Sprintf("update_contact_group/%d/", id), vals("api_key", a.Key, "name", "Clients")), ok)
	wantJSON(t, ts.Get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), groupJSON(id, a.ID, "Clients"))

	second := newGroup(t, ts, a.Key, "Second")
	if second == id {
		t.Fatalf("two groups got the same id %d", id)
	}
	wantJSON(t, ts.Post("delete_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))),
		deletedJSON(xerochat.MsgContactGroupDeleted, id))

	// The deleted group is gone for every endpoint; the other one is not.
	gone := errorJSON(xerochat.MsgContactGroupAbsent)
	wantJSON(t, ts.Get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), gone)
	// update_contact_group answers the original's own text for it.
	wantJSON(t, ts.Post(fmt.Sprintf("update_contact_group/%d", id), vals("api_key", a.Key, "name", "Again")),
		errorJSON(xerochat.MsgContactGroupNoPermission))
	wantJSON(t, ts.Post("delete_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(id))), gone)
	wantJSON(t, ts.Get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(second))), groupJSON(second, a.ID, "Second"))
}

func TestContactLifecycle(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	g := newGroup(t, ts, a.Key, "Customers")

	res := ts.Post("create_contact", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(g), "email", " ann@example.com ",
		"phone_number", " +4930123 ", "first_name", " Ann ", "last_name", "Lee"))
	c1 := created(t, res, "new_contact_id")
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))),
		contactJSON(c1, a.ID, g, "Ann", "Lee", "+4930123", "ann@example.com"))

	// Phone only, and e-mail only: the absent one is "".
	c2 := newContact(t, ts, a.Key, g, "phone_number", "555")
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactJSON(c2, a.ID, g, "", "", "555", ""))
	c3 := newContact(t, ts, a.Key, g, "email", "bo@example.com", "first_name", "Bo")
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c3))), contactJSON(c3, a.ID, g, "Bo", "", "", "bo@example.com"))
	if c1 == c2 || c2 == c3 || c1 == c3 {
		t.Fatalf("contact ids not distinct: %d %d %d", c1, c2, c3)
	}

	wantJSON(t, ts.Post(fmt.Sprintf("update_contact/%d", c1), vals("api_key", a.Key, "first_name", "Anna")), `{"status":"success"}`)
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))),
		contactJSON(c1, a.ID, g, "Anna", "Lee", "+4930123", "ann@example.com"))

	wantJSON(t, ts.Post("delete_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))),
		deletedJSON(xerochat.MsgContactDeleted, c1))
	gone := errorJSON(xerochat.MsgContactNotFound)
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))), gone)
	wantJSON(t, ts.Post(fmt.Sprintf("update_contact/%d", c1), vals("api_key", a.Key, "first_name", "X")), gone)
	wantJSON(t, ts.Post("delete_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))), gone)
	// The others are untouched.
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactJSON(c2, a.ID, g, "", "", "555", ""))
}

func TestContactUpdateSuccess(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	g := newGroup(t, ts, a.Key, "G")
	full := newContact(t, ts, a.Key, g, "email", "ann@example.com", "phone_number", "111", "first_name", "Ann", "last_name", "Lee")
	phoneOnly := newContact(t, ts, a.Key, g, "phone_number", "222")
	emailOnly := newContact(t, ts, a.Key, g, "email", "bo@example.com")
	ok := `{"status":"success"}`
	update := func(id int64, slash string, kv ...string) xerochattest.Response {
		return ts.Post(fmt.Sprintf("update_contact/%d%s", id, slash), vals(append([]string{"api_key", a.Key}, kv...)...))
	}
	get := func(id int64) xerochattest.Response {
		return ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(id)))
	}

	// Sending the present e-mail or phone again is not a change.
	wantJSON(t, update(full, "", "email", "ann@example.com", "first_name", "Anna"), ok)
	wantJSON(t, get(full), contactJSON(full, a.ID, g, "Anna", "Lee", "111", "ann@example.com"))
	wantJSON(t, update(full, "/", "phone_number", " 111 ", "last_name", "Li"), ok)
	wantJSON(t, get(full), contactJSON(full, a.ID, g, "Anna", "Li", "111", "ann@example.com"))
	wantJSON(t, update(full, "", "email", "ann@example.com", "phone_number", "111"), ok)
	wantJSON(t, get(full), contactJSON(full, a.ID, g, "Anna", "Li", "111", "ann@example.com"))

	// An e-mail or phone can be set while the contact has none, once.
	wantJSON(t, update(phoneOnly, "", "email", "new@example.com"), ok)
	wantJSON(t, get(phoneOnly), contactJSON(phoneOnly, a.ID, g, "", "", "222", "new@example.com"))
	wantError(t, update(phoneOnly, "", "email", "newer@example.com"), xerochat.MsgContactEmailFixed)
	wantJSON(t, update(emailOnly, "/", "phone_number", "333", "first_name", "Bo"), ok)
	wantJSON(t, get(emailOnly), contactJSON(emailOnly, a.ID, g, "Bo", "", "333", "bo@example.com"))
	wantError(t, update(emailOnly, "", "phone_number", "334"), xerochat.MsgContactPhoneFixed)
	// Blank fields are ignored, not written.
	wantJSON(t, update(full, "", "first_name", "", "last_name", "Lo"), ok)
	wantJSON(t, get(full), contactJSON(full, a.ID, g, "Anna", "Lo", "111", "ann@example.com"))
}

func TestContactUniquenessPerMember(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	b := ts.NewMember("b@example.com", "")
	ga, gb := newGroup(t, ts, a.Key, "A"), newGroup(t, ts, b.Key, "B")

	// Two members may hold the same e-mail and phone.
	ca := newContact(t, ts, a.Key, ga, "email", "same@example.com", "phone_number", "111")
	newContact(t, ts, b.Key, gb, "email", "same@example.com", "phone_number", "111")
	// A second group of the same member does not make room.
	ga2 := newGroup(t, ts, a.Key, "A2")
	dup := vals("api_key", a.Key, "contact_type_id", fmt.Sprint(ga2), "email", "Same@Example.com")
	wantError(t, ts.Post("create_contact", dup), xerochat.MsgContactEmailTaken)
	// Empty e-mails and empty phones never clash.
	newContact(t, ts, a.Key, ga, "phone_number", "201")
	newContact(t, ts, a.Key, ga, "phone_number", "202")
	newContact(t, ts, a.Key, ga, "email", "e1@example.com")
	newContact(t, ts, a.Key, ga, "email", "e2@example.com")

	// Deleting a contact frees its e-mail and phone, for create and update.
	wantJSON(t, ts.Post("delete_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(ca))),
		deletedJSON(xerochat.MsgContactDeleted, ca))
	again := newContact(t, ts, a.Key, ga2, "email", "SAME@example.com")
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(again))), contactJSON(again, a.ID, ga2, "", "", "", "SAME@example.com"))
	e3 := newContact(t, ts, a.Key, ga, "email", "e3@example.com")
	wantJSON(t, ts.Post(fmt.Sprintf("update_contact/%d", e3), vals("api_key", a.Key, "phone_number", "111")), `{"status":"success"}`)
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(e3))), contactJSON(e3, a.ID, ga, "", "", "111", "e3@example.com"))
}

func TestContactGroupDeleteKeepsContacts(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	g := newGroup(t, ts, a.Key, "Old")
	c1 := newContact(t, ts, a.Key, g, "email", "c1@example.com", "first_name", "C")
	c2 := newContact(t, ts, a.Key, g, "phone_number", "222")
	gid := fmt.Sprint(g)

	wantJSON(t, ts.Post("delete_contact_group", vals("api_key", a.Key, "contact_type_id", gid)),
		deletedJSON(xerochat.MsgContactGroupDeleted, g))
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c1))), contactJSON(c1, a.ID, g, "C", "", "", "c1@example.com"))
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactJSON(c2, a.ID, g, "", "", "222", ""))
	// Its contacts can still be updated; they keep the old group id.
	wantJSON(t, ts.Post(fmt.Sprintf("update_contact/%d", c2), vals("api_key", a.Key, "last_name", "Z")), `{"status":"success"}`)
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c2))), contactJSON(c2, a.ID, g, "", "Z", "222", ""))

	wantRejected(t, ts, []rejectCase{
		{"get", "get_contact_group", vals("api_key", a.Key, "contact_type_id", gid), xerochat.MsgContactGroupAbsent},
		{"update", "update_contact_group/" + gid, vals("api_key", a.Key, "name", "New"), xerochat.MsgContactGroupNoPermission},
		{"delete", "delete_contact_group", vals("api_key", a.Key, "contact_type_id", gid), xerochat.MsgContactGroupAbsent},
		{"create contact", "create_contact", vals("api_key", a.Key, "contact_type_id", gid, "email", "n@example.com"),
			xerochat.MsgContactGroupDenied},
	})
}

func TestContactTenancy(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	b := ts.NewMember("b@example.com", "")
	ga := newGroup(t, ts, a.Key, "A's")
	ga2 := newGroup(t, ts, a.Key, "A's second")
	groups := []int64{ga, ga2}
	contacts := []int64{
		newContact(t, ts, a.Key, ga, "email", "x@example.com", "phone_number", "111"),
		newContact(t, ts, a.Key, ga2, "phone_number", "222"),
		newContact(t, ts, a.Key, ga2, "email", "y@example.com"),
	}
	newGroup(t, ts, b.Key, "B's") // B has records of its own
	newContact(t, ts, b.Key, newGroup(t, ts, b.Key, "B2"), "email", "b@example.com")
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
	send := func(ts *xerochattest.Server, c call, id string) xerochattest.Response {
		p := vals(append([]string{"api_key", b.Key}, c.extra...)...)
		if c.param == "" {
			return ts.Post(c.path+id, p)
		}
		p.Set(c.param, id)
		return ts.Post(c.path, p)
	}
	run := func(calls []call, ids []int64) {
		for _, c := range calls {
			for _, id := range ids {
				t.Run(fmt.Sprintf("%s%s%v/%d", c.path, c.param, c.extra, id), func(t *testing.T) {
					ts := ts.For(t)
					want := send(ts, c, missing)
					if want.Message(t) == "" {
						t.Fatalf("a missing id was not refused: %s", want.Body)
					}
					before := ts.Snapshot()
					got := send(ts, c, fmt.Sprint(id))
					if got.Status != want.Status || !bytes.Equal(got.Body, want.Body) {
						t.Errorf("B on A's id %d: %d %s\nB on a missing id: %d %s", id, got.Status, got.Body, want.Status, want.Body)
					}
					if after := ts.Snapshot(); after != before {
						t.Errorf("B's call changed rows:\nbefore:\n%s\nafter:\n%s", before, after)
					}
				})
			}
		}
	}
	run(groupCalls, groups)
	run(contactCalls, contacts)

	// The messages themselves are the contract's.
	wantError(t, send(ts, groupCalls[0], fmt.Sprint(ga)), xerochat.MsgContactGroupAbsent)
	wantError(t, send(ts, groupCalls[3], fmt.Sprint(ga)), xerochat.MsgContactGroupDenied)
	wantError(t, send(ts, contactCalls[0], fmt.Sprint(contacts[0])), xerochat.MsgContactNotFound)
	// A still sees its records as they were.
	wantJSON(t, ts.Get("get_contact_group", vals("api_key", a.Key, "contact_type_id", fmt.Sprint(ga))), groupJSON(ga, a.ID, "A's"))
	wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(contacts[0]))),
		contactJSON(contacts[0], a.ID, ga, "", "", "111", "x@example.com"))
}

// sendVia calls /api/<path> with p carried the way source says.
func sendVia(t testing.TB, ts *xerochattest.Server, source, path string, p url.Values) xerochattest.Response {
	t.Helper()
	ts = ts.For(t)
	const form = "application/x-www-form-urlencoded"
	switch source {
	case "get":
		return ts.Get(path, p)
	case "post-query":
		return ts.Send(http.MethodPost, path+"?"+p.Encode(), "", nil)
	case "form":
		return ts.Post(path, p)
	case "bearer":
		q := url.Values{}
		for k, v := range p {
			if k != "api_key" {
				q[k] = v
			}
		}
		return ts.Send(http.MethodPost, path, form, strings.NewReader(q.Encode()), "Authorization", "Bearer "+p.Get("api_key"))
	case "multipart":
		return postMultipart(t, ts, path, p)
	case "json", "json-numbers":
		obj := map[string]any{}
		for k := range p {
			obj[k] = p.Get(k)
			if source == "json-numbers" && strings.HasSuffix(k, "_id") {
				obj[k] = json.Number(p.Get(k))
			}
		}
		return ts.PostJSON(path, obj)
	}
	t.Fatalf("unknown source %q", source)
	return xerochattest.Response{}
}

func TestContactParameterSources(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("a@example.com", "")
	ok := `{"status":"success"}`
	for _, source := range []string{"get", "post-query", "form", "bearer", "multipart", "json", "json-numbers"} {
		t.Run(source, func(t *testing.T) {
			ts := ts.For(t)
			send := func(path string, kv ...string) xerochattest.Response {
				return sendVia(t, ts, source, path, vals(append([]string{"api_key", a.Key}, kv...)...))
			}
			g := created(t, send("create_contact_group", "name", "G "+source), "contact_type_id")
			gid := fmt.Sprint(g)
			wantJSON(t, send("get_contact_group", "contact_type_id", gid), groupJSON(g, a.ID, "G "+source))
			wantJSON(t, send("update_contact_group/"+gid, "name", "H "+source), ok)
			wantJSON(t, send("get_contact_group/", "contact_type_id", gid), groupJSON(g, a.ID, "H "+source))
			wantJSON(t, send("update_contact_group/"+gid+"/", "name", "I "+source), ok)
			wantJSON(t, send("get_contact_group", "contact_type_id", gid), groupJSON(g, a.ID, "I "+source))

			email := source + "@example.com"
			c := created(t, send("create_contact/", "contact_type_id", gid, "email", email, "first_name", "F"), "new_contact_id")
			cid := fmt.Sprint(c)
			wantJSON(t, send("get_contact", "contact_id", cid), contactJSON(c, a.ID, g, "F", "", "", email))
			wantJSON(t, send("update_contact/"+cid, "last_name", "L"), ok)
			wantJSON(t, send("update_contact/"+cid+"/", "phone_number", "123"), ok)
			wantJSON(t, send("get_contact/", "contact_id", cid), contactJSON(c, a.ID, g, "F", "L", "123", email))
			wantError(t, send("create_contact", "contact_type_id", gid, "email", email), xerochat.MsgContactEmailTaken)
			wantJSON(t, send("delete_contact/", "contact_id", cid), deletedJSON(xerochat.MsgContactDeleted, c))
			wantError(t, send("get_contact", "contact_id", cid), xerochat.MsgContactNotFound)
			wantJSON(t, send("delete_contact_group", "contact_type_id", gid),
				deletedJSON(xerochat.MsgContactGroupDeleted, g))
			wantError(t, send("get_contact_group", "contact_type_id", gid), xerochat.MsgContactGroupAbsent)
		})
	}

	t.Run("body wins over query", func(t *testing.T) {
		ts := ts.For(t)
		g := newGroup(t, ts, a.Key, "Q")
		q := vals("api_key", a.Key, "contact_type_id", "999999", "email", "query@example.com", "first_name", "Query")
		body := vals("contact_type_id", fmt.Sprint(g), "email", "body@example.com")
		c := created(t, ts.Send(http.MethodPost, "create_contact?"+q.Encode(), "application/x-www-form-urlencoded",
			strings.NewReader(body.Encode())), "new_contact_id")
		wantJSON(t, ts.Get("get_contact", vals("api_key", a.Key, "contact_id", fmt.Sprint(c))), contactJSON(c, a.ID, g, "Query", "", "", "body@example.com"))
	})
}
