package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// raceCreates sends n concurrent create_contact calls, each with the
// parameters make(i) gives, and returns every answer.
func raceCreates(t *testing.T, ts *xerochattest.Server, n int, params func(i int) url.Values) []xerochattest.Response {
	t.Helper()
	answers := make([]xerochattest.Response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := http.PostForm(ts.URL+"/api/create_contact", params(i))
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			answers[i], errs[i] = xerochattest.Response{Status: res.StatusCode, Header: res.Header, Body: body}, err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	return answers
}

func TestContactCreateConcurrent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		field string
		value func(round, i int) string
		taken string
	}{
		// The e-mail differs only in case between callers: one contact still.
		{"same email", "email", func(round, i int) string {
			if i%2 == 1 {
				return fmt.Sprintf("Race%d@Example.com", round)
			}
			return fmt.Sprintf("race%d@example.com", round)
		}, xerochat.MsgContactEmailTaken},
		{"same phone", "phone_number", func(round, _ int) string { return fmt.Sprint("+1555010", round) }, xerochat.MsgContactPhoneTaken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := xerochattest.NewServer(t)
			a := ts.NewMember("a@example.com", "")
			g := fmt.Sprint(newGroup(t, ts, a.Key, "G"))
			// A lost race is a matter of luck; a few rounds, each on a new
			// value, make a missing guard show on almost every run.
			const n, rounds = 50, 4
			for round := range rounds {
				answers := raceCreates(t, ts, n, func(i int) url.Values {
					return vals("api_key", a.Key, "contact_type_id", g, tc.field, tc.value(round, i), "first_name", fmt.Sprint("caller ", i))
				})
				wins := 0
				for i, res := range answers {
					var v map[string]any
					if res.Status != http.StatusOK || json.Unmarshal(res.Body, &v) != nil {
						t.Errorf("round %d, call %d: HTTP %d %s", round, i, res.Status, res.Body)
						continue
					}
					if v["status"] == "success" {
						wins++
						created(t, res, "new_contact_id")
						continue
					}
					wantError(t, res, tc.taken)
				}
				if wins != 1 {
					t.Errorf("round %d: %d of %d concurrent creates succeeded, want exactly 1", round, wins, n)
				}
				var rows int
				if err := ts.DB.SQL().QueryRow("SELECT COUNT(*) FROM contacts").Scan(&rows); err != nil {
					t.Fatal(err)
				}
				if rows != round+1 {
					t.Errorf("round %d: %d contact rows, want %d (one per round)", round, rows, round+1)
				}
			}
		})
	}
}
