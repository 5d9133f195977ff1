package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// A member builds a flow campaign in the browser; a person on Messenger
// answers it; the member reads the answers on the page and in the CSV.
func TestBrowserFlowBuilderAndAnswers(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	p := &person{t: t, ctx: newBrowser(t)}
	p.open(ws.URL + "/login")
	p.signIn(m.Email, xerochattest.MemberPassword)
	p.click(link("Campaigns"))
	p.click(link("New campaign"))
	p.fill("Campaign name", "Coffee survey")
	p.fill("Keywords that start it (one per line)", "coffee")
	p.fill("Completion message", "Thanks!")
	p.fill("Text of question 1", "Your e-mail?")
	p.run("pick the type", chromedp.SetValue(byLabel("Type of question 1"), "email"))
	p.fill("Re-prompt of question 1 (sent when an answer does not fit the type)", "That is not an e-mail address.")
	p.fill("Text of question 2", "Size?")
	p.run("pick the type", chromedp.SetValue(byLabel("Type of question 2"), "choice"))
	p.fill("Choices of question 2 (one per line; for type choice: at most 13, each at most 20 characters)", "Small\nLarge")
	p.click(button("Save the campaign"))
	p.sees(withText("Campaign Coffee survey saved."))
	p.sees(withText("No answers yet."))

	ada := ws.Person(m, "9100000000000001", fakegraph.Profile{FirstName: "Ada", LastName: "L"})
	for _, say := range []string{"coffee", "not-an-address", "ada@example.com", "large"} {
		if _, err := ada.Say(say); err != nil {
			t.Fatal(err)
		}
		ws.Settle()
	}
	p.open(p.url())
	p.sees(withText("ada@example.com"))
	p.sees(withText("Large"))
	csv := get(p, "fetch the CSV", chromedp.Evaluate[string](
		`fetch(document.evaluate("//a[.='Download all answers as CSV']", document).iterateNext().href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	rows := readCSV(t, []byte(csv))
	if fmt.Sprint(rows) != "[[subscriber_id Your e-mail? Size?] [9100000000000001 ada@example.com Large]]" {
		t.Errorf("answers CSV: %q", rows)
	}
}
