package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// xerochatBinary builds the xerochat command once per test run. It goes
// beside the test binary, in the work directory go test removes afterwards.
func xerochatBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir := ""
		if exe, err := os.Executable(); err == nil {
			dir = filepath.Dir(exe)
		}
		if dir == "" || syscall.Access(dir, 2 /* W_OK */) != nil {
			if dir, binaryErr = os.MkdirTemp("", "xerochat-bin-"); binaryErr != nil {
				return
			}
		}
		binaryPath = filepath.Join(dir, "xerochat-"+strconv.Itoa(os.Getpid()))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// serveProcess is a `xerochat serve` child process.
type serveProcess struct {
	cmd      *exec.Cmd
	URL      string
	AdminKey string // set by the process that created the admin
	stderr   *strings.Builder
}

var (
	servingLine = regexp.MustCompile(`serving the API at (http://\S+)/api/`)
	keyLine     = regexp.MustCompile(`API key:\s+(\S+)`)
)

// startServeProcess runs `xerochat serve` on dbURL and waits until it
// announces its URL. The process is stopped with SIGTERM after the test.
func startServeProcess(t *testing.T, dbURL string, extra ...string) *serveProcess {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dbURL, "--graph-url", "http://127.0.0.1:1"}, extra...)
	cmd := exec.Command(xerochatBinary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, stderr: &strings.Builder{}}
	cmd.Stderr = &lockedWriter{w: p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if m := keyLine.FindStringSubmatch(line); m != nil && p.AdminKey == "" {
				p.AdminKey = m[1]
			}
			if m := servingLine.FindStringSubmatch(line); m != nil {
				p.URL = m[1]
				close(ready)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start; stderr:\n%s", p.stderr)
	}
	return p
}

// stop sends SIGTERM and expects a clean exit: graceful shutdown.
func (p *serveProcess) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("serve did not stop within 15s of SIGTERM")
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// callURL posts a form to a server and returns the HTTP status and body.
func callURL(t *testing.T, base, endpoint string, params url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(base+"/api/"+endpoint, params)
	if err != nil {
		t.Errorf("%s: %v", endpoint, err)
		return 0, ""
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestClusterTwoProcessesOneDatabase starts two serve processes at once on
// one database (PostgreSQL in the PostgreSQL run, one SQLite file
// otherwise) and drives them together.
func TestClusterTwoProcessesOneDatabase(t *testing.T) {
	dbURL := sqlstoretest.URL(t)
	var a, b *serveProcess
	var wg sync.WaitGroup
	wg.Add(2)
	// Both start on the empty database at once: migrations take a lock and
	// exactly one of them creates the admin.
	go func() { defer wg.Done(); a = startServeProcess(t, dbURL) }()
	go func() { defer wg.Done(); b = startServeProcess(t, dbURL) }()
	wg.Wait()
	if t.Failed() {
		return
	}
	admins := 0
	adminKey := a.AdminKey
	for _, p := range []*serveProcess{a, b} {
		if p.AdminKey != "" {
			admins++
			adminKey = p.AdminKey
		}
	}
	if admins != 1 {
		t.Fatalf("%d processes created an admin, want exactly 1", admins)
	}

	// A member, made through A.
	status, body := callURL(t, a.URL, "create_system_user", vals("api_key", adminKey, "name", "M", "email", "m@example.com",
		"password", "pw", "package_id", "1", "expired_date", "2099-12-31"))
	if status != 200 || !strings.Contains(body, `"status":"success"`) {
		t.Fatalf("create_system_user on A: %d %s", status, body)
	}
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dbURL, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, err := db.RotateAPIKey(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}

	// What one writes, the other reads.
	_, body = callURL(t, a.URL, "create_contact_group", vals("api_key", key, "name", "Shared"))
	if body != `{"status":"success","contact_type_id":1}`+"\n" {
		t.Fatalf("create_contact_group on A: %s", body)
	}
	_, body = callURL(t, b.URL, "get_contact_group", vals("api_key", key, "contact_type_id", "1"))
	if !strings.Contains(body, `"type":"Shared"`) {
		t.Fatalf("B does not see A's group: %s", body)
	}

	// 50 concurrent creates of one e-mail, spread over both servers.
	var mu sync.Mutex
	outcomes := map[string]int{}
	var cw sync.WaitGroup
	for i := range 50 {
		cw.Add(1)
		go func() {
			defer cw.Done()
			base := a.URL
			if i%2 == 1 {
				base = b.URL
			}
			status, body := callURL(t, base, "create_contact", vals("api_key", key, "contact_type_id", "1", "email", "same@example.com"))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status != 200:
				outcomes[fmt.Sprintf("HTTP %d: %s", status, body)]++
			case strings.Contains(body, `"new_contact_id"`):
				outcomes["created"]++
			default:
				outcomes[strings.TrimSpace(body)]++
			}
		}()
	}
	cw.Wait()
	taken := `{"status":"error","message":"Please try with different email address"}`
	if outcomes["created"] != 1 || outcomes[taken] != 49 || len(outcomes) != 2 {
		t.Fatalf("outcomes of 50 concurrent creates: %v", outcomes)
	}

	// Concurrent key rotations leave exactly one working key, on both.
	keys := make([]string, 10)
	var rw sync.WaitGroup
	for i := range keys {
		rw.Add(1)
		go func() {
			defer rw.Done()
			k, err := db.RotateAPIKey(ctx, 2)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	rw.Wait()
	for _, p := range []*serveProcess{a, b} {
		working := 0
		for _, k := range append(keys, key) {
			if _, body := callURL(t, p.URL, "get_flow_campaigns", vals("api_key", k)); body == "[]\n" {
				working++
			}
		}
		if working != 1 {
			t.Errorf("%s: %d keys work after concurrent rotations, want 1", p.URL, working)
		}
	}
	for _, p := range []*serveProcess{a, b} {
		if strings.Contains(p.stderr.String(), "status=500") {
			t.Errorf("a request failed with 500:\n%s", p.stderr)
		}
	}
}
