package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestServeLogsOneLinePerRequest checks the request log: one structured
// line per request with method, path and status, and never the query
// string, which carries API keys.
func TestServeLogsOneLinePerRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.get("get_all_packages", vals("api_key", ts.AdminKey))
	ts.get("no_such_endpoint", vals("api_key", ts.AdminKey))
	ts.Stop() // the log is complete, and no longer written to
	logs := ts.Logs.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=http method=GET path=/api/get_all_packages status=200 bytes=\d+ ms=[0-9.]+ remote=127\.0\.0\.1:\d+$`),
		regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=http method=GET path=/api/no_such_endpoint status=404 `),
	} {
		if got := len(want.FindAllString(logs, -1)); got != 1 {
			t.Errorf("%d log lines match %s, want 1; logs:\n%s", got, want, logs)
		}
	}
	if strings.Contains(logs, ts.AdminKey) {
		t.Fatalf("the log holds an API key:\n%s", logs)
	}
}
