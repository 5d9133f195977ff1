package messenger_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// TestWebhookVerification answers Facebook's subscription check with the
// challenge only for the right mode and token.

func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	token, challenge := xerochattest.VerifyToken, "1158201444"
	tests := []struct {
		name   string
		query  string
		status int
	}{
		{"right mode and token", "hub.mode=subscribe&hub.verify_token=" + token + "&hub.challenge=" + challenge, 200},
		{"wrong token", "hub.mode=subscribe&hub.verify_token=verify-you&hub.challenge=" + challenge, 403},
		{"token in other case", "hub.mode=subscribe&hub.verify_token=" + strings.ToUpper(token) + "&hub.challenge=" + challenge, 403},
		{"empty token", "hub.mode=subscribe&hub.verify_token=&hub.challenge=" + challenge, 403},
		{"wrong mode", "hub.mode=unsubscribe&hub.verify_token=" + token + "&hub.challenge=" + challenge, 403},
		{"missing mode", "hub.verify_token=" + token + "&hub.challenge=" + challenge, 403},
		{"missing token", "hub.mode=subscribe&hub.challenge=" + challenge, 403},
		{"missing everything", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Get(s.URL + "/webhook?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %s)", res.StatusCode, tt.status, body)
			}
			if tt.status == 200 && string(body) != challenge {
				t.Fatalf("body %q, want the challenge alone", body)
			}
			if tt.status != 200 && strings.Contains(string(body), challenge) {
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
	s := xerochattest.NewServer(t)
	m := s.NewMember("refused@example.com", "700000000000101")
	fc := s.CreateFlow(m, xerochattest.Survey("Refused", 2))
	psid := "2500000000000101"
	p := s.Person(m, psid, fakegraph.Profile{FirstName: "Zoë"})
	event := xerochattest.Message(m.PageID, psid, "m_refused_1", "start")
	// Non-ASCII text makes Facebook's escaped encoding differ from raw UTF-8.
	batch := map[string]any{"object": "page", "entry": []any{xerochattest.Entry(m.PageID, "messaging",
		event, xerochattest.Message(m.PageID, psid, "m_refused_2", "Zoë says hi"))}}
	escaped, err := fakegraph.FacebookJSON(batch) // what Facebook sends and signs
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(batch) // the same batch with raw UTF-8
	if bytes.Equal(escaped, plain) {
		t.Fatal("test setup: the two encodings should differ")
	}
	sig := func(b []byte) string { return fakegraph.Signature(xerochattest.AppSecret, b) }
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
			if status := xerochattest.PostWebhook(t, s.URL, tt.body, tt.sig); status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches`); n != 0 {
				t.Fatalf("%d batches stored, want none", n)
			}
		})
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 0 {
		t.Fatalf("%d subscribers after refused batches, want none", n)
	}
	if sent := s.Fake.AllSent(); len(sent) != 0 {
		t.Fatalf("refused batches made the page send %q", xerochattest.Texts(sent))
	}
	// The same bytes, signed as Facebook signs them, are taken.
	xerochattest.PostSigned(t, s.URL, escaped)
	xerochattest.WaitSent(t, p, 1)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Refused Q1?", "Refused Q2?")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, psid, "Zoë says hi")
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches`); n != 1 {
		t.Fatalf("%d batches stored, want 1", n)
	}
}

