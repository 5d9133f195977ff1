package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

// collapse drops immediate repeats: what a person saw, ignoring a
// message sent twice in a row.
func collapse(texts []string) []string {
	return slices.Compact(slices.Clone(texts))
}

// TestRestartKilledProcess kills `xerochat serve` with SIGKILL after each
// webhook it took — at once, once the batch was claimed, once the next
// question was claimed for sending, once the batch was done — and starts a
// new process on the same database each time. The flow continues where it
// was: every answer is stored once and for the right question, and every
// question arrives, in order. A question may arrive twice only when the
// kill fell between Facebook taking it and the server recording that: never
// more, and never out of order.
func TestRestartKilledProcess(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "700000000001001", "Killed")
	proc := c.serve(t)
	p := c.person("2500000000001001", proc)
	want := []string{"Killed Q1?", "Killed Q2?", "Killed Q3?", "Killed done"}
	steps := []struct {
		text string
		// killAt is a count that reaches n at the moment to kill; "" kills
		// as soon as the webhook answered.
		killAt string
		n      int
	}{
		{"start", "", 0},
		{"a1", `SELECT COUNT(*) FROM webhook_batches WHERE attempts > 0`, 2},
		{"a2", `SELECT COUNT(*) FROM outbox WHERE attempts > 0`, 3},
		{"a3", `SELECT COUNT(*) FROM webhook_batches WHERE done_at > 0`, 4},
	}
	for i, step := range steps {
		xerochattest.Say(t, p, step.text) // answered 200: the batch is stored
		if step.killAt != "" {
			waitCount(t, c.DB.SQL(), step.killAt, step.n)
		}
		proc.kill(t)
		proc = c.serve(t)
		p.WebhookURL = proc.URL + "/webhook"
		xerochattest.Eventually(t, fmt.Sprintf("%q after %q", want[i], step.text), func() bool {
			return len(collapse(xerochattest.Texts(p.Sent()))) >= i+1
		})
	}
	c.Settle()
	got := xerochattest.Texts(p.Sent())
	if !slices.Equal(collapse(got), want) {
		t.Fatalf("the person saw %q, want %q in order (a repeat at most once)", got, want)
	}
	for _, w := range want {
		if n := strings.Count(strings.Join(got, "\n")+"\n", w+"\n"); n > 2 {
			t.Fatalf("%q arrived %d times", w, n)
		}
	}
	xerochattest.ExpectAnswers(t, proc.URL, c.member.Key, c.flow.ID, p.PSID, "a1", "a2", "a3")
	if n := xerochattest.Count(t, c.DB.SQL(), `SELECT COUNT(*) FROM flow_answers`); n != 3 {
		t.Fatalf("%d answer rows, want 3", n)
	}
	if n := xerochattest.Count(t, c.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	if n := xerochattest.Count(t, c.DB.SQL(), `SELECT COUNT(*) FROM outbox`); n != len(want) {
		t.Fatalf("%d messages queued, want %d: an event was applied twice", n, len(want))
	}
}

// TestRestartIntakeOnlyProcess: a process started with --workers 0 takes
// and stores webhooks but processes none; a second process with workers,
// on the same database, processes them all in order, and then what the
// first one keeps taking.
func TestRestartIntakeOnlyProcess(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "700000000001101", "Intake")
	intake := c.serve(t, "--workers", "0")
	p := c.person("2500000000001101", intake)
	for _, text := range []string{"start", "a1", "a2"} {
		xerochattest.Say(t, p, text)
	}
	if n := xerochattest.Count(t, c.DB.SQL(), `SELECT COUNT(*) FROM webhook_batches WHERE done_at = 0 AND attempts = 0`); n != 3 {
		t.Fatalf("%d batches stored and untouched, want 3", n)
	}
	if n := xerochattest.Count(t, c.DB.SQL(), `SELECT COUNT(*) FROM subscribers`); n != 0 {
		t.Fatalf("an intake-only process made %d subscribers", n)
	}
	xerochattest.ExpectSent(t, p)

	worker := c.serve(t) // one worker by default
	xerochattest.WaitSent(t, p, 3)
	c.Settle()
	xerochattest.ExpectSent(t, p, "Intake Q1?", "Intake Q2?", "Intake Q3?")
	// The intake process goes on taking webhooks; the other one acts.
	xerochattest.Say(t, p, "a3")
	xerochattest.WaitSent(t, p, 4)
	c.Settle()
	xerochattest.ExpectSent(t, p, "Intake Q1?", "Intake Q2?", "Intake Q3?", "Intake done")
	xerochattest.ExpectAnswers(t, intake.URL, c.member.Key, c.flow.ID, p.PSID, "a1", "a2", "a3")
	xerochattest.ExpectAnswers(t, worker.URL, c.member.Key, c.flow.ID, p.PSID, "a1", "a2", "a3")
}
