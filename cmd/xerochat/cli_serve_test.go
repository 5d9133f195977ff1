package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xerochat/xerochat/demo"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// cliProc is a long-running xerochat process.
type cliProc struct {
	cmd    *exec.Cmd
	stdout *cliOutput
	stderr *cliOutput
	done   chan struct{}
	err    error // of Wait, once done is closed
}

// cliOutput collects a process's output and tells waiters when it grows.
type cliOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (o *cliOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(p)
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *cliOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// cliStart starts the binary; the process is killed at the end of the test
// if still running.
func cliStart(t *testing.T, args ...string) *cliProc {
	t.Helper()
	cmd := exec.Command(xerochatBinary(t), args...)
	cmd.Env = cliEnv()
	cmd.Dir = t.TempDir()
	p := &cliProc{cmd: cmd, stdout: &cliOutput{changed: make(chan struct{}, 1)},
		stderr: &cliOutput{changed: make(chan struct{}, 1)}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitFor waits, at most a minute, until re matches the standard output,
// and returns the match; it fails the test if the process ends first.
func (p *cliProc) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for {
		if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
			return m
		}
		select {
		case <-p.stdout.changed:
		case <-p.done:
			if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
				return m
			}
			t.Fatalf("xerochat ended (%v) before printing %s\nstdout:\n%s\nstderr:\n%s", p.err, re, p.stdout, p.stderr)
		case <-timeout.C:
			t.Fatalf("xerochat did not print %s within a minute\nstdout:\n%s\nstderr:\n%s", re, p.stdout, p.stderr)
		}
	}
}

// stop sends SIGTERM and checks that the process exits 0 within seconds.
func (p *cliProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("after SIGTERM xerochat exited with %v, want 0\nstderr:\n%s", p.err, p.stderr)
		}
	case <-timeout.C:
		t.Errorf("xerochat did not exit within 15 seconds of SIGTERM\nstderr:\n%s", p.stderr)
	}
}

var cliServing = regexp.MustCompile(`serving the API at (http://\S+)/api/`)

// cliClient calls a server that runs as a process.
type cliClient struct {
	t    *testing.T
	base string
}

