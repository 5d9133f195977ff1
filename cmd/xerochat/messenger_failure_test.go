package main

// The hard cases of Messenger: webhook intake rules, re-deliveries, Graph
// failures, restarts and several processes on one database. Everything goes
// through the real server (or the real binary) and the fake Facebook.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// hcPost posts body to the webhook at base with sig as X-Hub-Signature-256
// ("" sends none) and returns the HTTP status.
func hcPost(t testing.TB, base string, body []byte, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /webhook: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// hcSigned posts body signed as Facebook signs it and expects 200.
func hcSigned(t testing.TB, base string, body []byte) {
	t.Helper()
	if status := hcPost(t, base, body, fakegraph.Signature(testAppSecret, body)); status != http.StatusOK {
		t.Fatalf("webhook answered %d to a signed batch, want 200", status)
	}
}

// hcBatch is a page webhook body written as Facebook writes it (non-ASCII
// escaped), from entries made with hcEntry.
func hcBatch(t testing.TB, entries ...map[string]any) []byte {
	t.Helper()
	body, err := fakegraph.FacebookJSON(map[string]any{"object": "page", "entry": entries})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// hcEntry is an entry of the page with events under field ("messaging" or
// "standby").
func hcEntry(pageID, field string, events ...map[string]any) map[string]any {
	return map[string]any{"id": pageID, "time": time.Now().UnixMilli(), field: events}
}

var hcClock struct {
	sync.Mutex
	last int64
}

// hcNow is a millisecond timestamp later than any given before, so that
// events built in a row keep their order and are never taken for one another.
func hcNow() int64 {
	hcClock.Lock()
	defer hcClock.Unlock()
	hcClock.last = max(hcClock.last+1, time.Now().UnixMilli())
	return hcClock.last
}

// hcMessage is a text message from psid to the page with message id mid.
func hcMessage(pageID, psid, mid, text string) map[string]any {
	return map[string]any{"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": pageID},
		"timestamp": hcNow(), "message": map[string]any{"mid": mid, "text": text}}
}

// hcCount runs a COUNT query (no parameters: the placeholder syntax differs
// between the databases) on the server's database.
func hcCount(t testing.TB, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// hcString reads one text value from the database.
func hcString(t testing.TB, db *sql.DB, query string) string {
	t.Helper()
	var s string
	if err := db.QueryRow(query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

// hcTexts is the text of each message the person saw, in order.
func hcTexts(sent []fakegraph.SentMessage) []string {
	out := []string{}
	for _, m := range sent {
		out = append(out, m.Text)
	}
	return out
}

// hcExpectSent fails unless the person saw exactly want, in order.
func hcExpectSent(t testing.TB, p *fakegraph.Person, want ...string) {
	t.Helper()
	if got := hcTexts(p.Sent()); !slices.Equal(got, want) {
		t.Fatalf("%s saw %q, want exactly %q", p.PSID, got, want)
	}
}

// hcWaitSent waits until the person has been sent at least n messages.
func hcWaitSent(t testing.TB, p *fakegraph.Person, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d messages to %s", n, p.PSID), func() bool { return len(p.Sent()) >= n })
}

// hcSay makes the person write text, failing the test if the webhook
// refuses it.
func hcSay(t testing.TB, p *fakegraph.Person, text string) {
	t.Helper()
	if _, err := p.Say(text); err != nil {
		t.Fatalf("%s says %q: %v", p.PSID, text, err)
	}
}

// hcSurvey is a flow started by keyword "start" or payload "SURVEY" that
// asks "<name> Q1?" .. "<name> Qn?" (text) and ends with "<name> done".
func hcSurvey(name string, n int) xerochat.FlowFile {
	ff := xerochat.FlowFile{FlowName: name, CompletionMessage: name + " done"}
	ff.Triggers.Keywords = []string{"start"}
	ff.Triggers.Payloads = []string{"SURVEY"}
	for i := 1; i <= n; i++ {
		ff.Questions = append(ff.Questions, xerochat.FlowFileQuestion{Question: fmt.Sprintf("%s Q%d?", name, i)})
	}
	return ff
}

// hcAnswersAt reads a subscriber's answers through
// get_single_subscriber_flow_info of the server at base.
func hcAnswersAt(t testing.TB, base, key string, campaignID int64, psid string) []string {
	t.Helper()
	res, err := http.Get(base + "/api/get_single_subscriber_flow_info?" + vals("api_key", key,
		"flow_campaign_id", fmt.Sprint(campaignID), "subscriber_id", psid).Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v struct {
		Data []struct {
			Answer string `json:"answer"`
		} `json:"data"`
	}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("get_single_subscriber_flow_info: %v: %s", err, raw)
	}
	out := []string{}
	for _, d := range v.Data {
		out = append(out, d.Answer)
	}
	return out
}

// hcExpectAnswers fails unless the stored answers are exactly want.
func hcExpectAnswers(t testing.TB, base, key string, campaignID int64, psid string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := hcAnswersAt(t, base, key, campaignID, psid); !slices.Equal(got, want) {
		t.Fatalf("answers of %s: %q, want %q", psid, got, want)
	}
}

// hcSubscriberInfo is subscriber_information's subscriber_info, nil when
// the subscriber is not found.
func hcSubscriberInfo(ts *testServer, m *member, psid string) map[string]any {
	ts.t.Helper()
	v := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", psid, "page_id", m.PageID)).JSON(ts.t)
	info, _ := v["subscriber_info"].(map[string]any)
	return info
}

// hcSettle waits until a database has no unprocessed batch and no queued
// message, like ts.settle for a database the test opened itself.
func hcSettle(t testing.TB, db *sqlstore.DB) {
	t.Helper()
	eventually(t, "the workers to finish", func() bool {
		batches, messages, _, err := db.Backlog(context.Background())
		return err == nil && batches == 0 && messages == 0
	})
}

// hcStart starts a server like startServer, but on a given database and
// fake Facebook and with the given number of workers, so that a test can
// stop it and start another on the same data. stop closes it (once); it is
// also called when the test ends.
func hcStart(t *testing.T, dbURL string, fake *fakegraph.Server, workers int) (ts *testServer, stop func()) {
	t.Helper()
	return hcStartVia(t, dbURL, fake.URL(), fake, workers)
}

// hcStartVia is hcStart with the server's Graph calls sent to graphURL (a
// proxy in front of fake).
func hcStartVia(t *testing.T, dbURL, graphURL string, fake *fakegraph.Server, workers int) (ts *testServer, stop func()) {
	t.Helper()
	var out, logs bytes.Buffer
	m := &Main{
		Config: Config{Addr: "127.0.0.1:0", DB: dbURL, Timezone: "UTC", AdminEmail: "admin@example.com",
			GraphVersion: "v21.0", Workers: workers, JobLease: 2 * time.Second, FBAppSecret: testAppSecret, FBVerifyToken: "verify-me"},
		Out:    &out,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)),
		Graph:  graph.New(graphURL, "v21.0"),
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := m.Close(); err != nil {
				t.Errorf("close server: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	ts = &testServer{Main: m, t: t, Fake: fake, Logs: &logs}
	if match := adminKeyLine.FindStringSubmatch(out.String()); match != nil {
		ts.AdminKey = match[1]
	}
	return ts, stop
}

func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		name   string
		query  string
		status int
	}{
		{"right mode and token", "hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", 200},
		{"wrong token", "hub.mode=subscribe&hub.verify_token=verify-you&hub.challenge=1158201444", 403},
		{"token in other case", "hub.mode=subscribe&hub.verify_token=VERIFY-ME&hub.challenge=1158201444", 403},
		{"empty token", "hub.mode=subscribe&hub.verify_token=&hub.challenge=1158201444", 403},
		{"wrong mode", "hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1158201444", 403},
		{"missing mode", "hub.verify_token=verify-me&hub.challenge=1158201444", 403},
		{"missing token", "hub.mode=subscribe&hub.challenge=1158201444", 403},
		{"missing everything", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Get(ts.URL() + "/webhook?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %s)", res.StatusCode, tt.status, body)
			}
			if tt.status == 200 && string(body) != "1158201444" {
				t.Fatalf("body %q, want the challenge alone", body)
			}
			if tt.status != 200 && strings.Contains(string(body), "1158201444") {
				t.Fatalf("a refused verification gave back the challenge: %s", body)
			}
		})
	}
}

// TestWebhookRefusedBatches posts batches Facebook would never send, or
// that someone else sends: none is stored and none has any effect; then a
// good one proves the server was listening all along.
func TestWebhookRefusedBatches(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("refused@example.com", "700000000000101")
	fc := ts.createFlow(m, hcSurvey("Refused", 2))
	psid := "2500000000000101"
	p := ts.person(m, psid, fakegraph.Profile{FirstName: "Zoë"})
	event := hcMessage(m.PageID, psid, "m_refused_1", "start")
	// Non-ASCII text makes Facebook's escaped encoding differ from raw UTF-8.
	batch := map[string]any{"object": "page", "entry": []any{map[string]any{"id": m.PageID, "time": hcNow(),
		"messaging": []any{event, hcMessage(m.PageID, psid, "m_refused_2", "Zoë says hi")}}}}
	escaped, err := fakegraph.FacebookJSON(batch) // what Facebook sends and signs
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(batch) // the same batch with raw UTF-8
	if bytes.Equal(escaped, plain) {
		t.Fatal("test setup: the two encodings should differ")
	}
	sig := func(b []byte) string { return fakegraph.Signature(testAppSecret, b) }
	huge := append([]byte(`{"object":"page","entry":[],"pad":"`), bytes.Repeat([]byte("x"), 1<<20)...)
	huge = append(huge, `"}`...)
	tests := []struct {
		name   string
		body   []byte
		sig    string
		status int
	}{
		{"missing signature", escaped, "", 403},
		{"signature with another secret", escaped, fakegraph.Signature("not-the-secret", escaped), 403},
		{"signature of the re-encoded body", escaped, sig(plain), 403},
		{"re-encoded body under the original signature", plain, sig(escaped), 403},
		{"signature without sha256= prefix", escaped, strings.TrimPrefix(sig(escaped), "sha256="), 403},
		{"signature of an empty body", escaped, sig(nil), 403},
		{"malformed JSON", []byte(`{"object":"page","entry":[{"id":`), sig([]byte(`{"object":"page","entry":[{"id":`)), 400},
		{"not an object", []byte(`"page"`), sig([]byte(`"page"`)), 400},
		{"object user", []byte(`{"object":"user","entry":[{"id":"1","time":1,"changes":[]}]}`),
			sig([]byte(`{"object":"user","entry":[{"id":"1","time":1,"changes":[]}]}`)), 200},
		{"over 1 MiB", huge, sig(huge), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status := hcPost(t, ts.URL(), tt.body, tt.sig); status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches`); n != 0 {
				t.Fatalf("%d batches stored, want none", n)
			}
		})
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 0 {
		t.Fatalf("%d subscribers after refused batches, want none", n)
	}
	if sent := ts.Fake.AllSent(); len(sent) != 0 {
		t.Fatalf("refused batches made the page send %q", hcTexts(sent))
	}
	// The same bytes, signed as Facebook signs them, are taken.
	hcSigned(t, ts.URL(), escaped)
	hcWaitSent(t, p, 1)
	ts.settle()
	hcExpectSent(t, p, "Refused Q1?", "Refused Q2?")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, psid, "Zoë says hi")
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches`); n != 1 {
		t.Fatalf("%d batches stored, want 1", n)
	}
}

// TestWebhookBatchInOrder sends one batch with several entries, messaging
// and standby events, receipts and an echo: the events take effect in the
// order Facebook wrote them, each once, and a later batch carries on.
func TestWebhookBatchInOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("order@example.com", "700000000000201")
	fc := ts.createFlow(m, hcSurvey("Order", 3))
	a := ts.person(m, "2500000000000201", fakegraph.Profile{FirstName: "A"})
	b := ts.person(m, "2500000000000202", fakegraph.Profile{FirstName: "B"})
	c := ts.person(m, "2500000000000203", fakegraph.Profile{FirstName: "C"})
	msg := func(p *fakegraph.Person, mid, text string) map[string]any {
		return hcMessage(m.PageID, p.PSID, mid, text)
	}
	receipt := map[string]any{"sender": map[string]string{"id": a.PSID}, "recipient": map[string]string{"id": m.PageID},
		"timestamp": hcNow(), "delivery": map[string]any{"mids": []string{"m_x"}, "watermark": hcNow()}}
	read := map[string]any{"sender": map[string]string{"id": b.PSID}, "recipient": map[string]string{"id": m.PageID},
		"timestamp": hcNow(), "read": map[string]any{"watermark": hcNow()}}
	// The page's own "start", echoed back: it must not restart A's flow.
	echo := map[string]any{"sender": map[string]string{"id": m.PageID}, "recipient": map[string]string{"id": a.PSID},
		"timestamp": hcNow(), "message": map[string]any{"mid": "m_order_echo", "is_echo": true, "app_id": 1, "text": "start"}}
	body := hcBatch(t,
		hcEntry(m.PageID, "messaging", msg(a, "m_order_1", "start"), msg(a, "m_order_2", "a1"), msg(b, "m_order_3", "start")),
		hcEntry(m.PageID, "standby", msg(a, "m_order_4", "a2"), msg(b, "m_order_5", "b1")),
		hcEntry(m.PageID, "messaging", receipt, echo, read, msg(a, "m_order_6", "a3"), msg(b, "m_order_7", "b2"),
			msg(c, "m_order_8", "start")),
	)
	hcSigned(t, ts.URL(), body)
	hcWaitSent(t, c, 1)
	ts.settle()
	hcExpectSent(t, a, "Order Q1?", "Order Q2?", "Order Q3?", "Order done")
	hcExpectSent(t, b, "Order Q1?", "Order Q2?", "Order Q3?")
	hcExpectSent(t, c, "Order Q1?")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, a.PSID, "a1", "a2", "a3")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, b.PSID, "b1", "b2")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, c.PSID)

	// A later batch is processed too.
	hcSigned(t, ts.URL(), hcBatch(t, hcEntry(m.PageID, "messaging", msg(c, "m_order_9", "c1"), msg(b, "m_order_10", "b3"))))
	hcWaitSent(t, b, 4)
	ts.settle()
	hcExpectSent(t, b, "Order Q1?", "Order Q2?", "Order Q3?", "Order done")
	hcExpectSent(t, c, "Order Q1?", "Order Q2?")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, b.PSID, "b1", "b2", "b3")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, c.PSID, "c1")
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 3 {
		t.Fatalf("%d subscribers, want 3", n)
	}
}

