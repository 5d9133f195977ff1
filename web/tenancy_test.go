package web_test

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

// routeRe finds the patterns the web app registers, so that a route added
// without a row in the matrix below fails the test.
var routeRe = regexp.MustCompile(`mux\.HandleFunc\("((?:GET|POST) /app[^"]*)"`)

func registeredRoutes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("web.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range routeRe.FindAllSubmatch(src, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// TestTenancyMatrix requests every screen and form of the web app as one
// member, naming another member's records, and then naming records that do
// not exist. Both must answer the same not-found page, and nothing may
// change.
func TestTenancyMatrix(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	ann := ws.NewMember("ann@example.com", "100")
	bob := ws.NewMember("bob@example.com", "200")
	ctx := context.Background()
	ws.AddSubscriber(bob, "9100000000000019", "Zed", "Bob's")
	label, err := ws.App.CreateLabel(ctx, bob.ID, "200", "Bob's label")
	if err != nil {
		t.Fatal(err)
	}
	flow := ws.AddFlow(bob, "Bob's flow", "Q?")
	bc := ws.Client()
	bc.Login(bob.Email, xerochattest.MemberPassword)
	group := newGroup(t, bc, "Bob's group")
	contact := int64(ws.Post("create_contact", xerochattest.Vals("api_key", bob.Key, "contact_type_id", itoa(group),
		"email", "bobs@example.com")).JSON(t)["new_contact_id"].(float64))
	job := location(t, upload(t, ws, bc, group, "b.csv", "email\nnot-valid\n"))
	waitImport(t, bc, job)
	jobID := strings.TrimPrefix(job, "/app/imports/")

	// Each route with Bob's ids, and with ids nobody has.
	ids := map[string][2]string{
		"/app/contacts/groups/{id}": {itoa(group), "99999"},
		"/app/contacts/{id}":        {itoa(contact), "99999"},
		"/app/imports/{id}":         {jobID, "99999"},
		"/app/flows/{id}":           {itoa(flow.ID), "99999"},
		"/app/admin":                {"1", "99999"}, // Ann is no admin: every admin page is not found
		"{page}":                    {"200", "999"},
		"{psid}":                    {"9100000000000019", "psid-none"},
	}
	fill := func(pattern string, which int) string {
		path := pattern
		for prefix, v := range ids {
			if strings.HasPrefix(prefix, "/") && strings.HasPrefix(path, prefix) || strings.HasPrefix(prefix, "/app/admin") && strings.HasPrefix(path, "/app/admin") {
				path = strings.Replace(path, "{id}", v[which], 1)
			}
		}
		path = strings.Replace(path, "{page}", ids["{page}"][which], 1)
		return strings.Replace(path, "{psid}", ids["{psid}"][which], 1)
	}
	// Routes without an id in the path name their record in the query, or
	// only show the member's own records (and are checked by the tests of
	// their screens); the matrix sends the query variants.
	queryVariants := map[string][]string{
		"GET /app/subscribers": {"/app/subscribers?page=%s", "/app/subscribers?page=100&label=" + label.LabelID},
		"GET /app/labels":      {"/app/labels?page=%s"},
		"POST /app/labels":     {"/app/labels?page=%s"},
		"POST /app/flows":      {"/app/flows"}, // with page_id=Bob's page in the form
	}
	ownOnly := map[string]bool{"GET /app": true, "GET /app/api-key": true, "POST /app/api-key": true, "GET /app/profile": true,
		"POST /app/profile": true, "POST /app/profile/password": true, "GET /app/pages": true, "GET /app/contacts": true,
		"POST /app/contacts/groups": true, "GET /app/flows": true, "GET /app/flows/new": true,
		// A Facebook Login belongs to the browser session that started it
		// (connect_test.go refuses another member's state and choice).
		"POST /app/pages/facebook": true, "GET /app/pages/facebook/callback": true, "POST /app/pages/facebook/connect": true}

	c := ws.Client()
	c.Login(ann.Email, xerochattest.MemberPassword)
	form := xerochattest.Vals("name", "Ann's now", "email", "ann-owns@example.com", "label_id", label.LabelID, "label_name", "Ann's",
		"enabled", "0", "page_id", "200", "flow_name", "Ann's", "q1_text", "Q?", "package_id", "1", "expired_date", "2030-01-01",
		"package_name", "P", "status", "0", "first_name", "Ann")
	send := func(method, path string) xerochattest.Response {
		if method == http.MethodGet {
			return c.Get(path)
		}
		return c.PostForm(path, form)
	}
	before := ws.Snapshot()
	routes := registeredRoutes(t)
	if len(routes) < 40 {
		t.Fatalf("found only %d routes in web.go", len(routes))
	}
	checked := 0
	for _, route := range routes {
		method, pattern, _ := strings.Cut(route, " ")
		pattern = strings.TrimSuffix(pattern, "{$}")
		var paths [][2]string
		switch {
		case strings.Contains(pattern, "{"):
			paths = append(paths, [2]string{fill(pattern, 0), fill(pattern, 1)})
		case queryVariants[route] != nil:
			for _, q := range queryVariants[route] {
				paths = append(paths, [2]string{strings.Replace(q, "%s", "200", 1), strings.Replace(q, "%s", "999", 1)})
			}
		case strings.HasPrefix(pattern, "/app/admin"):
			paths = append(paths, [2]string{pattern, pattern})
		case ownOnly[route]:
			continue
		default:
			t.Errorf("route %s has no row in the tenancy matrix", route)
			continue
		}
		for _, p := range paths {
			checked++
			theirs, missing := send(method, p[0]), send(method, p[1])
			if theirs.Status != http.StatusNotFound || missing.Status != http.StatusNotFound {
				t.Errorf("%s %s: %d (another member's) and %s: %d (missing), want 404 both", method, p[0], theirs.Status, p[1], missing.Status)
			} else if string(theirs.Body) != string(missing.Body) {
				t.Errorf("%s %s: another member's record answers unlike a missing one", method, p[0])
			}
		}
	}
	t.Logf("%d routes, %d requests naming another member's records", len(routes), checked)
	if after := ws.Snapshot(); after != before {
		t.Errorf("requests naming another member's records changed data")
	}
}
