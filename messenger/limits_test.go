package messenger

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
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
			events, dropped, err := parseBatch([]byte(rawBatch(rawEntry(good, tc.bad, good))))
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 2 || events[0].Key != "m:m_ok" || len(dropped) != 1 {
				t.Fatalf("got %d events and %d dropped (%v); want the 2 good ones and the bad one dropped", len(events), len(dropped), dropped)
			}
		})
	}
	label := func(id, name string) string {
		return rawBatch(`{"id":"111","time":5,"changes":[{"field":"inbox_labels","value":{"action":"add","label":{"id":"` + id +
			`","page_label_name":"` + name + `"},"user":{"id":"222"}}}]}`)
	}
	for _, body := range []string{label("L1", "VIP"), label("9001", strings.Repeat("n", 256))} {
		if events, dropped, _ := parseBatch([]byte(body)); len(events) != 0 || len(dropped) != 1 {
			t.Errorf("a label event with a bad id or name was read: %+v", events)
		}
	}
	if events, _, _ := parseBatch([]byte(label("9001", strings.Repeat("n", 255)))); len(events) != 1 {
		t.Error("a label name of exactly the bound was dropped")
	}
}

// A batch with more events than MaxBatchEvents is refused at intake.
func TestWebhookRefusesHugeBatches(t *testing.T) {
	srv, store, _ := newHook(t, hookSecret)
	post := func(n int) int {
		t.Helper()
		events := make([]string, n)
		for i := range events {
			events[i] = `{` + from222 + `,"message":{"text":"x"}}`
		}
		body := []byte(rawBatch(rawEntry(events...)))
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", hookSign(hookSecret, body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post(MaxBatchEvents); got != http.StatusOK {
		t.Fatalf("a batch of %d events: %d", MaxBatchEvents, got)
	}
	if got := post(MaxBatchEvents + 1); got != http.StatusRequestEntityTooLarge {
		t.Fatalf("a batch of %d events: %d, want 413", MaxBatchEvents+1, got)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.bodies) != 1 {
		t.Fatalf("stored %d batches, want only the first", len(store.bodies))
	}
}
