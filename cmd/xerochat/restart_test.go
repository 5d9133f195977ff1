package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// holdingProxy forwards Graph calls to the fake. While holding, a message
type holdingProxy struct {
	target   string
	hold     atomic.Bool
	accepted chan struct{} // gets one value per held message
}

func (h *holdingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		ts    *xerochattest.Server
		proxy *holdingProxy
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
				xerochattest.Eventually(t, "question 3 tried and put back", func() bool {
					return xerochattest.Count(t, e.ts.DB.SQL(), `SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND last_error <> ''`) == 1
				})
			},
			afterStop: func(t *testing.T, e env) { e.ts.Fake.Down(false) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := fakegraph.New()
			t.Cleanup(fake.Close)
			proxy := &holdingProxy{target: fake.URL(), accepted: make(chan struct{}, 10)}
			proxyServer := httptest.NewServer(proxy)
			t.Cleanup(proxyServer.Close)
			dbURL := sqlstoretest.URL(t)
			first, stopFirst := startMain(t, dbURL, proxyServer.URL, fake)
			e := env{ts: first, proxy: proxy}
			m := first.NewMember("restart@example.com", fmt.Sprintf("70000000000090%d", i))
			fc := first.CreateFlow(m, xerochattest.Survey("Restart", 3))
			p := first.Person(m, fmt.Sprintf("250000000000090%d", i), fakegraph.Profile{FirstName: "Re"})
			xerochattest.Say(t, p, "start")
			xerochattest.WaitSent(t, p, 1)
			xerochattest.Say(t, p, "a1")
			xerochattest.WaitSent(t, p, 2)
			first.Settle()
			if tt.beforeAnswer != nil {
				tt.beforeAnswer(t, e)
			}
			if !tt.answerLate {
				xerochattest.Say(t, p, "a2")
			}
			if tt.beforeStop != nil {
				tt.beforeStop(t, e)
			}
			stopFirst()
			if tt.afterStop != nil {
				tt.afterStop(t, e)
			}

			second, _ := startMain(t, dbURL, fake.URL(), fake)
			p.WebhookURL = second.URL + "/webhook"
			if tt.answerLate {
				xerochattest.Say(t, p, "a2")
			}
			xerochattest.WaitSent(t, p, 3)
			xerochattest.Say(t, p, "a3")
			xerochattest.WaitSent(t, p, 4)
			second.Settle()
			xerochattest.ExpectSent(t, p, "Restart Q1?", "Restart Q2?", "Restart Q3?", "Restart done")
			xerochattest.ExpectAnswers(t, second.URL, m.Key, fc.ID, p.PSID, "a1", "a2", "a3")
			if n := xerochattest.Count(t, second.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
				t.Fatalf("%d subscribers, want 1", n)
			}
		})
	}
}

// startMain runs the command's own Main in the test process, composed as
// serve composes it, on dbURL with the kit's webhook secrets, one worker and
// its Graph calls sent to graphURL (fake, or a proxy in front of it), so
// that a test can stop it and start another on the same data. The kit's
// fixtures drive it. stop closes it in Main's order, once; it also runs
// when the test ends.
func startMain(t *testing.T, dbURL, graphURL string, fake *fakegraph.Server) (s *xerochattest.Server, stop func()) {
	t.Helper()
	var out bytes.Buffer
	logs := &xerochattest.Logs{}
	m := &Main{
		Config: Config{Addr: "127.0.0.1:0", DB: dbURL, Timezone: "UTC", AdminEmail: xerochattest.AdminEmail,
			GraphVersion: "v21.0", Workers: 1, JobLease: 2 * time.Second,
			FBAppSecret: xerochattest.AppSecret, FBVerifyToken: xerochattest.VerifyToken},
		Out:      &out,
		Logger:   slog.New(slog.NewTextHandler(logs, nil)),
		Facebook: graph.New(graphURL, "v21.0"),
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
	s = xerochattest.Attach(t, xerochattest.Server{URL: m.URL(), DB: m.DB, App: m.App, Fake: fake, Logs: logs})
	if match := xerochattest.AdminKeyLine.FindStringSubmatch(out.String()); match != nil {
		s.AdminKey = match[1]
	}
	return s, stop
}
