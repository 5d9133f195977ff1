package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/metrics"
)

// Facebook calls are counted by method and by the kind of their failure.
func TestFacebookCalls(t *testing.T) {
	fake := fakegraph.New()
	t.Cleanup(fake.Close)
	fake.AddPage("111", "tok", "P")
	fake.AddUser("111", "222", fakegraph.Profile{FirstName: "A"})
	m := metrics.New()
	fb := m.Facebook(graph.New(fake.URL(), "v21.0"))
	ctx := context.Background()
	if _, err := fb.UserProfile(ctx, "tok", "222"); err != nil {
		t.Fatal(err)
	}
	fake.Fail("", "/me/messages", fakegraph.ErrRateLimit(), 1)
	if _, err := fb.SendMessage(ctx, "tok", "222", xerochat.Outgoing{Text: "hi"}); xerochat.FacebookErrorKind(err) != xerochat.FacebookRateLimited {
		t.Fatalf("send: %v", err)
	}
	if _, _, err := fb.Me(ctx, "expired"); err == nil {
		t.Fatal("Me with a bad token")
	}
	want := `
# HELP xerochat_facebook_calls_total Calls to Facebook's Graph API by method and outcome (ok, invalid_token, rate_limited, outside_window, refused, unreachable).
# TYPE xerochat_facebook_calls_total counter
xerochat_facebook_calls_total{method="me",outcome="invalid_token"} 1
xerochat_facebook_calls_total{method="send_message",outcome="rate_limited"} 1
xerochat_facebook_calls_total{method="user_profile",outcome="ok"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "xerochat_facebook_calls_total"); err != nil {
		t.Fatal(err)
	}
}

// A request whose client went away is counted as canceled, apart from the
// answers the server gave.
func TestInstrumentCanceled(t *testing.T) {
	m := metrics.New()
	h := m.Instrument(func(*http.Request) string { return "r" }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "xerochat_http_request_duration_seconds" {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "code" {
					counts[l.GetValue()] += metric.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	if counts["418"] != 1 || counts["canceled"] != 1 {
		t.Fatalf("requests by code %v, want one 418 and one canceled", counts)
	}
}
