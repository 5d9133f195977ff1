package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
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

// TestServeRetention checks that --retention reaches the workers: a batch
// processed longer ago than it is deleted when a worker starts, and
// --retention 0 keeps everything.
func TestServeRetention(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.URL(t)
	p := startServe(t, "--db", db, "--graph-url", "http://127.0.0.1:1", "--webhook-insecure")
	event := `{"object":"page","entry":[{"id":"111","time":1,"messaging":[{"sender":{"id":"222"},"recipient":{"id":"111"},"timestamp":1,"message":{"mid":"m_1","text":"hi"}}]}]}`
	res, err := http.Post(p.URL+"/webhook", "application/json", strings.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// The page is not connected: the worker drops the event and marks the
	// batch processed.
	xerochattest.Eventually(t, "the batch to be processed", func() bool {
		return strings.Contains(p.stderr.String(), "messenger: event dropped")
	})
	// The drop is logged before the batch's transaction commits.
	store, err := sqlstore.Open(context.Background(), db, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	xerochattest.Eventually(t, "the batch to be marked done", func() bool {
		batches, _, _, err := store.Backlog(context.Background())
		return err == nil && batches == 0
	})
	done := time.Now()
	store.Close()
	p.stop(t)
	// done_at is kept in whole seconds and a 1s retention prunes a batch
	// only when done_at < floor(now-1s): past done+2s that holds, whatever
	// fraction of its second the batch was done in.
	time.Sleep(time.Until(done.Add(2100 * time.Millisecond)))

	pruned := regexp.MustCompile(`msg="messenger: pruned" batches=1 `)
	kept := startServe(t, "--db", db, "--graph-url", "http://127.0.0.1:1", "--retention", "0")
	kept.stop(t)
	if pruned.MatchString(kept.stderr.String()) {
		t.Errorf("--retention 0 pruned:\n%s", kept.stderr)
	}
	short := startServe(t, "--db", db, "--graph-url", "http://127.0.0.1:1", "--retention", "1s")
	xerochattest.Eventually(t, "the processed batch to be pruned", func() bool {
		return pruned.MatchString(short.stderr.String())
	})
}
