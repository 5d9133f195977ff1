package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

var metricsLine = regexp.MustCompile(`xerochat: metrics"?,?\s*"?addr"?[=:]"?([0-9.:]+)`)

// An operator scrapes /metrics on its own address (never on the public
// one), follows a request by its id through the logs, and asks /readyz.
func TestServeObservability(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--db", sqlstoretest.URL(t), "--metrics-addr", "127.0.0.1:0", "--log-format", "json",
		"--trusted-proxies", "127.0.0.1")
	var metricsAddr string
	xerochattest.Eventually(t, "the metrics address in the log", func() bool {
		if m := metricsLine.FindStringSubmatch(p.stderr.String()); m != nil {
			metricsAddr = m[1]
		}
		return metricsAddr != ""
	})

	// A request id: made here, or taken from a trusted proxy.
	res := xerochattest.Get(t, p.URL, "get_all_packages", xerochattest.Vals("api_key", p.AdminKey))
	made := res.Header.Get("X-Request-ID")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(made) {
		t.Fatalf("X-Request-ID %q, want a made id", made)
	}
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/get_all_packages?api_key=nope", nil)
	req.Header.Set("X-Request-ID", "proxy-id-42")
	if got := xerochattest.Do(t, req).Header.Get("X-Request-ID"); got != "proxy-id-42" {
		t.Fatalf("a trusted proxy's X-Request-ID came back as %q", got)
	}
	xerochattest.Eventually(t, "the request ids in the request log", func() bool {
		logs := p.stderr.String()
		return strings.Contains(logs, `"request_id":"`+made+`"`) && strings.Contains(logs, `"request_id":"proxy-id-42"`)
	})

	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	if res, err := http.Get(p.URL + "/metrics"); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: %d, want 404", res.StatusCode)
	}
	res2, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	for _, want := range []string{
		`xerochat_http_request_duration_seconds_count{code="200",method="GET",route="api/get_all_packages"}`,
		`xerochat_http_request_duration_seconds_count{code="200",method="GET",route="readyz"}`,
		`xerochat_webhook_backlog_batches 0`,
		`xerochat_webhook_lag_seconds 0`,
		`xerochat_outbox_pending_messages 0`,
		`xerochat_csv_jobs_pending 0`,
		`xerochat_csv_jobs_running 0`,
		`go_sql_open_connections{db_name="read"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
