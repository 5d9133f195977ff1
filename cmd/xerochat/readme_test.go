package main

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

var (
	readmeCurlURL  = regexp.MustCompile(`curl (?:-X POST )?"\$B/([^"]+)"`)
	readmeCurlData = regexp.MustCompile(`-d ([a-z_]+)=(\S+)`)
)

// TestREADMEExamplesRunOnTheDemo pastes the README's API examples, top to
// bottom, into a fresh `serve --demo`: the admin block with the admin's key,
// the member block with the demo member's. Each must succeed, so the README
// cannot name ids the demo lacks or a call that breaks the ones after it.
func TestREADMEExamplesRunOnTheDemo(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(raw)
	section = section[strings.Index(section, "## The API"):]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	admin, member, ok := strings.Cut(section, "Member endpoints")
	if !ok {
		t.Fatal("the README's API section has no member block")
	}
	p := startServe(t, "--demo", "--db", filepath.Join(t.TempDir(), "demo.db"))
	memberKey := regexp.MustCompile(`(?s)Demo member .*?API key:\s+(\S+)`).FindStringSubmatch(p.stdout.String())
	if memberKey == nil {
		t.Fatalf("no demo member key:\n%s", p.stdout)
	}
	run := func(block, key string) int {
		n := 0
		for _, line := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
			m := readmeCurlURL.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n++
			target, err := url.Parse("http://x/" + strings.ReplaceAll(m[1], "$K", key))
			if err != nil {
				t.Fatalf("README line %q: %v", line, err)
			}
			path, params := strings.TrimPrefix(target.Path, "/"), target.Query()
			call := xerochattest.Get
			if strings.Contains(line, "-X POST") {
				call = xerochattest.Post
				for _, d := range readmeCurlData.FindAllStringSubmatch(line, -1) {
					params.Set(d[1], strings.ReplaceAll(d[2], "$K", key))
				}
			}
			if msg := message(t, call(t, p.URL, path, params)); msg != "" {
				t.Errorf("README example %s: %q", strings.TrimSpace(line), msg)
			}
		}
		return n
	}
	if n := run(admin, p.AdminKey) + run(member, memberKey[1]); n != 20 {
		t.Errorf("the README shows %d API examples, want all 20 endpoints", n)
	}
}
