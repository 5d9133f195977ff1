package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/api"
	"github.com/xerochat/xerochat/xerochattest"
)

// Failed key checks are throttled per client address: after the burst, the
// address is answered 429 in the contract's envelope — even with a good
// key, until its budget refills — while the key itself is never probed.
func TestKeyChecksThrottled(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t, xerochattest.ConfigureAPI(func(s *api.Server) { s.KeyFailureBurst = 0 })) // the default
	for i := range api.DefaultKeyFailureBurst {
		wantError(t, ts.Get("get_all_packages", vals("api_key", fmt.Sprintf("1-guess%d", i))), xerochat.MsgKeyInvalid)
	}
	res := ts.Get("get_all_packages", vals("api_key", "1-one-more-guess"))
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("past the burst: %d %s, want 429 with Retry-After", res.Status, res.Body)
	}
	if msg := res.Message(t); !strings.Contains(msg, "Too many failed API key checks") {
		t.Fatalf("429 message %q", msg)
	}
	if res := ts.Get("get_all_packages", vals("api_key", ts.AdminKey)); res.Status != http.StatusTooManyRequests {
		t.Fatalf("a throttled address with a good key: %d, want 429 until the budget refills", res.Status)
	}
	if !strings.Contains(ts.Logs.String(), "api: limit reached") {
		t.Error("the throttled checks are not logged")
	}
	// The budget refills: one failure a second.
	xerochattest.Eventually(t, "the budget to refill", func() bool {
		return ts.Get("get_all_packages", vals("api_key", ts.AdminKey)).Status == http.StatusOK
	})
}

// stalledStream asks for get_all_subscriber_flow_info and never reads the
// answer: the server's writes block once the socket buffers are full.
func stalledStream(t *testing.T, base, key string, campaign int64) net.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetReadBuffer(4 << 10)
	}
	fmt.Fprintf(conn, "GET /api/get_all_subscriber_flow_info?api_key=%s&flow_campaign_id=%d HTTP/1.1\r\nHost: %s\r\n\r\n", key, campaign, u.Host)
	// Read the status line only, then stop reading.
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(line, "200") {
		t.Fatalf("stalled stream: %q, %v", line, err)
	}
	return conn
}

// One member's slow readers cannot take the service down: at most
// StreamsPerUser of their heavy streams run at once (the next is 429),
// others are served meanwhile, and a stream whose client stopped reading is
// ended after the idle timeout, freeing its database connection.
func TestHeavyStreamsBounded(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t, xerochattest.ConfigureAPI(func(s *api.Server) { s.StreamIdleTimeout = time.Second }))
	a := ts.NewMember("stream-a@example.com", "1900000000000001")
	b := ts.NewMember("stream-b@example.com", "2900000000000001")
	big := seedCampaign(t, ts, a, 30_000, 3)
	small := ts.AddFlow(b, "Small", "Q?")
	flowInfo := func(key string, id int64) xerochattest.Response {
		return ts.Get("get_all_subscriber_flow_info", vals("api_key", key, "flow_campaign_id", fmt.Sprint(id)))
	}

	var held []net.Conn
	for range api.StreamsPerUser {
		held = append(held, stalledStream(t, ts.URL, a.Key, big))
	}
	res := flowInfo(a.Key, big)
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("a third stream of one member: %d, want 429", res.Status)
	}
	if res := flowInfo(b.Key, small.ID); res.Status != http.StatusOK || res.JSON(t)["flow_name"] != "Small" {
		t.Fatalf("another member while the first one's streams stall: %d %.200s", res.Status, res.Body)
	}
	if r, err := http.Get(ts.URL + "/healthz"); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("/healthz while streams stall: %v %v", r, err)
	}
	// The stalled streams end by themselves; then the member is served.
	xerochattest.Eventually(t, "the stalled streams to be ended", func() bool {
		return flowInfo(a.Key, big).Status == http.StatusOK
	})
	if !strings.Contains(ts.Logs.String(), "client went away during flow answers") {
		t.Error("the ended streams are not logged as a client gone")
	}
	if strings.Contains(ts.Logs.String(), "level=ERROR") {
		t.Errorf("a client that stopped reading was logged as an error:\n%s", ts.Logs)
	}
	for _, c := range held {
		c.Close()
	}
}
