package web_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// tenThousandRows is a file of 10,000 contacts of which 50 are refused:
// 40 have an invalid e-mail (rows 100, 350, 600, ...), and the last ten
// repeat the e-mails of the first ten.
func tenThousandRows(t *testing.T) (path string) {
	var b bytes.Buffer
	b.WriteString("first_name,last_name,email\n")
	for i := range 10_000 {
		email := fmt.Sprintf("p%05d@example.com", i)
		switch {
		case i >= 9990:
			email = fmt.Sprintf("p%05d@example.com", i-9990)
		case i%250 == 100:
			email = fmt.Sprintf("broken-%d", i)
		}
		fmt.Fprintf(&b, "Person,%d,%s\n", i, email)
	}
	path = filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A member imports 10,000 contacts in the browser, watches the progress,
// reads the rejected rows, and finds an imported contact through /api.
func TestBrowserCSVImport(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	p := &person{t: t, ctx: newBrowser(t)}
	p.open(ws.URL + "/login")
	p.signIn(m.Email, xerochattest.MemberPassword)
	p.click(link("Contacts"))
	p.fill("Group name", "Newsletter")
	p.click(button("Create the group"))
	p.sees(heading("Newsletter"))

	// The runner is held back, so the page shows the job waiting and then
	// follows it live once it runs.
	ws.StopImports()
	p.run("choose the file", chromedp.SetUploadFiles(byLabel("CSV file"), []string{tenThousandRows(t)}))
	p.click(button("Import the file"))
	p.sees(heading("Import of contacts.csv"))
	p.sees(withText("Waiting to start: 10000 rows."))
	p.sees(byLabel("Rows done"))
	ws.StartImports()
	p.sees(withText("Finished: 10000 of 10000 rows read, 9950 contacts added, 50 rows rejected."))

	p.sees(link("Download the rejected rows with their reasons (CSV)"))
	rejected := get(p, "fetch the rejected rows", chromedp.Evaluate[string](
		`fetch(document.evaluate("//a[contains(., 'rejected rows')]", document).iterateNext().href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	rows := readCSV(t, []byte(rejected))
	if len(rows) != 51 {
		t.Fatalf("%d rejected rows, want 50 and a header", len(rows)-1)
	}
	if got := rows[1]; got[2] != "broken-100" || got[3] != "102" || got[4] != xerochat.MsgContactEmailBad {
		t.Errorf("first rejected row %q", got)
	}
	if got := rows[50]; got[2] != "p00009@example.com" || got[4] != xerochat.MsgContactEmailTaken {
		t.Errorf("last rejected row %q", got)
	}

	// Find an imported contact on the group's page, then read it through /api.
	p.click(link("Back to the group"))
	p.fill("Search by name, e-mail or phone", "p04242@")
	p.click(button("Search"))
	p.sees(withText("p04242@example.com"))
	id := regexp.MustCompile(`Edit contact (\d+)`).FindStringSubmatch(p.html())
	if id == nil {
		t.Fatal("no contact in the search result")
	}
	got := ws.Get("get_contact", xerochattest.Vals("api_key", m.Key, "contact_id", id[1])).JSON(t)
	if got["email"] != "p04242@example.com" || got["first_name"] != "Person" || got["last_name"] != "4242" {
		t.Errorf("get_contact %s: %v", id[1], got)
	}
}
