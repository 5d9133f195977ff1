package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestServeLogsOneLinePerRequest checks the request log that serve writes
// to stderr: one structured line per request with method, path and status,
// and never the query string, which carries API keys.
func TestServeLogsOneLinePerRequest(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--db", sqlstoretest.URL(t), "--graph-url", "http://127.0.0.1:1")
	if p.AdminKey == "" {
		t.Fatal("the first start printed no admin key")
	}
	xerochattest.Get(t, p.URL, "get_all_packages", xerochattest.Vals("api_key", p.AdminKey))
	xerochattest.Get(t, p.URL, "no_such_endpoint", xerochattest.Vals("api_key", p.AdminKey))
	p.stop(t) // the log is complete, and no longer written to
	logs := p.stderr.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=http method=GET path=/api/get_all_packages status=200 bytes=\d+ ms=[0-9.]+ remote=127\.0\.0\.1:\d+ request_id=[0-9a-f]{16}$`),
		regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=http method=GET path=/api/no_such_endpoint status=404 `),
	} {
		if got := len(want.FindAllString(logs, -1)); got != 1 {
			t.Errorf("%d log lines match %s, want 1; logs:\n%s", got, want, logs)
		}
	}
	if !strings.Contains(logs, "page access tokens are stored in clear") {
		t.Errorf("a server without XEROCHAT_SECRET_KEY does not warn that tokens are stored in clear:\n%s", logs)
	}
	if strings.Contains(logs, p.AdminKey) {
		t.Fatalf("the log holds an API key:\n%s", logs)
	}
}
