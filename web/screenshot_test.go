package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xerochat/xerochat/xerochattest"
)

// TestScreenshots writes pictures of the main pages to docs/screenshots,
// for the README. It runs only when XEROCHAT_SCREENSHOTS=1, so that normal
// runs do not rewrite files.
func TestScreenshots(t *testing.T) {
	if os.Getenv("XEROCHAT_SCREENSHOTS") != "1" {
		t.Skip("set XEROCHAT_SCREENSHOTS=1 to write docs/screenshots")
	}
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	surveyFlow(ws, m, "Colours")
	answer(t, ws, m, "9100000000000011", "Ada", "blue")
	answer(t, ws, m, "9100000000000012", "Bea", "red")
	if _, err := ws.App.CreateLabel(t.Context(), m.ID, "100", "VIP"); err != nil {
		t.Fatal(err)
	}
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	g := newGroup(t, c, "Customers")
	waitImport(t, c, location(t, upload(t, ws, c, g, "people.csv", importFile)))

	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &person{t: t, ctx: newBrowser(t)}
	shot := func(name string) {
		t.Helper()
		png := get(p, "screenshot "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.open(ws.URL + "/login")
	shot("login")
	p.signIn(m.Email, xerochattest.MemberPassword)
	p.sees(heading("Overview"))
	shot("overview")
	p.click(`//summary[@aria-label='Profile menu']`)
	shot("profile-menu")
	p.open(ws.URL + "/app/api-key")
	p.click(button("Generate a new key"))
	p.sees(byLabel("Your new API key"))
	shot("api-key")
	for _, page := range []struct{ name, path string }{
		{"pages", "/app/pages"}, {"subscribers", "/app/subscribers"}, {"subscriber", "/app/subscribers/100/9100000000000011"},
		{"labels", "/app/labels"}, {"contacts", "/app/contacts/groups/" + itoa(g)}, {"import", "/app/imports/1"},
		{"campaigns", "/app/flows"}, {"answers", "/app/flows/1"}, {"builder", "/app/flows/1/edit"},
	} {
		p.open(ws.URL + page.path)
		shot(page.name)
	}
	p.run("phone width", chromedp.EmulateViewport(390, 844))
	p.open(ws.URL + "/app")
	shot("overview-phone")
	p.run("desktop width", chromedp.EmulateViewport(1280, 900))
	p.menu("Sign out")
	p.sees(heading("Sign in"))
	p.signIn(xerochattest.AdminEmail, xerochattest.AdminPassword)
	p.sees(heading("Overview"))
	p.open(ws.URL + "/app/admin/users")
	shot("admin-users")
	p.open(ws.URL + "/app/admin/packages")
	shot("admin-packages")
	if !strings.HasPrefix(p.url(), ws.URL) {
		t.Fatal("left the server")
	}
}