// TestWebhookUnknownAndDisabledPages: events for a page nobody connected
// and for a page whose bot is disabled create nothing and send nothing,
// and neither holds up the events after them.
func TestWebhookUnknownAndDisabledPages(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("pages@example.com", "700000000000301")
	fc := ts.createFlow(m, hcSurvey("Pages", 2))
	const disabledID, unknownID = "700000000000302", "700000000000303"
	ts.Fake.AddPage(disabledID, "token-"+disabledID, "Disabled")
	ts.Fake.AddPage(unknownID, "token-"+unknownID, "Unknown")
	disabled, err := ts.DB.ConnectPage(context.Background(), &xerochat.Page{UserID: m.ID, PageID: disabledID,
		Name: "Disabled", AccessToken: "token-" + disabledID, BotEnabled: false})
	if err != nil {
		t.Fatal(err)
	}
	ff := hcSurvey("Off", 2)
	offFlow, err := ff.Campaign(m.ID, disabled.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DB.CreateFlowCampaign(context.Background(), offFlow); err != nil {
		t.Fatal(err)
	}
	good := ts.person(m, "2500000000000301", fakegraph.Profile{FirstName: "Good"})
	offP := ts.Fake.Person(disabledID, "2500000000000302", fakegraph.Profile{FirstName: "Off"}, ts.URL()+"/webhook", testAppSecret)
	unknownP := ts.Fake.Person(unknownID, "2500000000000303", fakegraph.Profile{FirstName: "Nobody"}, ts.URL()+"/webhook", testAppSecret)

	postback := func(pageID, psid, payload string) map[string]any {
		return map[string]any{"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": pageID},
			"timestamp": hcNow(), "postback": map[string]any{"mid": fmt.Sprintf("m_pages_pb_%s_%d", psid, hcNow()), "payload": payload}}
	}
	labelChange := map[string]any{"id": disabledID, "time": hcNow(), "changes": []any{map[string]any{"field": "inbox_labels",
		"value": map[string]any{"action": "add", "label": map[string]string{"id": "9100", "page_label_name": "VIP"},
			"user": map[string]string{"id": offP.PSID}}}}}
	// One batch: the unknown and the disabled page first, the good page last.
	hcSigned(t, ts.URL(), hcBatch(t,
		hcEntry(unknownID, "messaging", hcMessage(unknownID, unknownP.PSID, "m_pages_1", "start"), postback(unknownID, unknownP.PSID, "SURVEY")),
		hcEntry(disabledID, "messaging", hcMessage(disabledID, offP.PSID, "m_pages_2", "start"), postback(disabledID, offP.PSID, "SURVEY")),
		labelChange,
		hcEntry(m.PageID, "messaging", hcMessage(m.PageID, good.PSID, "m_pages_3", "start")),
	))
	// The people of the other pages write on, each in a batch of their own.
	if _, err := unknownP.Say("hello?"); err != nil {
		t.Fatal(err)
	}
	if err := offP.Refer("SHORTLINK", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := offP.Say("a1"); err != nil {
		t.Fatal(err)
	}
	hcSay(t, good, "g1")
	hcWaitSent(t, good, 2)
	ts.settle()
	hcExpectSent(t, good, "Pages Q1?", "Pages Q2?")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, good.PSID, "g1")
	if sent := ts.Fake.AllSent(); len(sent) != 2 {
		t.Fatalf("the page sent %d messages, want only the 2 to %s: %+v", len(sent), good.PSID, sent)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
		t.Fatalf("%d subscribers, want only the one of the connected, enabled page", n)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM labels`); n != 0 {
		t.Fatalf("an inbox_labels change for a disabled page stored %d labels", n)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM flow_answers`); n != 1 {
		t.Fatalf("%d answers stored, want 1", n)
	}
	res := ts.get("subscriber_information", vals("api_key", m.Key, "subscriber_id", offP.PSID))
	if msg := res.Message(t); msg != "No Matching Subscriber Found" {
		t.Fatalf("subscriber_information for a person of the disabled page: %s", res.Body)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0`); n != 0 {
		t.Fatalf("%d batches left unprocessed", n)
	}
}

// TestWebhookUnreadableBatch: a batch that is JSON but not in Facebook's
// shape is taken (it is not malformed), has no effect, and does not stop
// the batches after it.
func TestWebhookUnreadableBatch(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("unreadable@example.com", "700000000000251")
	ts.createFlow(m, hcSurvey("Unreadable", 2))
	p := ts.person(m, "2500000000000251", fakegraph.Profile{FirstName: "U"})
	for _, body := range []string{
		`{"object":"page","entry":"not a list"}`,
		`{"object":"page","entry":[{"id":"` + m.PageID + `","time":1,"messaging":[{"sender":{"id":` + p.PSID + `},"message":{"mid":"m_u","text":"hello"}}]}]}`,
	} {
		hcSigned(t, ts.URL(), []byte(body))
	}
	hcSay(t, p, "start")
	hcWaitSent(t, p, 1)
	ts.settle()
	hcExpectSent(t, p, "Unreadable Q1?")
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0`); n != 0 {
		t.Fatalf("%d batches left unprocessed", n)
	}
}

