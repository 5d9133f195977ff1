package sqlstoretest

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"slices"
	"testing"
	"time"
)

// Remote returns the PostgreSQL URL dbURL reached through a proxy on
// loopback that holds every read for rtt/2 in each direction, as a
// database on another host would: each round trip takes rtt longer, while
// many in flight at once still overlap. Benchmarks use it to show what
// waits on round trips; on loopback alone the machine's cores are the
// bound. The proxy stops after tb.
func Remote(tb testing.TB, dbURL string, rtt time.Duration) string {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || u.Host == "" {
		tb.Fatalf("sqlstoretest: Remote needs a postgres:// URL with a host, not %q", dbURL)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	target := u.Host
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go relay(client, target, rtt/2)
		}
	}()
	u.Host = ln.Addr().String()
	return u.String()
}

// relay joins client to a new connection to target, delaying both ways.
func relay(client net.Conn, target string, delay time.Duration) {
	server, err := net.Dial("tcp", target)
	if err != nil {
		client.Close()
		return
	}
	go delayed(server, client, delay)
	delayed(client, server, delay)
}

// delayed copies src to dst, writing each read delay after it arrived, in
// order. When src ends, dst is closed, which ends the other direction too.
func delayed(dst, src net.Conn, delay time.Duration) {
	type chunk struct {
		due  time.Time
		data []byte
	}
	chunks := make(chan chunk, 256)
	go func() {
		t := newTimer()
		defer t.close()
		defer dst.Close()
		for c := range chunks {
			t.sleepUntil(c.due)
			if _, err := dst.Write(c.data); err != nil {
				src.Close()
				for range chunks {
				}
				return
			}
		}
	}()
	defer close(chunks)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunks <- chunk{time.Now().Add(delay), append([]byte(nil), buf[:n]...)}
		}
		if err != nil {
			return
		}
	}
}

// RoundTrip measures a round trip to the database at dbURL: the median of
// 50 `SELECT 1` on one connection.
func RoundTrip(tb testing.TB, dbURL string) time.Duration {
	tb.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	times := make([]time.Duration, 50)
	for i := range times {
		start := time.Now()
		if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
			tb.Fatal(err)
		}
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	return times[len(times)/2]
}
