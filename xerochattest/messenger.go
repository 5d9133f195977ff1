package xerochattest

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// Texts is the text of each message, in order.
func Texts(sent []fakegraph.SentMessage) []string {
	out := []string{}
	for _, m := range sent {
		out = append(out, m.Text)
	}
	return out
}

// ExpectSent fails unless the person was sent exactly want, in order.
func ExpectSent(tb testing.TB, p *fakegraph.Person, want ...string) {
	tb.Helper()
	if want == nil {
		want = []string{}
	}
	if got := Texts(p.Sent()); !slices.Equal(got, want) {
		tb.Fatalf("%s saw %q, want exactly %q", p.PSID, got, want)
	}
}

// WaitSent waits until the person has been sent at least n messages.
func WaitSent(tb testing.TB, p *fakegraph.Person, n int) {
	tb.Helper()
	Eventually(tb, fmt.Sprintf("%d messages to %s", n, p.PSID), func() bool { return len(p.Sent()) >= n })
}

// Say makes the person write text, failing the test if the webhook refuses
// it.
func Say(tb testing.TB, p *fakegraph.Person, text string) {
	tb.Helper()
	if _, err := p.Say(text); err != nil {
		tb.Fatalf("%s says %q: %v", p.PSID, text, err)
	}
}

// Survey is a flow started by keyword "start" or payload "SURVEY" that
// asks "<name> Q1?" .. "<name> Qn?" (text) and ends with "<name> done".
func Survey(name string, n int) xerochat.FlowFile {
	ff := xerochat.FlowFile{FlowName: name, CompletionMessage: name + " done"}
	ff.Triggers.Keywords = []string{"start"}
	ff.Triggers.Payloads = []string{"SURVEY"}
	for i := 1; i <= n; i++ {
		ff.Questions = append(ff.Questions, xerochat.FlowFileQuestion{Question: fmt.Sprintf("%s Q%d?", name, i)})
	}
	return ff
}

// Answers reads a subscriber's answers, in question order, through
// get_single_subscriber_flow_info of the server at base.
func Answers(tb testing.TB, base, key string, campaignID int64, psid string) []string {
	tb.Helper()
	res := Get(tb, base, "get_single_subscriber_flow_info", Vals("api_key", key,
		"flow_campaign_id", fmt.Sprint(campaignID), "subscriber_id", psid))
	data, ok := res.JSON(tb)["data"].([]any)
	if !ok {
		tb.Fatalf("get_single_subscriber_flow_info: no data list: %s", res.Body)
	}
	out := []string{}
	for _, d := range data {
		item, _ := d.(map[string]any)
		answer, _ := item["answer"].(string)
		out = append(out, answer)
	}
	return out
}

// ExpectAnswers fails unless the subscriber's stored answers are exactly
// want.
func ExpectAnswers(tb testing.TB, base, key string, campaignID int64, psid string, want ...string) {
	tb.Helper()
	if want == nil {
		want = []string{}
	}
	if got := Answers(tb, base, key, campaignID, psid); !slices.Equal(got, want) {
		tb.Fatalf("answers of %s: %q, want %q", psid, got, want)
	}
}

// SubscriberInfo is subscriber_information's subscriber_info for one of
// the member's subscribers; a subscriber that is not found fails the test.
func (s *Server) SubscriberInfo(m *Member, psid string) map[string]any {
	s.tb.Helper()
	return s.SubscriberInfoOf(m.Key, psid, "")
}

// Count runs a COUNT query (no parameters: the placeholder syntax differs
// between the databases).
func Count(tb testing.TB, db *sql.DB, query string) int {
	tb.Helper()
	return scan[int](tb, db, query)
}

// String runs a query of one text value.
func String(tb testing.TB, db *sql.DB, query string) string {
	tb.Helper()
	return scan[string](tb, db, query)
}

func scan[T any](tb testing.TB, db *sql.DB, query string) T {
	tb.Helper()
	var v T
	if err := db.QueryRow(query).Scan(&v); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return v
}

// The webhook bodies below are written as Facebook writes them, for tests
// that need batches a Person does not send: several people or entries in
// one batch, events the fake does not make, bodies that are refused.

// Batch is a page webhook body (non-ASCII escaped) of entries made with
// Entry.
func Batch(tb testing.TB, entries ...map[string]any) []byte {
	tb.Helper()
	body, err := fakegraph.FacebookJSON(map[string]any{"object": "page", "entry": entries})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// Entry is an entry of the page with events under field ("messaging" or
// "standby").
func Entry(pageID, field string, events ...map[string]any) map[string]any {
	return map[string]any{"id": pageID, "time": Timestamp(), field: events}
}

// Event is a messaging event from psid to the page, stamped with at; the
// kind of event is added by the caller (e.g. "message", "postback").
func Event(pageID, psid string, at int64) map[string]any {
	return map[string]any{"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": pageID},
		"timestamp": at}
}

// Message is a text message from psid to the page with message id mid.
func Message(pageID, psid, mid, text string) map[string]any {
	ev := Event(pageID, psid, Timestamp())
	ev["message"] = map[string]any{"mid": mid, "text": text}
	return ev
}

var clock struct {
	sync.Mutex
	last int64
}

// Timestamp is a millisecond time later than any given before, so that
// events built in a row keep their order and are never taken for one
// another.
func Timestamp() int64 {
	clock.Lock()
	defer clock.Unlock()
	clock.last = max(clock.last+1, time.Now().UnixMilli())
	return clock.last
}

// PostWebhook posts body to the webhook at base with sig as
// X-Hub-Signature-256 ("" sends none) and returns the HTTP status.
func PostWebhook(tb testing.TB, base string, body []byte, sig string) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST /webhook: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// PostSigned posts body to the webhook at base, signed with AppSecret as
// Facebook signs it, and expects 200.
func PostSigned(tb testing.TB, base string, body []byte) {
	tb.Helper()
	if status := PostWebhook(tb, base, body, fakegraph.Signature(AppSecret, body)); status != http.StatusOK {
		tb.Fatalf("webhook answered %d to a signed batch, want 200", status)
	}
}