// TestWebhookPoisonEvent: one person's message the database cannot take as
// it is — a NUL character, which JSON and Messenger carry but PostgreSQL
// text cannot hold — must not cost the other people's events in the same
// batch, nor the person's own message.
func TestWebhookPoisonEvent(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("poison@example.com", "700000000000261")
	ts.createFlow(m, hcSurvey("Poison", 2))
	p := ts.person(m, "2500000000000261", fakegraph.Profile{FirstName: "P"})
	q := ts.person(m, "2500000000000262", fakegraph.Profile{FirstName: "Q"})
	hcSay(t, p, "start")
	hcWaitSent(t, p, 1)
	hcSigned(t, ts.URL(), hcBatch(t, hcEntry(m.PageID, "messaging",
		hcMessage(m.PageID, p.PSID, "m_poison_1", "a\x00b"),
		hcMessage(m.PageID, q.PSID, "m_poison_2", "start"))))
	// On failure, the batch is retried and finally set aside with every
	// event after the poisoned one.
	eventually(t, "question 1 to the other person of the batch", func() bool { return len(q.Sent()) >= 1 })
	hcWaitSent(t, p, 2) // question 2, or a re-prompt: the message was handled
	ts.settle()
	hcExpectSent(t, q, "Poison Q1?")
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE last_error <> ''`); n != 0 {
		t.Fatalf("%d batches failed on the way", n)
	}
}

// TestWebhookRedelivery: Facebook delivers again what did not get a quick
// 200, sometimes inside a different batch. Every event takes effect once:
// a re-applied trigger would send question 1 again, a re-applied answer
// would be stored as the answer to the next question.
func TestWebhookRedelivery(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("again@example.com", "700000000000401")
	fc := ts.createFlow(m, hcSurvey("Again", 3))
	p := ts.person(m, "2500000000000401", fakegraph.Profile{FirstName: "Again"})
	redeliver := func(times int) {
		t.Helper()
		for range times {
			if err := p.Redeliver(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The trigger, delivered four times one after the other.
	hcSay(t, p, "start")
	redeliver(3)
	hcWaitSent(t, p, 1)
	ts.settle()
	hcExpectSent(t, p, "Again Q1?")

	// The first answer, delivered four times at once.
	hcSay(t, p, "a1")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if status, err := p.PostRaw(p.LastBody, true); err != nil || status != http.StatusOK {
				t.Errorf("re-delivery: %d, %v", status, err)
			}
		})
	}
	wg.Wait()
	hcWaitSent(t, p, 2)
	ts.settle()
	hcExpectSent(t, p, "Again Q1?", "Again Q2?")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "a1")

	// One mid in two different batches, and twice within the second one
	// (under messaging and under standby).
	a2 := hcMessage(m.PageID, p.PSID, "m_again_a2", "a2")
	a3 := hcMessage(m.PageID, p.PSID, "m_again_a3", "a3")
	hcSigned(t, ts.URL(), hcBatch(t, hcEntry(m.PageID, "messaging", a2)))
	second := hcEntry(m.PageID, "messaging", a2, a3)
	second["standby"] = []any{a2}
	hcSigned(t, ts.URL(), hcBatch(t, second))
	hcWaitSent(t, p, 4)
	ts.settle()
	hcExpectSent(t, p, "Again Q1?", "Again Q2?", "Again Q3?", "Again done")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "a1", "a2", "a3")

	// A postback without mid (as Facebook sends older ones) delivered three
	// times restarts the flow once.
	pb := hcBatch(t, hcEntry(m.PageID, "messaging", map[string]any{"sender": map[string]string{"id": p.PSID},
		"recipient": map[string]string{"id": m.PageID}, "timestamp": hcNow(),
		"postback": map[string]any{"title": "Survey", "payload": "SURVEY"}}))
	for range 3 {
		hcSigned(t, ts.URL(), pb)
	}
	hcWaitSent(t, p, 5)
	ts.settle()
	hcExpectSent(t, p, "Again Q1?", "Again Q2?", "Again Q3?", "Again done", "Again Q1?")

	// A referral delivered twice, then a message: the referral is recorded,
	// and the message is the answer to question 1, not a re-applied one.
	if err := p.Refer("SHORTLINK", "promo"); err != nil {
		t.Fatal(err)
	}
	redeliver(1)
	hcSay(t, p, "b1")
	hcWaitSent(t, p, 6)
	ts.settle()
	hcExpectSent(t, p, "Again Q1?", "Again Q2?", "Again Q3?", "Again done", "Again Q1?", "Again Q2?")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "b1", "a2", "a3")
	if info := hcSubscriberInfo(ts, m, p.PSID); info == nil || info["refferer_source"] != "SHORTLINK:promo" {
		t.Fatalf("subscriber_info after a referral: %v", info)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM outbox`); n != 6 {
		t.Fatalf("%d messages queued in all, want the 6 the person saw", n)
	}
}

