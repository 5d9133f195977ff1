package messenger_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/messenger"
)

// An event beyond the bounds of xerochat.Event.Validate drops itself, and
// only itself: the events around it in the batch are read.
func TestParseBatchDropsBadEventsAlone(t *testing.T) {
	good := `{` + from222 + `,"message":{"mid":"m_ok","text":"hello"}}`
	for _, tc := range []struct{ name, bad string }{
		{"PSID not a number", `{"sender":{"id":"22x"},"recipient":{"id":"111"},"timestamp":1,"message":{"mid":"m_b","text":"x"}}`},
		{"PSID too long", `{"sender":{"id":"` + strings.Repeat("9", 33) + `"},"recipient":{"id":"111"},"timestamp":1,"message":{"mid":"m_b","text":"x"}}`},
		{"text too long", `{` + from222 + `,"message":{"mid":"m_b","text":"` + strings.Repeat("é", 20001) + `"}}`},
		{"payload too long", `{` + from222 + `,"postback":{"mid":"m_b","payload":"` + strings.Repeat("P", 1001) + `"}}`},
		{"message id too long", `{` + from222 + `,"message":{"mid":"` + strings.Repeat("m", 256) + `","text":"x"}}`},
		{"referral too long", `{` + from222 + `,"referral":{"ref":"` + strings.Repeat("r", 600) + `","source":"ADS"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, err := messenger.ParseBatch([]byte(rawBatch(rawEntry(good, tc.bad, good))))
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 2 || events[0].Key != "m:m_ok" || events[1].Key != "m:m_ok" {
				t.Fatalf("got %+v; want the 2 good events, the bad one dropped", events)
			}
		})
	}
	label := func(id, name string) string {
		return rawBatch(`{"id":"111","time":5,"changes":[{"field":"inbox_labels","value":{"action":"add","label":{"id":"` + id +
			`","page_label_name":"` + name + `"},"user":{"id":"222"}}}]}`)
	}
	for _, body := range []string{label("L1", "VIP"), label("9001", strings.Repeat("n", 256))} {
		if events, _ := messenger.ParseBatch([]byte(body)); len(events) != 0 {
			t.Errorf("a label event with a bad id or name was read: %+v", events)
		}
	}
	if events, _ := messenger.ParseBatch([]byte(label("9001", strings.Repeat("n", 255)))); len(events) != 1 {
		t.Error("a label name of exactly the bound was dropped")
	}
}

// A batch with more events than messenger.MaxBatchEvents is refused at intake.
func TestWebhookRefusesHugeBatches(t *testing.T) {
	srv, store, _ := newWebhook(t, webhookSecret)
	post := func(n int) int {
		t.Helper()
		events := make([]string, n)
		for i := range events {
			events[i] = `{` + from222 + `,"message":{"text":"x"}}`
		}
		body := []byte(rawBatch(rawEntry(events...)))
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", fakegraph.Signature(webhookSecret, body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post(messenger.MaxBatchEvents); got != http.StatusOK {
		t.Fatalf("a batch of %d events: %d", messenger.MaxBatchEvents, got)
	}
	if got := post(messenger.MaxBatchEvents + 1); got != http.StatusRequestEntityTooLarge {
		t.Fatalf("a batch of %d events: %d, want 413", messenger.MaxBatchEvents+1, got)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.bodies) != 1 {
		t.Fatalf("stored %d batches, want only the first", len(store.bodies))
	}
}

// A body of several pages is stored as one batch per page, in the page's
// lane, each entry byte for byte; a body of one page is stored as it came.
func TestWebhookSplitsPagesIntoLanes(t *testing.T) {
	srv, store, _ := newWebhook(t, webhookSecret)
	post := func(body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", fakegraph.Signature(webhookSecret, []byte(body)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST: %d", res.StatusCode)
		}
	}
	one := rawBatch(rawEntry(`{` + from222 + `,"message":{"mid":"m_1","text":"a"}}`))
	post(one)
	e111a := `{"id":"111","time":1,"messaging":[{"sender":{"id":"9"},"recipient":{"id":"111"},"timestamp":1,"message":{"mid":"m_2","text":"b"}}]}`
	e444 := `{"id":"444","time":1,"messaging":[{"sender":{"id":"9"},"recipient":{"id":"444"},"timestamp":1,"message":{"mid":"m_3","text":"c"}}]}`
	e111b := `{"id":"111","time":2,"messaging":[{"sender":{"id":"9"},"recipient":{"id":"111"},"timestamp":2,"message":{"mid":"m_4","text":"d"}}]}`
	post(`{"object":"page","entry":[` + e111a + `,` + e444 + `,` + e111b + `]}`)
	store.mu.Lock()
	defer store.mu.Unlock()
	wantLanes := []string{"111", "111", "444"}
	wantBodies := []string{one, `{"object":"page","entry":[` + e111a + `,` + e111b + `]}`, `{"object":"page","entry":[` + e444 + `]}`}
	if len(store.bodies) != 3 {
		t.Fatalf("stored %d batches, want 3", len(store.bodies))
	}
	for i := range wantLanes {
		if store.lanes[i] != wantLanes[i] || string(store.bodies[i]) != wantBodies[i] {
			t.Errorf("batch %d: lane %q body %s\nwant lane %q body %s", i, store.lanes[i], store.bodies[i], wantLanes[i], wantBodies[i])
		}
	}
}
