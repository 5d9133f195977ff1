package web_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// newGroup makes a contact group through the web app and returns its id.
func newGroup(t *testing.T, c *xerochattest.WebClient, name string) int64 {
	t.Helper()
	loc := location(t, c.PostForm("/app/contacts/groups", xerochattest.Vals("name", name)))
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/app/contacts/groups/"), 10, 64)
	if err != nil {
		t.Fatalf("create group sends to %q", loc)
	}
	return id
}

func TestContactGroups(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	other := ws.NewMember("bob@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)

	if res := c.PostForm("/app/contacts/groups", xerochattest.Vals("name", "  ")); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(res.Body), `id="name-error">`+xerochat.MsgContactGroupNameRequired) {
		t.Errorf("a group without a name: %d", res.Status)
	}
	id := newGroup(t, c, "Customers")
	if got := ws.Get("get_contact_group", xerochattest.Vals("api_key", m.Key, "contact_type_id", itoa(id))).JSON(t)["type"]; got != "Customers" {
		t.Errorf("the API sees the group as %v", got)
	}
	c.PostForm(fmt.Sprintf("/app/contacts/groups/%d/rename", id), xerochattest.Vals("name", "Clients"))
	if body := string(c.Get("/app/contacts").Body); !strings.Contains(body, ">Clients</a>") || !strings.Contains(body, "Group renamed to Clients.") {
		t.Errorf("after renaming: %s", body)
	}

	// Another member's group answers exactly like a missing one.
	theirs := ws.Post("create_contact_group", xerochattest.Vals("api_key", other.Key, "name", "Theirs")).JSON(t)["contact_type_id"].(float64)
	before := ws.Snapshot()
	for _, gid := range []int64{int64(theirs), 999999} {
		for _, req := range []struct{ method, path string }{
			{"GET", "/app/contacts/groups/%d"}, {"GET", "/app/contacts/groups/%d/export.csv"},
			{"POST", "/app/contacts/groups/%d/rename"}, {"POST", "/app/contacts/groups/%d/delete"},
			{"POST", "/app/contacts/groups/%d/contacts"},
		} {
			path := fmt.Sprintf(req.path, gid)
			var res xerochattest.Response
			if req.method == "GET" {
				res = c.Get(path)
			} else {
				res = c.PostForm(path, xerochattest.Vals("name", "Mine now", "email", "x@example.com"))
			}
			if res.Status != http.StatusNotFound || !strings.Contains(string(res.Body), xerochat.MsgNotFoundPageDesc) {
				t.Errorf("%s %s: %d, want the not-found page", req.method, path, res.Status)
			}
		}
	}
	if ws.Snapshot() != before {
		t.Error("requests on another member's group changed data")
	}

	c.PostForm(fmt.Sprintf("/app/contacts/groups/%d/delete", id), nil)
	if msg := ws.Get("get_contact_group", xerochattest.Vals("api_key", m.Key, "contact_type_id", itoa(id))).Message(t); msg != xerochat.MsgContactGroupAbsent {
		t.Errorf("after deleting, the API says %q", msg)
	}
}

var fieldErrRe = regexp.MustCompile(`id="([a-z_]+)-error">([^<]*)<`)

// fieldErrors returns the messages shown next to fields, by field id.
func fieldErrors(body []byte) map[string]string {
	out := map[string]string{}
	for _, m := range fieldErrRe.FindAllSubmatch(body, -1) {
		out[string(m[1])] = html.UnescapeString(string(m[2]))
	}
	return out
}