// TestDeliveryGraphOutage: Facebook stops answering in the middle of a
// flow. The person's answers are stored at once; what the page has to say
// waits in the queue and goes out, in order and once, when Facebook is back.
func TestDeliveryGraphOutage(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("outage@example.com", "700000000000501")
	ff := hcSurvey("Outage", 3)
	ff.Questions[0].Type, ff.Questions[0].Reprompt = xerochat.QuestionEmail, "Outage: not an e-mail."
	fc := ts.createFlow(m, ff)
	p := ts.person(m, "2500000000000501", fakegraph.Profile{FirstName: "Out"})
	hcSay(t, p, "start")
	hcWaitSent(t, p, 1)
	ts.settle()

	ts.Fake.Down(true)
	// Someone new writes during the outage: kept as a subscriber at once,
	// their profile fetched when Facebook is back.
	newcomer := ts.person(m, "2500000000000502", fakegraph.Profile{FirstName: "Newcomer", LastName: "Late"})
	hcSay(t, newcomer, "hello")
	hcSay(t, p, "not an address")  // re-prompt queued
	hcSay(t, p, "zoe@example.com") // stored; question 2 queued behind the re-prompt
	eventually(t, "the answer stored during the outage", func() bool {
		return slices.Equal(hcAnswersAt(t, ts.URL(), m.Key, fc.ID, p.PSID), []string{"zoe@example.com"})
	})
	if info := hcSubscriberInfo(ts, m, p.PSID); info["email"] != "zoe@example.com" {
		t.Fatalf("the e-mail answered during the outage is not on the subscriber: %v", info)
	}
	// Both messages wait; the first has been tried again at least once
	// (question 1 went out, then two refused calls).
	eventually(t, "a retried send", func() bool { return ts.Fake.CallCount(http.MethodPost, "/me/messages") >= 3 })
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`); n != 2 {
		t.Fatalf("%d messages waiting, want the re-prompt and question 2", n)
	}
	queued := hcString(t, ts.DB.SQL(), `SELECT message FROM outbox WHERE state = 'pending' ORDER BY id DESC LIMIT 1`)
	if !strings.Contains(queued, "Outage Q2?") {
		t.Fatalf("the last queued message is %s, want question 2", queued)
	}
	hcExpectSent(t, p, "Outage Q1?")

	if info := hcSubscriberInfo(ts, m, newcomer.PSID); info == nil || info["first_name"] != "" {
		t.Fatalf("a person who wrote during the outage: subscriber_info %v, want the subscriber without a profile yet", info)
	}

	ts.Fake.Down(false)
	eventually(t, "the newcomer's profile", func() bool {
		info := hcSubscriberInfo(ts, m, newcomer.PSID)
		return info["first_name"] == "Newcomer" && info["last_name"] == "Late"
	})
	hcWaitSent(t, p, 3)
	hcExpectSent(t, p, "Outage Q1?", "Outage: not an e-mail.", "Outage Q2?")
	hcSay(t, p, "a2")
	hcWaitSent(t, p, 4)
	hcSay(t, p, "a3")
	hcWaitSent(t, p, 5)
	ts.settle()
	hcExpectSent(t, p, "Outage Q1?", "Outage: not an e-mail.", "Outage Q2?", "Outage Q3?", "Outage done")
	hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "zoe@example.com", "a2", "a3")
	if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != "" {
		t.Fatalf("an outage is not the subscriber's error: last_error_message %q", info["last_error_message"])
	}
}

// TestDeliveryRateLimited: a throttled send is tried again later and
// reaches the person once; nothing is recorded against the subscriber.
func TestDeliveryRateLimited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		err   fakegraph.FBError
		times int
	}{
		{"application limit twice", fakegraph.ErrRateLimit(), 2},
		{"user limit", fakegraph.FBError{HTTPStatus: 400, Code: 17, Message: "(#17) User request limit reached"}, 1},
		{"page limit", fakegraph.FBError{HTTPStatus: 400, Code: 32, Message: "(#32) Page request limit reached"}, 1},
		{"call rate", fakegraph.FBError{HTTPStatus: 400, Code: 613, Message: "(#613) Calls to this api have exceeded the rate limit."}, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			m := ts.newMember("limited@example.com", fmt.Sprintf("70000000000060%d", i))
			fc := ts.createFlow(m, hcSurvey("Limited", 2))
			p := ts.person(m, fmt.Sprintf("250000000000060%d", i), fakegraph.Profile{FirstName: "Lim"})
			ts.Fake.Fail(http.MethodPost, "/me/messages", tt.err, tt.times)
			hcSay(t, p, "start")
			hcWaitSent(t, p, 1)
			ts.settle()
			hcExpectSent(t, p, "Limited Q1?")
			if n := ts.Fake.CallCount(http.MethodPost, "/me/messages"); n != tt.times+1 {
				t.Fatalf("%d Send API calls, want %d refused and 1 accepted", n, tt.times)
			}
			hcSay(t, p, "a1")
			hcWaitSent(t, p, 2)
			ts.settle()
			hcExpectSent(t, p, "Limited Q1?", "Limited Q2?")
			hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "a1")
			if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != "" {
				t.Fatalf("a rate limit is not the subscriber's error: last_error_message %q", info["last_error_message"])
			}
		})
	}
}

// TestDeliveryInvalidToken: Facebook refuses the page's token (code 190).
// The page's error is recorded, the message is failed rather than retried,
// and the person's answers are still taken.
func TestDeliveryInvalidToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := ts.newMember("token@example.com", "700000000000701")
	fc := ts.createFlow(m, hcSurvey("Token", 2))
	p := ts.person(m, "2500000000000701", fakegraph.Profile{FirstName: "Tok"})
	ts.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrInvalidToken(), 1)
	hcSay(t, p, "start")
	pageError := `SELECT error_message FROM pages WHERE page_id = '` + m.PageID + `'`
	eventually(t, "the page's error", func() bool { return hcString(t, ts.DB.SQL(), pageError) != "" })
	ts.settle()
	if got := hcString(t, ts.DB.SQL(), pageError); got != fakegraph.ErrInvalidToken().Message {
		t.Fatalf("pages.error_message = %q, want Facebook's message %q", got, fakegraph.ErrInvalidToken().Message)
	}
	if n := ts.Fake.CallCount(http.MethodPost, "/me/messages"); n != 1 {
		t.Fatalf("%d Send API calls: a refused token must not be retried", n)
	}
	if n := hcCount(t, ts.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'failed'`); n != 1 {
		t.Fatalf("%d failed messages, want 1", n)
	}
	hcExpectSent(t, p)
	if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != "" {
		t.Fatalf("a page's token is not the subscriber's error: last_error_message %q", info["last_error_message"])
	}
	// The flow still runs on the server: the answer is kept.
	hcSay(t, p, "a1")
	eventually(t, "the answer", func() bool {
		return slices.Equal(hcAnswersAt(t, ts.URL(), m.Key, fc.ID, p.PSID), []string{"a1"})
	})
	ts.settle()
}

