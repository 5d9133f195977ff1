package main

// The restart and cluster tests run a survey (xerochattest.Survey): a
// person writes to the page, the server asks its questions through the fake
// Facebook and stores the answers, while the test stops, kills or doubles
// the server. These are their timing helpers.

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/xerochat/xerochat/xerochattest"
)

// waitCount polls a count closely until it reaches n, to act at (or just
// after) a moment of the server's work; Eventually's pace would act too
// late. Counts only grow, so it cannot miss.
func waitCount(t testing.TB, db *sql.DB, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for xerochattest.Count(t, db, query) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s to reach %d", query, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// until is Eventually for goroutines other than the test's: it returns the
// time-out instead of failing the test.
func until(what string, cond func() bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
