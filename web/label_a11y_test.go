package web_test

import (
	"regexp"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

var (
	controlRe = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	typeRe    = regexp.MustCompile(`\btype="([^"]*)"`)
	idRe      = regexp.MustCompile(`\bid="([^"]*)"`)
	forRe     = regexp.MustCompile(`<label for="([^"]*)"[^>]*>([^<]+)</label>`)
)

// TestEveryControlHasAVisibleLabel reads the main pages, a member's and an
// admin's, and checks that each form control has a <label for> with text.
func TestEveryControlHasAVisibleLabel(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	ws.AddSubscriber(m, "9100000000000011", "Ada", "L")
	surveyFlow(ws, m, "Colours")
	if _, err := ws.App.CreateLabel(t.Context(), m.ID, "100", "VIP"); err != nil {
		t.Fatal(err)
	}
	c := ws.Client()
	check := func(path string) {
		t.Helper()
		body := c.Get(path).Body
		labels := map[string]bool{}
		for _, l := range forRe.FindAllSubmatch(body, -1) {
			labels[string(l[1])] = true
		}
		for _, ctl := range controlRe.FindAll(body, -1) {
			if tm := typeRe.FindSubmatch(ctl); tm != nil && (string(tm[1]) == "hidden" || string(tm[1]) == "submit") {
				continue
			}
			id := idRe.FindSubmatch(ctl)
			if id == nil || !labels[string(id[1])] {
				t.Errorf("%s: a control without a visible label: %s", path, ctl)
			}
		}
	}
	check("/login")
	c.Login(m.Email, xerochattest.MemberPassword)
	g := newGroup(t, c, "G")
	for _, p := range []string{"/app", "/app/api-key", "/app/profile", "/app/pages", "/app/subscribers", "/app/subscribers/100/9100000000000011",
		"/app/labels", "/app/contacts", "/app/contacts/groups/" + itoa(g), "/app/flows", "/app/flows/new", "/app/flows/1/edit"} {
		check(p)
	}
	a := ws.Client()
	a.Login(xerochattest.AdminEmail, xerochattest.AdminPassword)
	c = a
	for _, p := range []string{"/app/admin/users", "/app/admin/users/" + itoa(m.ID), "/app/admin/packages", "/app/admin/packages/1"} {
		check(p)
	}
}