// TestDeliveryRefused: Facebook refuses a message for a reason of the
// person's (outside the 24-hour window; a person it does not know). The
// refusal is shown as the subscriber's last_error_message, the message is
// not retried, and the answers already given stay.
func TestDeliveryRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(ts *testServer, p *fakegraph.Person) // before the postback that restarts the flow
		message string
	}{
		{"outside the 24-hour window", func(ts *testServer, p *fakegraph.Person) {
			ts.Fake.UserMessaged(p.PageID, p.PSID, time.Now().Add(-25*time.Hour))
		}, fakegraph.ErrOutsideWindow().Message},
		{"unknown person", func(ts *testServer, p *fakegraph.Person) {
			ts.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrNoMatchingUser(), 1)
		}, fakegraph.ErrNoMatchingUser().Message},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			ts.Fake.SetWindow(true)
			m := ts.newMember("window@example.com", fmt.Sprintf("70000000000080%d", i))
			fc := ts.createFlow(m, hcSurvey("Window", 3))
			p := ts.person(m, fmt.Sprintf("250000000000080%d", i), fakegraph.Profile{FirstName: "Win"})
			hcSay(t, p, "start")
			hcWaitSent(t, p, 1)
			hcSay(t, p, "a1")
			hcWaitSent(t, p, 2)
			ts.settle()
			tt.setup(ts, p)
			calls := ts.Fake.CallCount(http.MethodPost, "/me/messages")
			// A postback does not open the window: the restarted flow's
			// question 1 is refused.
			if _, err := p.Postback("Survey", "SURVEY", "", ""); err != nil {
				t.Fatal(err)
			}
			eventually(t, "last_error_message", func() bool {
				info := hcSubscriberInfo(ts, m, p.PSID)
				return info != nil && info["last_error_message"] != ""
			})
			ts.settle()
			if info := hcSubscriberInfo(ts, m, p.PSID); info["last_error_message"] != tt.message {
				t.Fatalf("last_error_message = %q, want Facebook's %q", info["last_error_message"], tt.message)
			}
			if n := ts.Fake.CallCount(http.MethodPost, "/me/messages") - calls; n != 1 {
				t.Fatalf("%d Send API calls for the refused message, want 1 (no retry)", n)
			}
			hcExpectSent(t, p, "Window Q1?", "Window Q2?")
			hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "a1")
			if n := hcString(t, ts.DB.SQL(), `SELECT error_message FROM pages WHERE page_id = '`+m.PageID+`'`); n != "" {
				t.Fatalf("a person's refusal set the page's error %q", n)
			}
			// The person writes again, which opens the window: the flow
			// goes on from question 1, where the restart put it.
			hcSay(t, p, "b1")
			hcWaitSent(t, p, 3)
			ts.settle()
			hcExpectSent(t, p, "Window Q1?", "Window Q2?", "Window Q2?")
			hcExpectAnswers(t, ts.URL(), m.Key, fc.ID, p.PSID, "b1")
		})
	}
}

