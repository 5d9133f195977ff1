package messenger_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/messenger"
)

// memIntake keeps batches in memory. The webhook is a pure HTTP unit: what
// it stores is all that matters here; intake on the real store is tested
// end to end in intake_test.go.
type memIntake struct {
	mu     sync.Mutex
	bodies [][]byte
	lanes  []string
	err    error
}

func (m *memIntake) StoreBatch(_ context.Context, lane string, body []byte) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	m.bodies = append(m.bodies, bytes.Clone(body))
	m.lanes = append(m.lanes, lane)
	return int64(len(m.bodies)), nil
}

const (
	webhookSecret = "hook-secret"
	webhookToken  = "hook-token"
)

// unsignedOK, given as newWebhook's secret, makes a webhook without a
// secret that takes unsigned posts (AllowUnsigned: local development).
const unsignedOK = "unsigned"

// newWebhook starts a Webhook on httptest; stored counts calls of Stored.
func newWebhook(t *testing.T, secret string) (srv *httptest.Server, store *memIntake, stored *int) {
	t.Helper()
	store, stored = &memIntake{}, new(int)
	var mu sync.Mutex
	h := &messenger.Webhook{Store: store, AppSecret: strings.TrimPrefix(secret, unsignedOK), VerifyToken: webhookToken,
		AllowUnsigned: secret == unsignedOK,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Stored:        func() { mu.Lock(); *stored++; mu.Unlock() }}
	srv = httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, store, stored
}

func TestWebhookVerify(t *testing.T) {
	srv, _, _ := newWebhook(t, webhookSecret)
	tests := []struct {
		name   string
		query  url.Values
		status int
		body   string
	}{
		{"right token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {webhookToken}, "hub.challenge": {"1158201444"}}, 200, "1158201444"},
		{"challenge given back verbatim", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {webhookToken}, "hub.challenge": {"a b&c<é>"}}, 200, "a b&c<é>"},
		{"wrong token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"nope"}, "hub.challenge": {"1"}}, 403, ""},
		{"token of another case", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {strings.ToUpper(webhookToken)}, "hub.challenge": {"1"}}, 403, ""},
		{"token prefix", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {webhookToken[:4]}, "hub.challenge": {"1"}}, 403, ""},
		{"wrong mode", url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {webhookToken}, "hub.challenge": {"1"}}, 403, ""},
		{"no mode", url.Values{"hub.verify_token": {webhookToken}, "hub.challenge": {"1"}}, 403, ""},
		{"no token", url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1"}}, 403, ""},
		{"nothing", url.Values{}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Get(srv.URL + "?" + tt.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", res.StatusCode, tt.status, body)
			}
			if tt.status == 200 && string(body) != tt.body {
				t.Fatalf("body %q, want the challenge %q", body, tt.body)
			}
			if tt.status == 200 && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("Content-Type %q: a challenge must not be sniffed as HTML", res.Header.Get("Content-Type"))
			}
			if tt.status != 200 && strings.Contains(string(body), "1158201444") {
				t.Fatalf("a refused verification gave back the challenge: %s", body)
			}
		})
	}
}

func TestWebhookVerifyWithoutToken(t *testing.T) {
	// A server without a verify token configured verifies nothing, not even
	// an empty token.
	h := &messenger.Webhook{Store: &memIntake{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + "?hub.mode=subscribe&hub.verify_token=&hub.challenge=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", res.StatusCode)
	}
}