// TestWebhookBatchInOrder sends one batch with several entries, messaging
// and standby events, receipts and an echo: the events take effect in the
// order Facebook wrote them, each once, and a later batch carries on.
func TestWebhookBatchInOrder(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("order@example.com", "700000000000201")
	fc := s.CreateFlow(m, xerochattest.Survey("Order", 3))
	a := s.Person(m, "2500000000000201", fakegraph.Profile{FirstName: "A"})
	b := s.Person(m, "2500000000000202", fakegraph.Profile{FirstName: "B"})
	c := s.Person(m, "2500000000000203", fakegraph.Profile{FirstName: "C"})
	msg := func(p *fakegraph.Person, mid, text string) map[string]any {
		return xerochattest.Message(m.PageID, p.PSID, mid, text)
	}
	receipt := xerochattest.Event(m.PageID, a.PSID, xerochattest.Timestamp())
	receipt["delivery"] = map[string]any{"mids": []string{"m_x"}, "watermark": xerochattest.Timestamp()}
	read := xerochattest.Event(m.PageID, b.PSID, xerochattest.Timestamp())
	read["read"] = map[string]any{"watermark": xerochattest.Timestamp()}
	// The page's own "start", echoed back: it must not restart A's flow.
	echo := xerochattest.Event(m.PageID, m.PageID, xerochattest.Timestamp())
	echo["recipient"] = map[string]string{"id": a.PSID}
	echo["message"] = map[string]any{"mid": "m_order_echo", "is_echo": true, "app_id": 1, "text": "start"}
	body := xerochattest.Batch(t,
		xerochattest.Entry(m.PageID, "messaging", msg(a, "m_order_1", "start"), msg(a, "m_order_2", "a1"), msg(b, "m_order_3", "start")),
		xerochattest.Entry(m.PageID, "standby", msg(a, "m_order_4", "a2"), msg(b, "m_order_5", "b1")),
		xerochattest.Entry(m.PageID, "messaging", receipt, echo, read, msg(a, "m_order_6", "a3"), msg(b, "m_order_7", "b2"),
			msg(c, "m_order_8", "start")),
	)
	xerochattest.PostSigned(t, s.URL, body)
	xerochattest.WaitSent(t, c, 1)
	s.Settle()
	xerochattest.ExpectSent(t, a, "Order Q1?", "Order Q2?", "Order Q3?", "Order done")
	xerochattest.ExpectSent(t, b, "Order Q1?", "Order Q2?", "Order Q3?")
	xerochattest.ExpectSent(t, c, "Order Q1?")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, a.PSID, "a1", "a2", "a3")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, b.PSID, "b1", "b2")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, c.PSID)

	// A later batch is processed too.
	xerochattest.PostSigned(t, s.URL, xerochattest.Batch(t, xerochattest.Entry(m.PageID, "messaging", msg(c, "m_order_9", "c1"), msg(b, "m_order_10", "b3"))))
	xerochattest.WaitSent(t, b, 4)
	s.Settle()
	xerochattest.ExpectSent(t, b, "Order Q1?", "Order Q2?", "Order Q3?", "Order done")
	xerochattest.ExpectSent(t, c, "Order Q1?", "Order Q2?")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, b.PSID, "b1", "b2", "b3")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, c.PSID, "c1")
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 3 {
		t.Fatalf("%d subscribers, want 3", n)
	}
}