func (c cliClient) call(method, path string, params url.Values) (int, any, string) {
	c.t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, c.base+"/api/"+path+"?"+params.Encode(), nil)
	} else {
		req, _ = http.NewRequest(method, c.base+"/api/"+path, strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r := biDo(c.t, req)
	var v any
	json.Unmarshal(r.Body, &v)
	return r.Status, v, string(r.Body)
}

// ok calls an endpoint that must succeed and returns the answer if it is
// an object.
func (c cliClient) ok(method, path string, params url.Values) map[string]any {
	c.t.Helper()
	status, v, body := c.call(method, path, params)
	if status != http.StatusOK || v == nil || biField(v, "status") == "error" {
		c.t.Errorf("%s %s: want success, got HTTP %d %s", method, path, status, body)
	}
	obj, _ := v.(map[string]any)
	return obj
}

// message calls an endpoint and returns its error message ("" on success).
func (c cliClient) message(method, path string, params url.Values) string {
	c.t.Helper()
	status, v, body := c.call(method, path, params)
	if status != http.StatusOK || v == nil {
		c.t.Errorf("%s %s: HTTP %d %s", method, path, status, body)
	}
	msg, _ := biField(v, "message").(string)
	if biField(v, "status") != "error" {
		return ""
	}
	return msg
}

// TestCLIServeProcess runs serve as a process, uses it, runs every other
// command on its database while it serves, and stops it with SIGTERM.
func TestCLIServeProcess(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	fake := fakegraph.New()
	t.Cleanup(fake.Close)
	p := cliStart(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--graph-url", fake.URL(),
		"--admin-email", "root@example.com", "--log-format", "json")
	c := cliClient{t: t, base: p.waitFor(t, cliServing)[1]}
	adminKey := p.waitFor(t, adminKeyLine)[1]
	if !strings.Contains(p.stdout.String(), "root@example.com") {
		t.Errorf("the first start does not name the admin's e-mail:\n%s", p.stdout)
	}

	res, err := http.Get(c.base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if v := c.ok(http.MethodGet, "get_all_packages", vals("api_key", adminKey)); v != nil {
		if pk, _ := v["packages"].([]any); len(pk) != 1 || biField(pk[0], "package_name") != "Trial" {
			t.Errorf("get_all_packages: %v", v)
		}
	}
	created := c.ok(http.MethodPost, "create_system_user", vals("api_key", adminKey, "name", "Mia", "email", "mia@example.com",
		"password", "secret-pass", "package_id", "1", "expired_date", time.Now().AddDate(1, 0, 0).Format("2006-01-02")))
	if _, ok := created["id"].(float64); !ok {
		t.Fatalf("create_system_user: %v", created)
	}

	// Every command, on the same database, while the server runs.
	if v := cliOK(t, "migrate", "--db", db); !strings.Contains(v, "at migration") {
		t.Errorf("migrate while serving: %q", v)
	}
	opsKey := cliOK(t, "admin", "create", "--db", db, "--email", "ops@example.com", "--name", "Ops", "--password", "s3cret-pass")
	c.ok(http.MethodGet, "get_user_info", vals("api_key", opsKey, "email", "mia@example.com"))
	newOps := cliOK(t, "user", "apikey", "--db", db, "--email", "ops@example.com")
	if msg := c.message(http.MethodGet, "get_all_packages", vals("api_key", opsKey)); msg != cliKeyInvalid {
		t.Errorf("the rotated key on the serving process: got %q, want %q", msg, cliKeyInvalid)
	}
	c.ok(http.MethodGet, "get_all_packages", vals("api_key", newOps))
	miaKey := cliOK(t, "user", "apikey", "--db", db, "--email", "mia@example.com")

	fake.AddPage("5000000000000001", "tok-5", "Cafe")
	cliOK(t, "page", "connect", "--db", db, "--email", "mia@example.com", "--page-id", "5000000000000001", "--page-name", "Cafe",
		"--access-token", "tok-5")
	label, _ := c.ok(http.MethodPost, "create_label", vals("api_key", miaKey, "page_id", "5000000000000001", "label_name", "VIP"))["label_id"].(string)
	if labels, _ := c.ok(http.MethodGet, "get_all_labels", vals("api_key", miaKey, "page_id", "5000000000000001"))["label_info"].([]any); len(labels) != 1 || biField(labels[0], "label_id") != label {
		t.Errorf("get_all_labels after create_label: %v", labels)
	}
	flowID := cliOK(t, "flow", "create", "--db", db, "--email", "mia@example.com", "--page-id", "5000000000000001",
		"--file", cliFlowFile(t, cliREADMEFlow))
	if v := c.ok(http.MethodGet, "get_flow_campaign_info", vals("api_key", miaKey, "flow_campaign_id", flowID)); v["flow_name"] != "Survey" {
		t.Errorf("get_flow_campaign_info of the CLI's flow: %v", v)
	}
	copyTo := filepath.Join(t.TempDir(), "copy.db")
	res2 := cliRun(t, "db", "copy", "--from", db, "--to", copyTo)
	if res2.code != 0 || !strings.Contains(res2.stdout, "verified") {
		t.Errorf("db copy while serving: %s", res2)
	}
	c.ok(http.MethodGet, "get_flow_campaigns", vals("api_key", miaKey))

	p.stop(t)

	// A second start on the same database creates no admin and serves the
	// data of the first.
	p2 := cliStart(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--graph-url", fake.URL())
	c2 := cliClient{t: t, base: p2.waitFor(t, cliServing)[1]}
	if strings.Contains(p2.stdout.String(), "API key") {
		t.Errorf("the second start printed a key:\n%s", p2.stdout)
	}
	c2.ok(http.MethodGet, "get_flow_campaign_info", vals("api_key", miaKey, "flow_campaign_id", flowID))
	p2.stop(t)
}

// cliCurl matches the printed curl lines: a URL, then -d 'name=value' pairs.
var (
	cliCurlURL  = regexp.MustCompile(`curl (?:-X POST )?'(http://[^']+)'`)
	cliCurlData = regexp.MustCompile(`-d '([^'=]+)=([^']*)'`)
)

// TestCLIServeDemo runs serve --demo, tries the curl lines it prints, and
// restarts it on the same database.
func TestCLIServeDemo(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	p := cliStart(t, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", db)
	c := cliClient{t: t, base: p.waitFor(t, cliServing)[1]}
	out := p.stdout.String()
	demoKey := regexp.MustCompile(`Demo member \S+, API key:\s+(\S+)`).FindStringSubmatch(out)
	if demoKey == nil {
		t.Fatalf("no demo member key printed:\n%s", out)
	}
	key := demoKey[1]

	tried := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		m := cliCurlURL.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		u, err := url.Parse(m[1])
		if err != nil {
			t.Errorf("curl line with a bad URL: %s", line)
			continue
		}
		name := strings.TrimPrefix(u.Path, "/api/")
		switch name {
		case "subscriber_information", "get_all_labels", "create_label", "assign_label", "get_contact",
			"get_flow_campaign_info", "get_all_subscriber_flow_info":
		default:
			continue
		}
		if !strings.HasPrefix(m[1], c.base+"/api/") {
			t.Errorf("curl line not for this server (%s): %s", c.base, line)
		}
		method, params := http.MethodGet, u.Query()
		if strings.Contains(line, "-X POST") {
			method, params = http.MethodPost, url.Values{}
			for _, d := range cliCurlData.FindAllStringSubmatch(line, -1) {
				params.Set(d[1], d[2])
			}
		}
		if params.Get("api_key") != key {
			t.Errorf("curl line without the demo key: %s", line)
		}
		tried[name] = true
		v := c.ok(method, name, params)
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
	if len(tried) != 7 {
		t.Errorf("tried %d of the 7 expected curl lines (%v):\n%s", len(tried), tried, out)
	}
	labels, _ := c.ok(http.MethodGet, "get_all_labels", vals("api_key", key, "page_id", demo.PageID))["label_info"].([]any)
	p.stop(t)

	// Restarted on the same file the demo's Facebook knows the page, its
	// people and the labels made before.
	p2 := cliStart(t, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", db)
	c2 := cliClient{t: t, base: p2.waitFor(t, cliServing)[1]}
	if id, _ := c2.ok(http.MethodPost, "create_label", vals("api_key", key, "page_id", demo.PageID, "label_name", "After restart"))["label_id"].(string); id == "" {
		t.Error("create_label after a restart gave no label_id")
	}
	var ids []string
	for _, l := range labels {
		ids = append(ids, biField(l, "label_id").(string))
	}
	c2.ok(http.MethodPost, "assign_label", vals("api_key", key, "page_id", demo.PageID, "subscriber_id", demo.People[2].PSID,
		"label_ids", strings.Join(ids, ",")))
	if v := c2.ok(http.MethodGet, "subscriber_information", vals("api_key", key, "subscriber_id", demo.People[2].PSID)); v != nil {
		if got := biField(v["subscriber_info"], "labels"); got != strings.Join(ids, ",") {
			t.Errorf("labels after assign_label: %v, want %s", got, strings.Join(ids, ","))
		}
	}
	p2.stop(t)
}