// hcHoldingProxy forwards Graph calls to the fake. While holding, a message
// the fake accepted is answered only after a second, unless the caller gives
// up first: the window in which Facebook has taken a message and the
// server does not know it yet.
type hcHoldingProxy struct {
	target   string
	hold     atomic.Bool
	accepted chan struct{} // gets one value per held message
}

func (h *hcHoldingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// The forwarded call is not tied to the caller's: Facebook finishes what
	// it was given even when the caller hangs up.
	req, _ := http.NewRequestWithContext(context.Background(), r.Method, h.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if h.hold.Load() && strings.HasSuffix(r.URL.Path, "/me/messages") && res.StatusCode == http.StatusOK {
		h.accepted <- struct{}{}
		select {
		case <-r.Context().Done():
			return // the server gave up on the call
		case <-time.After(time.Second):
		}
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	w.Write(answer)
}

// TestRestartInProcess stops a server in the middle of a flow and starts
// another on the same database: the flow continues where it was, with
// nothing lost or doubled — whether the last answer was processed before
// the stop or not, and whether the next question had gone out or not.
func TestRestartInProcess(t *testing.T) {
	t.Parallel()
	type env struct {
		ts    *testServer
		proxy *hcHoldingProxy
	}
	tests := []struct {
		name string
		// beforeAnswer runs once question 2 reached the person; beforeStop
		// after the answer to it was posted; afterStop once the server
		// stopped.
		beforeAnswer, beforeStop, afterStop func(t *testing.T, e env)
		// answerLate posts the answer to the second server instead.
		answerLate bool
	}{
		{name: "stopped between two questions", answerLate: true},
		{name: "stopped right after the answer was posted"},
		{name: "stopped while Facebook was taking question 3",
			beforeAnswer: func(t *testing.T, e env) { e.proxy.hold.Store(true) },
			beforeStop:   func(t *testing.T, e env) { <-e.proxy.accepted }},
		{name: "stopped with question 3 waiting for Facebook to come back",
			beforeAnswer: func(t *testing.T, e env) { e.ts.Fake.Down(true) },
			beforeStop: func(t *testing.T, e env) {
				// Tried, refused and put back: no call is in flight.
				eventually(t, "question 3 tried and put back", func() bool {
					return hcCount(t, e.ts.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND last_error <> ''`) == 1
				})
			},
			afterStop: func(t *testing.T, e env) { e.ts.Fake.Down(false) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := fakegraph.New()
			t.Cleanup(fake.Close)
			proxy := &hcHoldingProxy{target: fake.URL(), accepted: make(chan struct{}, 10)}
			proxyServer := httptest.NewServer(proxy)
			t.Cleanup(proxyServer.Close)
			dbURL := sqlstoretest.URL(t)
			first, stopFirst := hcStartVia(t, dbURL, proxyServer.URL, fake, 1)
			e := env{ts: first, proxy: proxy}
			m := first.newMember("restart@example.com", fmt.Sprintf("70000000000090%d", i))
			fc := first.createFlow(m, hcSurvey("Restart", 3))
			p := first.person(m, fmt.Sprintf("250000000000090%d", i), fakegraph.Profile{FirstName: "Re"})
			hcSay(t, p, "start")
			hcWaitSent(t, p, 1)
			hcSay(t, p, "a1")
			hcWaitSent(t, p, 2)
			first.settle()
			if tt.beforeAnswer != nil {
				tt.beforeAnswer(t, e)
			}
			if !tt.answerLate {
				hcSay(t, p, "a2")
			}
			if tt.beforeStop != nil {
				tt.beforeStop(t, e)
			}
			stopFirst()
			if tt.afterStop != nil {
				tt.afterStop(t, e)
			}

			second, _ := hcStart(t, dbURL, fake, 1)
			p.WebhookURL = second.URL() + "/webhook"
			if tt.answerLate {
				hcSay(t, p, "a2")
			}
			hcWaitSent(t, p, 3)
			hcSay(t, p, "a3")
			hcWaitSent(t, p, 4)
			second.settle()
			hcExpectSent(t, p, "Restart Q1?", "Restart Q2?", "Restart Q3?", "Restart done")
			hcExpectAnswers(t, second.URL(), m.Key, fc.ID, p.PSID, "a1", "a2", "a3")
			if n := hcCount(t, second.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
				t.Fatalf("%d subscribers, want 1", n)
			}
		})
	}
}

// hcCluster is a database with a member, a connected page and a survey,
// made directly in the store, for tests that run `xerochat serve`
// processes on it.
type hcCluster struct {
	DBURL string
	DB    *sqlstore.DB
	Fake  *fakegraph.Server
	Key   string // the member's API key
	Page  *xerochat.Page
	Flow  *xerochat.FlowCampaign
	args  []string
}

func hcNewCluster(t *testing.T, pageID, flowName string) *hcCluster {
	t.Helper()
	ctx := context.Background()
	c := &hcCluster{DBURL: sqlstoretest.URL(t), Fake: fakegraph.New()}
	t.Cleanup(c.Fake.Close)
	var err error
	c.DB, err = sqlstore.Open(ctx, c.DBURL, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DB.Close() })
	uid, err := c.DB.CreateUser(ctx, xerochat.NewUser{Name: "Member", Email: "cluster@example.com", Password: "secret-pass",
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: time.Now().AddDate(1, 0, 0).Format(xerochat.DateLayout)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Key, err = c.DB.RotateAPIKey(ctx, uid); err != nil {
		t.Fatal(err)
	}
	c.Fake.AddPage(pageID, "token-"+pageID, "Cluster page")
	c.Page, err = c.DB.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: pageID, Name: "Cluster page",
		AccessToken: "token-" + pageID, BotEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	ff := hcSurvey(flowName, 3)
	if c.Flow, err = ff.Campaign(uid, c.Page.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.CreateFlowCampaign(ctx, c.Flow); err != nil {
		t.Fatal(err)
	}
	c.args = []string{"--fb-app-secret", testAppSecret, "--fb-verify-token", "verify-me", "--job-lease", "2s",
		"--graph-url", c.Fake.URL()}
	return c
}

// serve starts a `xerochat serve` process on the cluster's database.
func (c *hcCluster) serve(t *testing.T, extra ...string) *serveProcess {
	t.Helper()
	return startServeProcess(t, c.DBURL, append(slices.Clone(c.args), extra...)...)
}

// person is someone writing to the cluster's page through the server at
// base.
func (c *hcCluster) person(psid, base string) *fakegraph.Person {
	return c.Fake.Person(c.Page.PageID, psid, fakegraph.Profile{FirstName: "P" + psid[len(psid)-3:]}, base+"/webhook", testAppSecret)
}

// hcKill ends a serve process with SIGKILL: no shutdown at all.
func hcKill(t *testing.T, p *serveProcess) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait() // "signal: killed"; also tells the cleanup not to stop it again
}

// hcCollapse drops immediate repeats: what a person saw, ignoring a
// message sent twice in a row.
func hcCollapse(texts []string) []string {
	return slices.Compact(slices.Clone(texts))
}

// TestRestartKilledProcess kills `xerochat serve` with SIGKILL after each
// webhook it took — at once, once the batch was claimed, once the next
// question was claimed for sending, once the batch was done — and starts a
// new process on the same database each time. The flow continues where it
// was: every answer is stored once and for the right question, and every
// question arrives, in order. A question may arrive twice only when the
// kill fell between Facebook taking it and the server recording that: never
// more, and never out of order.
func TestRestartKilledProcess(t *testing.T) {
	t.Parallel()
	c := hcNewCluster(t, "700000000001001", "Killed")
	proc := c.serve(t)
	p := c.person("2500000000001001", proc.URL)
	want := []string{"Killed Q1?", "Killed Q2?", "Killed Q3?", "Killed done"}
	steps := []struct {
		text string
		// killAt is a count that reaches n at the moment to kill; "" kills
		// as soon as the webhook answered.
		killAt string
		n      int
	}{
		{"start", "", 0},
		{"a1", `SELECT COUNT(*) FROM webhook_batches WHERE attempts > 0`, 2},
		{"a2", `SELECT COUNT(*) FROM outbox WHERE attempts > 0`, 3},
		{"a3", `SELECT COUNT(*) FROM webhook_batches WHERE done_at > 0`, 4},
	}
	for i, step := range steps {
		hcSay(t, p, step.text) // answered 200: the batch is stored
		if step.killAt != "" {
			hcWaitCount(t, c.DB.SQL(), step.killAt, step.n)
		}
		hcKill(t, proc)
		proc = c.serve(t)
		p.WebhookURL = proc.URL + "/webhook"
		eventually(t, fmt.Sprintf("%q after %q", want[i], step.text), func() bool {
			return len(hcCollapse(hcTexts(p.Sent()))) >= i+1
		})
	}
	hcSettle(t, c.DB)
	got := hcTexts(p.Sent())
	if !slices.Equal(hcCollapse(got), want) {
		t.Fatalf("the person saw %q, want %q in order (a repeat at most once)", got, want)
	}
	for _, w := range want {
		if n := strings.Count(strings.Join(got, "\n")+"\n", w+"\n"); n > 2 {
			t.Fatalf("%q arrived %d times", w, n)
		}
	}
	hcExpectAnswers(t, proc.URL, c.Key, c.Flow.ID, p.PSID, "a1", "a2", "a3")
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM flow_answers`); n != 3 {
		t.Fatalf("%d answer rows, want 3", n)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM outbox`); n != len(want) {
		t.Fatalf("%d messages queued, want %d: an event was applied twice", n, len(want))
	}
}

// hcWaitCount polls a count closely until it reaches n, to act at (or just
// after) a moment of the server's work. Counts only grow, so it cannot miss.
func hcWaitCount(t testing.TB, db *sql.DB, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for hcCount(t, db, query) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s to reach %d", query, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRestartIntakeOnlyProcess: a process started with --workers 0 takes
// and stores webhooks but processes none; a second process with workers,
// on the same database, processes them all in order, and then what the
// first one keeps taking.
func TestRestartIntakeOnlyProcess(t *testing.T) {
	t.Parallel()
	c := hcNewCluster(t, "700000000001101", "Intake")
	intake := c.serve(t, "--workers", "0")
	p := c.person("2500000000001101", intake.URL)
	for _, text := range []string{"start", "a1", "a2"} {
		hcSay(t, p, text)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0 AND attempts = 0`); n != 3 {
		t.Fatalf("%d batches stored and untouched, want 3", n)
	}
	if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 0 {
		t.Fatalf("an intake-only process made %d subscribers", n)
	}
	hcExpectSent(t, p)

	worker := c.serve(t) // one worker by default
	hcWaitSent(t, p, 3)
	hcSettle(t, c.DB)
	hcExpectSent(t, p, "Intake Q1?", "Intake Q2?", "Intake Q3?")
	// The intake process goes on taking webhooks; the other one acts.
	hcSay(t, p, "a3")
	hcWaitSent(t, p, 4)
	hcSettle(t, c.DB)
	hcExpectSent(t, p, "Intake Q1?", "Intake Q2?", "Intake Q3?", "Intake done")
	hcExpectAnswers(t, intake.URL, c.Key, c.Flow.ID, p.PSID, "a1", "a2", "a3")
	hcExpectAnswers(t, worker.URL, c.Key, c.Flow.ID, p.PSID, "a1", "a2", "a3")
}

// hcPoll is eventually for goroutines other than the test's: it reports
// the time-out instead of failing the test.
func hcPoll(what string, cond func() bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// TestWebhookTwoProcessesOneDatabase runs two `xerochat serve` processes
// with workers on one database. 20 people run a 3-question flow at once,
// each message posted to the processes in turn, and for some people
// delivered again to the other process: every answer is stored once,
// every person sees their questions once and in order.
func TestWebhookTwoProcessesOneDatabase(t *testing.T) {
	t.Parallel()
	c := hcNewCluster(t, "700000000001201", "Pair")
	var procs [2]*serveProcess
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() { procs[i] = c.serve(t) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	const people = 20
	persons := make([]*fakegraph.Person, people)
	errs := make([]error, people)
	for i := range persons {
		persons[i] = c.person(fmt.Sprintf("2500000000012%02d", i), procs[0].URL)
	}
	for i, p := range persons {
		wg.Go(func() {
			errs[i] = func() error {
				for k, text := range []string{"start", fmt.Sprintf("a1-%d", i), fmt.Sprintf("a2-%d", i), fmt.Sprintf("a3-%d", i)} {
					p.WebhookURL = procs[(i+k)%2].URL + "/webhook"
					if _, err := p.Say(text); err != nil {
						return err
					}
					if i%4 == 0 {
						// Facebook delivers it again, to the other process.
						p.WebhookURL = procs[(i+k+1)%2].URL + "/webhook"
						if err := p.Redeliver(); err != nil {
							return err
						}
					}
					if err := hcPoll(fmt.Sprintf("message %d to %s", k+1, p.PSID), func() bool { return len(p.Sent()) >= k+1 }); err != nil {
						return err
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	hcSettle(t, c.DB)
	for i, p := range persons {
		hcExpectSent(t, p, "Pair Q1?", "Pair Q2?", "Pair Q3?", "Pair done")
		hcExpectAnswers(t, procs[i%2].URL, c.Key, c.Flow.ID, p.PSID,
			fmt.Sprintf("a1-%d", i), fmt.Sprintf("a2-%d", i), fmt.Sprintf("a3-%d", i))
	}
	// All answers, through get_all_subscriber_flow_info.
	res, err := http.Get(procs[1].URL + "/api/get_all_subscriber_flow_info?" +
		vals("api_key", c.Key, "flow_campaign_id", fmt.Sprint(c.Flow.ID)).Encode())
	if err != nil {
		t.Fatal(err)
	}
	var all struct {
		Data map[string][]struct {
			Answer string `json:"answer"`
		} `json:"data"`
	}
	err = json.NewDecoder(res.Body).Decode(&all)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Data) != people {
		t.Fatalf("get_all_subscriber_flow_info lists %d subscribers, want %d", len(all.Data), people)
	}
	for psid, answers := range all.Data {
		if len(answers) != 3 {
			t.Errorf("%s has %d answers, want 3", psid, len(answers))
		}
	}
	for table, want := range map[string]int{"subscribers": people, "flow_answers": 3 * people, "outbox": 4 * people} {
		if n := hcCount(t, c.DB.SQL(), `SELECT COUNT(*) FROM `+table); n != want {
			t.Errorf("%d rows in %s, want %d", n, table, want)
		}
	}
	if n := len(c.Fake.AllSent()); n != 4*people {
		t.Errorf("Facebook took %d messages, want %d", n, 4*people)
	}
	for _, p := range procs {
		if logs := hcStderr(p); strings.Contains(logs, "level=ERROR") {
			t.Errorf("a process logged an error:\n%s", logs)
		}
	}
}

// hcStderr is what a serve process has logged so far.
func hcStderr(p *serveProcess) string {
	w := p.cmd.Stderr.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return p.stderr.String()
}
