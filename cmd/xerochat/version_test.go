package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestCLIVersion runs the built binary's version command and checks it
// against what the build recorded in the binary (read back with
// debug/buildinfo, as `go version -m` does) and, when the build recorded a
// commit, against git's idea of this checkout.
func TestCLIVersion(t *testing.T) {
	t.Parallel()
	res := runCommand(t, "version")
	if res.code != 0 {
		t.Fatalf("xerochat version: %s", res)
	}
	for _, alias := range []string{"--version", "-version"} {
		if again := runCommand(t, alias); again.code != 0 || again.stdout != res.stdout {
			t.Errorf("xerochat %s: %s\nwant the output of xerochat version:\n%s", alias, again, res.stdout)
		}
	}
	info, err := buildinfo.ReadFile(xerochatBinary(t))
	if err != nil {
		t.Fatalf("read the binary's build info: %v", err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	want := []string{"xerochat " + info.Main.Version}
	if rev := settings["vcs.revision"]; rev != "" {
		want = append(want, "commit: "+rev, "commit time: "+settings["vcs.time"], "modified: "+settings["vcs.modified"])
	}
	want = append(want, "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	if got := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("xerochat version printed\n%s\nwant\n%s", res.stdout, strings.Join(want, "\n"))
	}
	if info.Main.Version == "" || info.GoVersion != runtime.Version() {
		t.Errorf("the binary records module version %q and %s, want a version and %s", info.Main.Version, info.GoVersion, runtime.Version())
	}

	rev := settings["vcs.revision"]
	if rev == "" {
		// GOFLAGS=-buildvcs=false, a git worktree or a tree without .git.
		t.Logf("the build recorded no commit; only the version and Go lines were checked")
		return
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("the binary names commit %s, but git cannot name this checkout's: %v", rev, err)
	}
	if strings.TrimSpace(string(head)) != rev {
		t.Errorf("the binary names commit %s, git HEAD is %s", rev, head)
	}
}

// TestVersionLinkerOverride checks that a version set at link time, as the
// Dockerfile does where the build context has no .git, names the release.
// It changes a package variable, so it does not run in parallel.
func TestVersionLinkerOverride(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v9.8.7"
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &stdout, &stderr); err != nil {
		t.Fatalf("run version: %v\n%s", err, stderr.String())
	}
	if first, _, _ := strings.Cut(stdout.String(), "\n"); first != "xerochat v9.8.7" {
		t.Errorf("first line %q, want \"xerochat v9.8.7\"", first)
	}
	if err := run(context.Background(), []string{"version", "extra"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("version extra: got %v, want an error naming the stray argument", err)
	}
}