func TestContactsObeyTheAPIRules(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	g := newGroup(t, c, "G")
	add := fmt.Sprintf("/app/contacts/groups/%d/contacts", g)
	if got := location(t, c.PostForm(add, xerochattest.Vals("email", "ada@example.com", "first_name", "Ada"))); got != fmt.Sprintf("/app/contacts/groups/%d", g) {
		t.Fatalf("add sends to %q", got)
	}
	c.PostForm(add, xerochattest.Vals("phone_number", "555-1"))
	for _, tc := range []struct {
		name, field, want string
		form              []string
	}{
		{"no e-mail or phone", "email", xerochat.MsgContactEmailOrPhone, []string{"first_name", "X"}},
		{"invalid e-mail", "email", xerochat.MsgContactEmailBad, []string{"email", "not-an-address"}},
		{"e-mail taken, in another case", "email", xerochat.MsgContactEmailTaken, []string{"email", "ADA@example.com"}},
		{"phone taken", "phone_number", xerochat.MsgContactPhoneTaken, []string{"phone_number", "555-1"}},
	} {
		t.Run("create: "+tc.name, func(t *testing.T) {
			res := c.PostForm(add, xerochattest.Vals(tc.form...))
			if got := fieldErrors(res.Body)[tc.field]; res.Status != http.StatusUnprocessableEntity || got != tc.want {
				t.Errorf("%d, %s shows %q, want %q", res.Status, tc.field, got, tc.want)
			}
		})
	}
	// The contact the browser made is the one the API reads.
	id := int64(ws.Get("get_contact", xerochattest.Vals("api_key", m.Key, "contact_id", "1")).JSON(t)["id"].(string)[0] - '0')
	edit := fmt.Sprintf("/app/contacts/%d", id)
	for _, tc := range []struct {
		name, field, want string
		form              []string
	}{
		{"nothing changed", "first_name", xerochat.MsgContactNoUpdate, []string{"email", "ada@example.com", "first_name", "Ada"}},
		{"e-mail changed", "email", xerochat.MsgContactEmailFixed, []string{"email", "eve@example.com", "first_name", "Ada"}},
		{"phone taken", "phone_number", xerochat.MsgContactPhoneTaken, []string{"email", "ada@example.com", "first_name", "Ada", "phone_number", "555-1"}},
	} {
		t.Run("update: "+tc.name, func(t *testing.T) {
			res := c.PostForm(edit, xerochattest.Vals(tc.form...))
			if got := fieldErrors(res.Body)[tc.field]; res.Status != http.StatusUnprocessableEntity || got != tc.want {
				t.Errorf("%d, %s shows %q, want %q", res.Status, tc.field, got, tc.want)
			}
		})
	}
	location(t, c.PostForm(edit, xerochattest.Vals("email", "ada@example.com", "first_name", "Ada", "last_name", "Lovelace", "phone_number", "555-2")))
	got := ws.Get("get_contact", xerochattest.Vals("api_key", m.Key, "contact_id", itoa(id))).JSON(t)
	if got["last_name"] != "Lovelace" || got["phone_number"] != "555-2" {
		t.Errorf("after the edit the API reads %v", got)
	}
	location(t, c.PostForm(edit+"/delete", nil))
	if msg := ws.Get("get_contact", xerochattest.Vals("api_key", m.Key, "contact_id", itoa(id))).Message(t); msg != xerochat.MsgContactNotFound {
		t.Errorf("after deleting: %q", msg)
	}
	if res := c.Get(edit); res.Status != http.StatusNotFound {
		t.Errorf("a deleted contact's page: %d", res.Status)
	}
}

func TestContactsSearchAndKeysetPages(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	g := newGroup(t, c, "G")
	for i := range 120 {
		name := "Plain"
		if i%40 == 0 {
			name = "Special_" + strconv.Itoa(i)
		}
		ws.Post("create_contact", xerochattest.Vals("api_key", m.Key, "contact_type_id", itoa(g),
			"email", fmt.Sprintf("c%03d@example.com", i), "first_name", name))
	}
	rowRe := regexp.MustCompile(`<tr><td>(\d+)</td>`)
	nextRe := regexp.MustCompile(`href="\?([^"]+)" rel="next"`)
	var seen []string
	path := fmt.Sprintf("/app/contacts/groups/%d", g)
	for pages := 0; pages < 10; pages++ {
		body := c.Get(path).Body
		for _, mm := range rowRe.FindAllSubmatch(body, -1) {
			seen = append(seen, string(mm[1]))
		}
		next := nextRe.FindSubmatch(body)
		if next == nil {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		path = fmt.Sprintf("/app/contacts/groups/%d?%s", g, strings.ReplaceAll(string(next[1]), "&amp;", "&"))
	}
	if len(seen) != 120 || seen[0] != "1" || seen[119] != "120" {
		t.Errorf("pages listed %d contacts (%v ... )", len(seen), seen[:min(3, len(seen))])
	}
	// "_" is a LIKE wildcard: the search must treat it as a character.
	body := string(c.Get(fmt.Sprintf("/app/contacts/groups/%d?q=%s", g, "special_")).Body)
	if n := len(rowRe.FindAllString(body, -1)); n != 3 {
		t.Errorf("search special_: %d rows, want 3", n)
	}
}
