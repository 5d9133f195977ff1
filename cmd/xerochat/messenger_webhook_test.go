package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
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
