package web_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// upload posts a CSV file to a group's import form.
func upload(t *testing.T, ws *xerochattest.WebServer, c *xerochattest.WebClient, group int64, name, content string) xerochattest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/app/contacts/groups/%d/import", ws.URL, group), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

type progress struct {
	Done, Total, Added, Rejected int
	State                        string
	Finished                     bool
}

// waitImport follows the import page's progress until the job finishes.
func waitImport(t *testing.T, c *xerochattest.WebClient, jobPath string) progress {
	t.Helper()
	var p progress
	xerochattest.Eventually(t, "the import to finish", func() bool {
		res := c.Get(jobPath + "/progress")
		if err := json.Unmarshal(res.Body, &p); err != nil {
			t.Fatalf("progress: %v: %s", err, res.Body)
		}
		return p.Finished
	})
	return p
}

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v: %s", err, body)
	}
	return rows
}

const importFile = "Email,PHONE,First_Name,last_name\r\n" +
	"ada@example.com,,Ada,Lovelace\r\n" +
	"bob@example.com,555-1,Bob,\r\n" +
	",555-2,Cy,Phone only\r\n" +
	"not-an-address,,Dee,\r\n" +
	",,Eve,Nothing\r\n" +
	"ADA@example.com,,Ada,Again in the file\r\n" +
	"old@example.com,,Old,Already a contact\r\n" +
	"fay@example.com,555-1,Fay,Phone taken in the file\r\n" +
	"gus@example.com,,\"Gus, Jr.\",Quoted\r\n"

func TestCSVImportAndExport(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	g := newGroup(t, c, "Imported")
	ws.Post("create_contact", xerochattest.Vals("api_key", m.Key, "contact_type_id", itoa(g), "email", "old@example.com"))

	jobPath := location(t, upload(t, ws, c, g, "people.csv", importFile))
	if !strings.HasPrefix(jobPath, "/app/imports/") {
		t.Fatalf("upload sends to %q", jobPath)
	}
	p := waitImport(t, c, jobPath)
	if p.State != xerochat.CSVDone || p.Total != 9 || p.Done != 9 || p.Added != 4 || p.Rejected != 5 {
		t.Fatalf("summary %+v, want 9 rows, 4 added, 5 rejected", p)
	}
	page := string(c.Get(jobPath).Body)
	if !strings.Contains(page, "4 contacts added, 5 rows rejected") || !strings.Contains(page, jobPath+"/rejected.csv") {
		t.Errorf("the finished import's page: %s", page)
	}
	rejected := readCSV(t, c.Get(jobPath+"/rejected.csv").Body)
	want := [][]string{
		{"Email", "PHONE", "First_Name", "last_name", "line", "reason"},
		{"not-an-address", "", "Dee", "", "5", xerochat.MsgContactEmailBad},
		{"", "", "Eve", "Nothing", "6", xerochat.MsgContactEmailOrPhone},
		{"ADA@example.com", "", "Ada", "Again in the file", "7", xerochat.MsgContactEmailTaken},
		{"old@example.com", "", "Old", "Already a contact", "8", xerochat.MsgContactEmailTaken},
		{"fay@example.com", "555-1", "Fay", "Phone taken in the file", "9", xerochat.MsgContactPhoneTaken},
	}
	if fmt.Sprint(rejected) != fmt.Sprint(want) {
		t.Errorf("rejected rows:\n%q\nwant\n%q", rejected, want)
	}

	// Importing the same file again adds nothing.
	p = waitImport(t, c, location(t, upload(t, ws, c, g, "people.csv", importFile)))
	if p.Added != 0 || p.Rejected != 9 {
		t.Errorf("a second import of the same file: %+v", p)
	}

	export := readCSV(t, c.Get(fmt.Sprintf("/app/contacts/groups/%d/export.csv", g)).Body)
	if len(export) != 6 || export[0][1] != "email" || export[2][1] != "ada@example.com" || export[5][3] != "Gus, Jr." {
		t.Errorf("export: %q", export)
	}
}

func TestCSVUploadRefusals(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	other := ws.NewMember("bob@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	g := newGroup(t, c, "G")
	for _, tc := range []struct{ name, content, want string }{
		{"no e-mail or phone column", "name,city\nAda,London\n", xerochat.MsgCSVNoColumns},
		{"header only", "email\n", xerochat.MsgCSVEmpty},
		{"broken quoting", "email,first_name\n\"ada@example.com,Ada\nb@example.com,B\n", "is not valid CSV"},
		{"too many rows", "email\n" + strings.Repeat("x@example.com\n", xerochat.MaxCSVRows+1), xerochat.MsgCSVTooMany},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := upload(t, ws, c, g, "f.csv", tc.content)
			if got := fieldErrors(res.Body)["file"]; res.Status != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) {
				t.Errorf("%d, the file field shows %q, want %q", res.Status, got, tc.want)
			}
		})
	}
	theirs := ws.Post("create_contact_group", xerochattest.Vals("api_key", other.Key, "name", "Theirs")).JSON(t)["contact_type_id"].(float64)
	if res := upload(t, ws, c, int64(theirs), "f.csv", "email\na@example.com\n"); res.Status != http.StatusNotFound {
		t.Errorf("an import into another member's group: %d", res.Status)
	}
	// Another member's import job and its rejected rows are not found either.
	bc := ws.Client()
	bc.Login(other.Email, xerochattest.MemberPassword)
	job := location(t, upload(t, ws, bc, int64(theirs), "f.csv", "email\nnot-an-address\n"))
	waitImport(t, bc, job)
	for _, path := range []string{job, job + "/progress", job + "/rejected.csv"} {
		if res := c.Get(path); res.Status != http.StatusNotFound {
			t.Errorf("GET %s of another member: %d", path, res.Status)
		}
	}
}

// An import stored while no process runs imports survives the restart and
// is finished by the next process.
func TestCSVImportSurvivesARestart(t *testing.T) {
	dbURL := sqlstoretest.URL(t)
	first := xerochattest.NewWebServer(t, xerochattest.DatabaseURL(dbURL))
	m := first.NewMember("ann@example.com", "")
	c := first.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	g := newGroup(t, c, "G")
	first.StopImports()
	job := location(t, upload(t, first, c, g, "people.csv", importFile))
	var p progress
	json.Unmarshal(c.Get(job+"/progress").Body, &p)
	if p.State != xerochat.CSVPending {
		t.Fatalf("with no runner the job is %q", p.State)
	}
	first.Stop()

	second := xerochattest.NewWebServer(t, xerochattest.DatabaseURL(dbURL))
	c2 := second.Client()
	c2.Login(m.Email, xerochattest.MemberPassword)
	if p := waitImport(t, c2, job); p.Added != 5 || p.Rejected != 4 {
		t.Errorf("after the restart: %+v", p)
	}
}
