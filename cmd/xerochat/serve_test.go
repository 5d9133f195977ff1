package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/demo"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestCLIServeProcess runs serve as a process, uses it, runs every other
// command on its database while it serves, and stops it with SIGTERM.
func TestCLIServeProcess(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	fake := fakegraph.New()
	t.Cleanup(fake.Close)
	p := startServe(t, "--db", db, "--graph-url", fake.URL(), "--admin-email", "root@example.com", "--log-format", "json")
	adminKey := p.AdminKey
	if adminKey == "" {
		t.Fatalf("the first start printed no admin key:\n%s", p.stdout)
	}
	if !strings.Contains(p.stdout.String(), "root@example.com") {
		t.Errorf("the first start does not name the admin's e-mail:\n%s", p.stdout)
	}

	res, err := http.Get(p.URL + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if v := success(t, "get_all_packages", xerochattest.Get(t, p.URL, "get_all_packages", xerochattest.Vals("api_key", adminKey))); v != nil {
		if pk, _ := v["packages"].([]any); len(pk) != 1 || pk[0].(map[string]any)["package_name"] != "Trial" {
			t.Errorf("get_all_packages: %v", v)
		}
	}
	created := success(t, "create_system_user", xerochattest.Post(t, p.URL, "create_system_user", xerochattest.Vals("api_key", adminKey, "name", "Mia", "email", "mia@example.com",
		"password", "secret-pass", "package_id", "1", "expired_date", time.Now().AddDate(1, 0, 0).Format("2006-01-02"))))
	if _, ok := created["id"].(float64); !ok {
		t.Fatalf("create_system_user: %v", created)
	}

	// Every command, on the same database, while the server runs.
	if v := mustRun(t, "migrate", "--db", db); !strings.Contains(v, "at migration") {
		t.Errorf("migrate while serving: %q", v)
	}
	opsKey := mustRun(t, "admin", "create", "--db", db, "--email", "ops@example.com", "--name", "Ops", "--password", "s3cret-pass")
	success(t, "get_user_info", xerochattest.Get(t, p.URL, "get_user_info", xerochattest.Vals("api_key", opsKey, "email", "mia@example.com")))
	newOps := mustRun(t, "user", "apikey", "--db", db, "--email", "ops@example.com")
	if msg := message(t, xerochattest.Get(t, p.URL, "get_all_packages", xerochattest.Vals("api_key", opsKey))); msg != xerochat.MsgKeyInvalid {
		t.Errorf("the rotated key on the serving process: got %q, want %q", msg, xerochat.MsgKeyInvalid)
	}
	success(t, "get_all_packages", xerochattest.Get(t, p.URL, "get_all_packages", xerochattest.Vals("api_key", newOps)))
	miaKey := mustRun(t, "user", "apikey", "--db", db, "--email", "mia@example.com")

	fake.AddPage("5000000000000001", "tok-5", "Cafe")
	mustRun(t, "page", "connect", "--db", db, "--email", "mia@example.com", "--page-id", "5000000000000001", "--page-name", "Cafe",
		"--access-token", "tok-5", "--graph-url", fake.URL())
	label, _ := success(t, "create_label", xerochattest.Post(t, p.URL, "create_label", xerochattest.Vals("api_key", miaKey, "page_id", "5000000000000001", "label_name", "VIP")))["label_id"].(string)
	if labels, _ := success(t, "get_all_labels", xerochattest.Get(t, p.URL, "get_all_labels", xerochattest.Vals("api_key", miaKey, "page_id", "5000000000000001")))["label_info"].([]any); len(labels) != 1 || labels[0].(map[string]any)["label_id"] != label {
		t.Errorf("get_all_labels after create_label: %v", labels)
	}
	flowID := mustRun(t, "flow", "create", "--db", db, "--email", "mia@example.com", "--page-id", "5000000000000001",
		"--file", flowFile(t, readmeFlow))
	if v := success(t, "get_flow_campaign_info", xerochattest.Get(t, p.URL, "get_flow_campaign_info", xerochattest.Vals("api_key", miaKey, "flow_campaign_id", flowID))); v["flow_name"] != "Survey" {
		t.Errorf("get_flow_campaign_info of the CLI's flow: %v", v)
	}
	copyTo := filepath.Join(t.TempDir(), "copy.db")
	res2 := runCommand(t, "db", "copy", "--from", db, "--to", copyTo)
	if res2.code != 0 || !strings.Contains(res2.stdout, "verified") {
		t.Errorf("db copy while serving: %s", res2)
	}
	if msg := message(t, xerochattest.Get(t, p.URL, "get_flow_campaigns", xerochattest.Vals("api_key", miaKey))); msg != "" {
		t.Errorf("get_flow_campaigns while serving: %s", msg)
	}

	p.stop(t)

	// A second start on the same database creates no admin and serves the
	// data of the first.
	p2 := startServe(t, "--db", db, "--graph-url", fake.URL())
	if strings.Contains(p2.stdout.String(), "API key") {
		t.Errorf("the second start printed a key:\n%s", p2.stdout)
	}
	success(t, "get_flow_campaign_info", xerochattest.Get(t, p2.URL, "get_flow_campaign_info", xerochattest.Vals("api_key", miaKey, "flow_campaign_id", flowID)))
	p2.stop(t)
}

// curlURL and curlData match the printed curl lines: a URL, then -d 'name=value' pairs.
var (
	curlURL  = regexp.MustCompile(`curl (?:-X POST )?'(http://[^']+)'`)
	curlData = regexp.MustCompile(`-d '([^'=]+)=([^']*)'`)
)

// TestCLIServeDemo runs serve --demo, tries the curl lines it prints, and
// restarts it on the same database.
func TestCLIServeDemo(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	p := startServe(t, "--demo", "--db", db)
	out := p.stdout.String()
	demoKey := regexp.MustCompile(`(?s)Demo member .*?API key:\s+(\S+)`).FindStringSubmatch(out)
	if demoKey == nil || !regexp.MustCompile(`password: \S{20}\n  API key`).MatchString(out) {
		t.Fatalf("no demo member password and key printed:\n%s", out)
	}
	key := demoKey[1]
	signInAsPrinted(t, out, p.URL)

	tried := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		m := curlURL.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		u, err := url.Parse(m[1])
		if err != nil {
			t.Errorf("curl line with a bad URL: %s", line)
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/api/"), "/")
		if !strings.HasPrefix(m[1], p.URL+"/api/") {
			t.Errorf("curl line not for this server (%s): %s", p.URL, line)
		}
		call, params := xerochattest.Get, u.Query()
		if strings.Contains(line, "-X POST") {
			call, params = xerochattest.Post, url.Values{}
			for _, d := range curlData.FindAllStringSubmatch(line, -1) {
				params.Set(d[1], d[2])
			}
		}
		wantKey := key
		switch name {
		case "get_user_info", "get_all_packages", "create_system_user", "update_user":
			wantKey = p.AdminKey
		}
		if params.Get("api_key") != wantKey {
			t.Errorf("curl line without the right key: %s", line)
		}
		tried[name] = true
		r := call(t, p.URL, strings.TrimPrefix(u.Path, "/api/"), params)
		if name == "get_flow_campaigns" { // a bare list
			if msg := message(t, r); msg != "" || !strings.Contains(string(r.Body), "Coffee survey") {
				t.Errorf("get_flow_campaigns: %s", r.Body)
			}
			tried[name] = true
			continue
		}
		v := success(t, name, r)
		switch name {
		case "get_all_subscriber_flow_info":
			if data, _ := v["data"].(map[string]any); len(data) == 0 {
				t.Errorf("the demo flow has no answers: %v", v)
			}
		case "get_all_labels":
			if labels, _ := v["label_info"].([]any); len(labels) < 2 {
				t.Errorf("the demo page has labels %v, want VIP and Newsletter", v)
			}
		}
	}
	if len(tried) != 20 {
		t.Errorf("tried %d of the 20 endpoints' curl lines (%v):\n%s", len(tried), tried, out)
	}
	labels, _ := success(t, "get_all_labels", xerochattest.Get(t, p.URL, "get_all_labels", xerochattest.Vals("api_key", key, "page_id", demo.PageID)))["label_info"].([]any)
	p.stop(t)

	// Restarted on the same file the demo's Facebook knows the page, its
	// people and the labels made before.
	p2 := startServe(t, "--demo", "--db", db)
	if !strings.Contains(p2.stdout.String(), "The demo data exists already") {
		t.Errorf("a second serve --demo does not say the demo exists:\n%s", p2.stdout)
	}
	if id, _ := success(t, "create_label", xerochattest.Post(t, p2.URL, "create_label", xerochattest.Vals("api_key", key, "page_id", demo.PageID, "label_name", "After restart")))["label_id"].(string); id == "" {
		t.Error("create_label after a restart gave no label_id")
	}
	var ids []string
	for _, l := range labels {
		id, _ := l.(map[string]any)["label_id"].(string)
		ids = append(ids, id)
	}
	success(t, "assign_label", xerochattest.Post(t, p2.URL, "assign_label", xerochattest.Vals("api_key", key, "page_id", demo.PageID, "subscriber_id", demo.People[2].PSID,
		"label_ids", strings.Join(ids, ","))))
	if got := subscriberLabels(t, p2.URL, key, demo.People[2].PSID); got != strings.Join(ids, ",") {
		t.Errorf("labels after assign_label: %v, want %s", got, strings.Join(ids, ","))
	}
	p2.stop(t)
}

// signInAsPrinted signs in to the dashboard serve --demo printed, with the
// admin's and the demo member's printed passwords, and lands in each one's
// own dashboard.
func signInAsPrinted(t *testing.T, out, base string) {
	t.Helper()
	dashboard := regexp.MustCompile(`(?m)^Dashboard: (\S+)$`).FindStringSubmatch(out)
	admin := regexp.MustCompile(`(?s)e-mail:\s+(\S+)\s+password:\s+(\S+)`).FindStringSubmatch(out)
	member := regexp.MustCompile(`(?m)^  demo member: (\S+)  password: (\S+)$`).FindStringSubmatch(out)
	if dashboard == nil || admin == nil || member == nil || dashboard[1] != base+"/login" {
		t.Fatalf("serve --demo does not print the dashboard %s/login and both sign-ins:\n%s", base, out)
	}
	for _, who := range []struct{ email, password string }{{admin[1], admin[2]}, {member[1], member[2]}} {
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		res, err := client.PostForm(dashboard[1], url.Values{"email": {who.email}, "password": {who.password}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/app" || !strings.Contains(string(body), who.email) {
			t.Errorf("signing in as %s: %d at %s, want the dashboard of %[1]s:\n%.3000[4]s", who.email, res.StatusCode, res.Request.URL, body)
		}
	}
}
