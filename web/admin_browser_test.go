package web_test

import (
	"strings"
	"testing"

	"github.com/xerochat/xerochat"

	"github.com/xerochat/xerochat/xerochattest"
)

// An admin creates a member and a package in the browser; the member then
// signs in.
func TestBrowserAdminCreatesAMember(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	p := &person{t: t, ctx: newBrowser(t)}
	p.open(ws.URL + "/")
	p.signIn(xerochattest.AdminEmail, xerochattest.AdminPassword)
	p.click(link("Administration"))
	p.click(link("Manage packages"))
	p.fill("Package name", "Gold")
	p.fill("Price", "9.99")
	p.fill("Validity in days", "30")
	p.click(button("Create the package"))
	p.sees(withText("Package Gold created."))
	p.sees(link("Gold"))

	p.click(link("Administration"))
	p.click(link("Manage users"))
	p.fill("Name", "Dora")
	p.fill("E-mail", "dora@example.com")
	p.fill("Password (leave empty to generate one)", "dora-pass-1")
	p.fill("Valid until", "2030-06-30")
	p.click(button("Create the member"))
	p.sees(withText("Member dora@example.com created."))
	p.sees(link("Dora"))
	p.menu("Sign out")
	p.sees(withText(xerochat.MsgSignedOut))
	p.signIn("dora@example.com", "dora-pass-1")
	p.sees(heading("Overview"))
	if html := p.html(); strings.Contains(html, "Administration") {
		t.Error("a member sees the Administration link")
	}
}
