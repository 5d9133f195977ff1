package main

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

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
