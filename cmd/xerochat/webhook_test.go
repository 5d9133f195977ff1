package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// The forged-webhook attack: without an app secret, serve refuses every
// webhook POST, signed or not, and says why at start; --webhook-insecure
// opens it for local development, with a warning of its own.
func TestServeWebhookNeedsAppSecret(t *testing.T) {
	t.Parallel()
	forged := `{"object":"page","entry":[{"id":"111","time":1,"messaging":[{"sender":{"id":"222"},"recipient":{"id":"111"},"timestamp":1,"message":{"mid":"m_1","text":"hi"}}]}]}`
	post := func(base string) int {
		t.Helper()
		res, err := http.Post(base+"/webhook", "application/json", strings.NewReader(forged))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	closed := startServe(t, "--db", sqlstoretest.URL(t), "--graph-url", "http://127.0.0.1:1")
	if got := post(closed.URL); got != http.StatusForbidden {
		t.Errorf("unsigned POST without an app secret: %d, want 403", got)
	}
	if !strings.Contains(closed.stderr.String(), "no --fb-app-secret: webhook POSTs are refused") {
		t.Errorf("no startup warning about the missing app secret:\n%s", closed.stderr)
	}
	open := startServe(t, "--db", sqlstoretest.URL(t), "--graph-url", "http://127.0.0.1:1", "--webhook-insecure")
	if got := post(open.URL); got != http.StatusOK {
		t.Errorf("unsigned POST with --webhook-insecure: %d, want 200", got)
	}
	if !strings.Contains(open.stderr.String(), "--webhook-insecure") {
		t.Errorf("no warning about --webhook-insecure:\n%s", open.stderr)
	}
	signed := startServe(t, "--db", sqlstoretest.URL(t), "--graph-url", "http://127.0.0.1:1", "--fb-app-secret", "s3cret")
	fb := fakegraph.New()
	t.Cleanup(fb.Close)
	fb.AddPage("111", "tok", "Page")
	person := fb.Person("111", "222", fakegraph.Profile{}, signed.URL+"/webhook", "wrong-secret")
	if _, err := person.Say("hi"); err == nil {
		t.Error("a post signed with another secret was taken")
	}
	if got := post(signed.URL); got != http.StatusForbidden {
		t.Errorf("unsigned POST with an app secret set: %d, want 403", got)
	}
}