func TestWebhookReceive(t *testing.T) {
	t.Parallel()
	valid := []byte(`{"object":"page","entry":[{"id":"111","time":1,"messaging":[{"sender":{"id":"222"},"recipient":{"id":"111"},"timestamp":1,"message":{"mid":"m_1","text":"Zo\u00eb"}}]}]}`)
	// The same batch as another encoder would write it: the signature is over
	// bytes, so it does not carry over.
	reencoded := bytes.Replace(valid, []byte(`Zo\u00eb`), []byte("Zoë"), 1)
	// Exactly messenger.MaxWebhookBytes, padded in a field the server does not read.
	pad := `{"object":"page","entry":[],"pad":"`
	exact := []byte(pad + strings.Repeat("x", messenger.MaxWebhookBytes-len(pad)-2) + `"}`)
	over := []byte(pad + strings.Repeat("x", messenger.MaxWebhookBytes-len(pad)-1) + `"}`)
	good := func(b []byte) string { return fakegraph.Signature(webhookSecret, b) }
	tests := []struct {
		name   string
		secret string
		body   []byte
		sig    string // the X-Hub-Signature-256 header, "" for none
		status int
		stored bool
	}{
		{"signed", webhookSecret, valid, good(valid), 200, true},
		{"no secret configured refuses unsigned", "", valid, "", 403, false},
		{"no secret configured refuses signed", "", valid, good(valid), 403, false},
		{"a development server takes unsigned", unsignedOK, valid, "", 200, true},
		{"missing signature", webhookSecret, valid, "", 403, false},
		{"other secret", webhookSecret, valid, fakegraph.Signature("other", valid), 403, false},
		{"signature of other bytes", webhookSecret, valid, good(reencoded), 403, false},
		{"re-encoded body under the original signature", webhookSecret, reencoded, good(valid), 403, false},
		{"sha1 prefix", webhookSecret, valid, "sha1=" + strings.TrimPrefix(good(valid), "sha256="), 403, false},
		{"no prefix", webhookSecret, valid, strings.TrimPrefix(good(valid), "sha256="), 403, false},
		{"not hex", webhookSecret, valid, "sha256=zz" + good(valid)[9:], 403, false},
		{"truncated", webhookSecret, valid, good(valid)[:len(good(valid))-2], 403, false},
		{"empty digest", webhookSecret, valid, "sha256=", 403, false},
		{"bad signature before malformed JSON", webhookSecret, []byte(`{"object":`), "sha256=00", 403, false},
		{"malformed JSON", webhookSecret, []byte(`{"object":"page","entry":[`), good([]byte(`{"object":"page","entry":[`)), 400, false},
		{"empty body", webhookSecret, []byte{}, good([]byte{}), 400, false},
		{"JSON array", webhookSecret, []byte(`[{"object":"page"}]`), good([]byte(`[{"object":"page"}]`)), 400, false},
		{"object user is ignored", webhookSecret, []byte(`{"object":"user","entry":[]}`), good([]byte(`{"object":"user","entry":[]}`)), 200, false},
		{"object instagram is ignored", webhookSecret, []byte(`{"object":"instagram","entry":[]}`), good([]byte(`{"object":"instagram","entry":[]}`)), 200, false},
		{"no object is ignored", webhookSecret, []byte(`{"entry":[]}`), good([]byte(`{"entry":[]}`)), 200, false},
		{"exactly the size limit", webhookSecret, exact, good(exact), 200, true},
		{"over the size limit", webhookSecret, over, good(over), 413, false},
		{"over the size limit, unsigned", webhookSecret, over, "", 413, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, store, stored := newWebhook(t, tt.secret)
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.sig != "" {
				req.Header.Set("X-Hub-Signature-256", tt.sig)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", res.StatusCode, tt.status, body)
			}
			srv.Close() // waits for the handler: nothing more can be stored
			switch {
			case tt.stored && (len(store.bodies) != 1 || !bytes.Equal(store.bodies[0], tt.body)):
				t.Fatalf("stored %d batches; want exactly the bytes received", len(store.bodies))
			case !tt.stored && len(store.bodies) != 0:
				t.Fatalf("stored %d batches, want none", len(store.bodies))
			}
			if want := map[bool]int{true: 1, false: 0}[tt.stored]; *stored != want {
				t.Fatalf("Stored called %d times, want %d", *stored, want)
			}
		})
	}
}

func TestWebhookStoreFailure(t *testing.T) {
	srv, store, stored := newWebhook(t, webhookSecret)
	store.err = errors.New("disk full")
	body := []byte(`{"object":"page","entry":[]}`)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", fakegraph.Signature(webhookSecret, body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// Not 200: Facebook must deliver the batch again.
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 so that Facebook retries", res.StatusCode)
	}
	srv.Close()
	if *stored != 0 {
		t.Fatalf("Stored called %d times after a failed store", *stored)
	}
}

func TestWebhookMethods(t *testing.T) {
	srv, store, _ := newWebhook(t, webhookSecret)
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		body := []byte(`{"object":"page","entry":[]}`)
		req, _ := http.NewRequest(method, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", fakegraph.Signature(webhookSecret, body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, POST" {
			t.Errorf("%s: status %d, Allow %q; want 405 with Allow: GET, POST", method, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	srv.Close()
	if len(store.bodies) != 0 {
		t.Fatalf("stored %d batches from other methods", len(store.bodies))
	}
}
