package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// The tests of this package build the xerochat binary once and run it as a
// process, the way an operator does: a command to completion, or `serve`
// for as long as the test needs it.

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

// command is the binary with args in a temporary working directory (so
// that a default xerochat.db lands nowhere shared), in the test's
// environment without the XEROCHAT_* settings that would change what the
// flags say, plus env.
func command(ctx context.Context, t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, xerochatBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XEROCHAT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Dir = t.TempDir()
	return cmd
}

// outcome is how a command ended.
type outcome struct {
	code           int
	stdout, stderr string
}

func (o outcome) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
}

// runCommand runs the binary to completion, within a minute.
func runCommand(t *testing.T, args ...string) outcome {
	t.Helper()
	return runWithEnv(t, nil, args...)
}

// runWithEnv is runCommand with environment variables added.
func runWithEnv(t *testing.T, env []string, args ...string) outcome {
	t.Helper()
	return runWithInput(t, env, "", args...)
}

// runWithInput runs a command with extra environment and the text as its
// standard input.
func runWithInput(t *testing.T, env []string, input string, args ...string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := command(ctx, t, env, args...)
	cmd.Stdin = strings.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := outcome{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		t.Fatalf("xerochat %s: %v\n%s", strings.Join(args, " "), err, res)
	}
	return res
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// mustRun runs a command that must succeed and returns its last stdout line.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	res := runCommand(t, args...)
	if res.code != 0 {
		t.Fatalf("xerochat %s: want exit 0, got %s", strings.Join(args, " "), res)
	}
	return lastLine(res.stdout)
}

// mustFail runs a command that must fail, and checks that it says why in
// one line on stderr, "xerochat: <reason>", containing want.
func mustFail(t *testing.T, want string, args ...string) outcome {
	t.Helper()
	res := runCommand(t, args...)
	line := lastLine(res.stderr)
	reason, ok := strings.CutPrefix(line, "xerochat: ")
	if res.code == 0 || !ok || strings.TrimSpace(reason) == "" || !strings.Contains(line, want) {
		t.Errorf("xerochat %.200s: want a non-zero exit and a last stderr line \"xerochat: ...%s...\", got %.2000s",
			strings.Join(args, " "), want, res)
	}
	return res
}

// process is a running `xerochat serve`.
type process struct {
	cmd    *exec.Cmd
	stdout *xerochattest.Logs
	stderr *xerochattest.Logs
	done   chan struct{}
	err    error // of Wait, once done is closed
	// URL is the base URL the process announced.
	URL string
	// AdminKey is the admin's API key if this process created the admin.
	AdminKey string
}

var servingLine = regexp.MustCompile(`serving the API at (https?://\S+)/api/`)

// launchServe starts `xerochat serve --addr 127.0.0.1:0` with args and does
// not wait for it: several processes can then start at once. At the end of
// the test a process still running is stopped with SIGTERM and must exit
// cleanly; a failed test shows what the process printed.
func launchServe(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := command(context.Background(), t, nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p := &process{cmd: cmd, stdout: &xerochattest.Logs{}, stderr: &xerochattest.Logs{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if !p.exited() {
			p.stop(t)
		}
		if t.Failed() {
			t.Logf("xerochat %s (%v)\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args[1:], " "), p.err, p.stdout, p.stderr)
		}
	})
	return p
}

// startServe starts `xerochat serve` with args and waits until it
// announces its URL.
func startServe(t *testing.T, args ...string) *process {
	t.Helper()
	p := launchServe(t, args...)
	p.ready(t)
	return p
}

// ready waits until the process announces its URL, and notes the admin key
// it printed before, if any.
func (p *process) ready(t *testing.T) {
	t.Helper()
	p.URL = p.waitFor(t, servingLine)[1]
	if m := xerochattest.AdminKeyLine.FindStringSubmatch(p.stdout.String()); m != nil {
		p.AdminKey = m[1]
	}
}

// exited tells whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitFor waits until re matches the standard output and returns the
// match; it fails the test if the process ends first.
func (p *process) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	xerochattest.Eventually(t, "xerochat to print "+re.String(), func() bool {
		ended := p.exited()
		if m = re.FindStringSubmatch(p.stdout.String()); m == nil && ended {
			t.Fatalf("xerochat ended (%v) before printing %s", p.err, re)
		}
		return m != nil
	})
	return m
}

// stop sends SIGTERM and checks that the process exits 0 within seconds:
// a graceful shutdown.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("after SIGTERM xerochat exited with %v, want 0", p.err)
		}
	case <-timeout.C:
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("xerochat did not exit within 15 seconds of SIGTERM")
	}
}

// kill ends the process with SIGKILL: no shutdown at all.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done // "signal: killed"
}

// message is the error message of an answer, "" on a success: an object
// without an error status, or a bare array (get_flow_campaigns). Every
// answer of the contract, errors too, is JSON with HTTP 200.
func message(t *testing.T, r xerochattest.Response) string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("HTTP %d: %s", r.Status, r.Body)
	}
	if bytes.HasPrefix(bytes.TrimSpace(r.Body), []byte("[")) {
		if !json.Valid(r.Body) {
			t.Errorf("answer is not JSON: %s", r.Body)
		}
		return ""
	}
	return r.Message(t)
}

// success fails the test unless r answers what with success, and returns
// the answer's object.
func success(t *testing.T, what string, r xerochattest.Response) map[string]any {
	t.Helper()
	if msg := message(t, r); msg != "" {
		t.Errorf("%s: want success, got HTTP %d %s", what, r.Status, r.Body)
	}
	return r.JSON(t)
}

// subscriberLabels is the labels field of the subscriber_info that
// subscriber_information answers at the server at base.
func subscriberLabels(t *testing.T, base, key, psid string) any {
	t.Helper()
	r := xerochattest.Get(t, base, "subscriber_information", xerochattest.Vals("api_key", key, "subscriber_id", psid))
	info, _ := success(t, "subscriber_information", r)["subscriber_info"].(map[string]any)
	return info["labels"]
}

// serverWithDB starts a kit server on a fresh database and returns the
// database's URL too, for the commands the test runs on it while the
// server serves.
func serverWithDB(t *testing.T) (*xerochattest.Server, string) {
	t.Helper()
	db := sqlstoretest.URL(t)
	return xerochattest.NewServer(t, xerochattest.DatabaseURL(db)), db
}

// unchanged runs what and fails the test if it changed the server's data.
func unchanged(t *testing.T, ts *xerochattest.Server, what string, do func()) {
	t.Helper()
	before := ts.Snapshot()
	do()
	if after := ts.Snapshot(); after != before {
		t.Errorf("%s changed the database:\n%s\n%s", what, before, after)
	}
}