// TestWebhookUnknownAndDisabledPages: events for a page nobody connected
// and for a page whose bot is disabled create nothing and send nothing,
// and neither holds up the events after them.
func TestWebhookUnknownAndDisabledPages(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("pages@example.com", "700000000000301")
	fc := s.CreateFlow(m, xerochattest.Survey("Pages", 2))
	const disabledID, unknownID = "700000000000302", "700000000000303"
	// A second page of the member, connected with its bot off, and a page
	// nobody connected.
	off := &xerochattest.Member{ID: m.ID, Key: m.Key, PageID: disabledID}
	off.Page = s.ConnectPage(off, disabledID, false)
	s.CreateFlow(off, xerochattest.Survey("Off", 2))
	s.Fake.AddPage(unknownID, "token-"+unknownID, "Unknown")
	good := s.Person(m, "2500000000000301", fakegraph.Profile{FirstName: "Good"})
	offP := s.Person(off, "2500000000000302", fakegraph.Profile{FirstName: "Off"})
	unknownP := s.Person(&xerochattest.Member{PageID: unknownID}, "2500000000000303", fakegraph.Profile{FirstName: "Nobody"})

	postback := func(pageID, psid, payload string) map[string]any {
		ev := xerochattest.Event(pageID, psid, xerochattest.Timestamp())
		ev["postback"] = map[string]any{"mid": fmt.Sprintf("m_pages_pb_%s_%d", psid, xerochattest.Timestamp()), "payload": payload}
		return ev
	}
	labelChange := map[string]any{"id": disabledID, "time": xerochattest.Timestamp(), "changes": []any{map[string]any{"field": "inbox_labels",
		"value": map[string]any{"action": "add", "label": map[string]string{"id": "9100", "page_label_name": "VIP"},
			"user": map[string]string{"id": offP.PSID}}}}}
	// One batch: the unknown and the disabled page first, the good page last.
	xerochattest.PostSigned(t, s.URL, xerochattest.Batch(t,
		xerochattest.Entry(unknownID, "messaging", xerochattest.Message(unknownID, unknownP.PSID, "m_pages_1", "start"), postback(unknownID, unknownP.PSID, "SURVEY")),
		xerochattest.Entry(disabledID, "messaging", xerochattest.Message(disabledID, offP.PSID, "m_pages_2", "start"), postback(disabledID, offP.PSID, "SURVEY")),
		labelChange,
		xerochattest.Entry(m.PageID, "messaging", xerochattest.Message(m.PageID, good.PSID, "m_pages_3", "start")),
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
	xerochattest.Say(t, good, "g1")
	xerochattest.WaitSent(t, good, 2)
	s.Settle()
	xerochattest.ExpectSent(t, good, "Pages Q1?", "Pages Q2?")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, good.PSID, "g1")
	if sent := s.Fake.AllSent(); len(sent) != 2 {
		t.Fatalf("the page sent %d messages, want only the 2 to %s: %+v", len(sent), good.PSID, sent)
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
		t.Fatalf("%d subscribers, want only the one of the connected, enabled page", n)
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM labels`); n != 0 {
		t.Fatalf("an inbox_labels change for a disabled page stored %d labels", n)
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM flow_answers`); n != 1 {
		t.Fatalf("%d answers stored, want 1", n)
	}
	res := s.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", offP.PSID))
	if msg := res.Message(t); msg != xerochat.MsgSubscriberNotFound {
		t.Fatalf("subscriber_information for a person of the disabled page: %s", res.Body)
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0`); n != 0 {
		t.Fatalf("%d batches left unprocessed", n)
	}
}

// TestWebhookUnreadableBatch: a batch that is JSON but not in Facebook's
// shape is taken (it is not malformed), has no effect, and does not stop
// the batches after it.
func TestWebhookUnreadableBatch(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("unreadable@example.com", "700000000000251")
	s.CreateFlow(m, xerochattest.Survey("Unreadable", 2))
	p := s.Person(m, "2500000000000251", fakegraph.Profile{FirstName: "U"})
	for _, body := range []string{
		`{"object":"page","entry":"not a list"}`,
		`{"object":"page","entry":[{"id":"` + m.PageID + `","time":1,"messaging":[{"sender":{"id":` + p.PSID + `},"message":{"mid":"m_u","text":"hello"}}]}]}`,
	} {
		xerochattest.PostSigned(t, s.URL, []byte(body))
	}
	xerochattest.Say(t, p, "start")
	xerochattest.WaitSent(t, p, 1)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Unreadable Q1?")
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0`); n != 0 {
		t.Fatalf("%d batches left unprocessed", n)
	}
}

// TestWebhookPoisonEvent: one person's message the database cannot take as
// it is — a NUL character, which JSON and Messenger carry but PostgreSQL
// text cannot hold — must not cost the other people's events in the same
// batch, nor the person's own message.
func TestWebhookPoisonEvent(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("poison@example.com", "700000000000261")
	s.CreateFlow(m, xerochattest.Survey("Poison", 2))
	p := s.Person(m, "2500000000000261", fakegraph.Profile{FirstName: "P"})
	q := s.Person(m, "2500000000000262", fakegraph.Profile{FirstName: "Q"})
	xerochattest.Say(t, p, "start")
	xerochattest.WaitSent(t, p, 1)
	xerochattest.PostSigned(t, s.URL, xerochattest.Batch(t, xerochattest.Entry(m.PageID, "messaging",
		xerochattest.Message(m.PageID, p.PSID, "m_poison_1", "a\x00b"),
		xerochattest.Message(m.PageID, q.PSID, "m_poison_2", "start"))))
	// On failure, the batch is retried and finally set aside with every
	// event after the poisoned one.
	xerochattest.Eventually(t, "question 1 to the other person of the batch", func() bool { return len(q.Sent()) >= 1 })
	xerochattest.WaitSent(t, p, 2) // question 2, or a re-prompt: the message was handled
	s.Settle()
	xerochattest.ExpectSent(t, q, "Poison Q1?")
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE last_error <> ''`); n != 0 {
		t.Fatalf("%d batches failed on the way", n)
	}
}

// TestWebhookRedelivery: Facebook delivers again what did not get a quick
// 200, sometimes inside a different batch. Every event takes effect once:
// a re-applied trigger would send question 1 again, a re-applied answer
// would be stored as the answer to the next question.
func TestWebhookRedelivery(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("again@example.com", "700000000000401")
	fc := s.CreateFlow(m, xerochattest.Survey("Again", 3))
	p := s.Person(m, "2500000000000401", fakegraph.Profile{FirstName: "Again"})
	redeliver := func(times int) {
		t.Helper()
		for range times {
			if err := p.Redeliver(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The trigger, delivered four times one after the other.
	xerochattest.Say(t, p, "start")
	redeliver(3)
	xerochattest.WaitSent(t, p, 1)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Again Q1?")

	// The first answer, delivered four times at once.
	xerochattest.Say(t, p, "a1")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if status, err := p.PostRaw(p.LastBody, true); err != nil || status != http.StatusOK {
				t.Errorf("re-delivery: %d, %v", status, err)
			}
		})
	}
	wg.Wait()
	xerochattest.WaitSent(t, p, 2)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Again Q1?", "Again Q2?")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, p.PSID, "a1")

	// One mid in two different batches, and twice within the second one
	// (under messaging and under standby).
	a2 := xerochattest.Message(m.PageID, p.PSID, "m_again_a2", "a2")
	a3 := xerochattest.Message(m.PageID, p.PSID, "m_again_a3", "a3")
	xerochattest.PostSigned(t, s.URL, xerochattest.Batch(t, xerochattest.Entry(m.PageID, "messaging", a2)))
	second := xerochattest.Entry(m.PageID, "messaging", a2, a3)
	second["standby"] = []any{a2}
	xerochattest.PostSigned(t, s.URL, xerochattest.Batch(t, second))
	xerochattest.WaitSent(t, p, 4)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Again Q1?", "Again Q2?", "Again Q3?", "Again done")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, p.PSID, "a1", "a2", "a3")

	// A postback without mid (as Facebook sends older ones) delivered three
	// times restarts the flow once.
	noMID := xerochattest.Event(m.PageID, p.PSID, xerochattest.Timestamp())
	noMID["postback"] = map[string]any{"title": "Survey", "payload": "SURVEY"}
	pb := xerochattest.Batch(t, xerochattest.Entry(m.PageID, "messaging", noMID))
	for range 3 {
		xerochattest.PostSigned(t, s.URL, pb)
	}
	xerochattest.WaitSent(t, p, 5)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Again Q1?", "Again Q2?", "Again Q3?", "Again done", "Again Q1?")

	// A referral delivered twice, then a message: the referral is recorded,
	// and the message is the answer to question 1, not a re-applied one.
	if err := p.Refer("SHORTLINK", "promo"); err != nil {
		t.Fatal(err)
	}
	redeliver(1)
	xerochattest.Say(t, p, "b1")
	xerochattest.WaitSent(t, p, 6)
	s.Settle()
	xerochattest.ExpectSent(t, p, "Again Q1?", "Again Q2?", "Again Q3?", "Again done", "Again Q1?", "Again Q2?")
	xerochattest.ExpectAnswers(t, s.URL, m.Key, fc.ID, p.PSID, "b1", "a2", "a3")
	if info := s.SubscriberInfo(m, p.PSID); info["refferer_source"] != "SHORTLINK:promo" {
		t.Fatalf("subscriber_info after a referral: %v", info)
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	if n := xerochattest.Count(t, s.DB.SQL(), `SELECT COUNT(*) FROM outbox`); n != 6 {
		t.Fatalf("%d messages queued in all, want the 6 the person saw", n)
	}
}
