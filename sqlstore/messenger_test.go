package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestSubscriberTouch: an event finds or creates its subscriber and, when
// it is the person interacting, records the time and clears unavailable in
// the same statement; an older event (delivered late) does not move the
// time back, and an inbox label touches nothing.
func TestSubscriberTouch(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	page := connectPage(t, db, "880000000000031")
	ctx := context.Background()
	const psid = "2880000000000031"
	t0 := time.Unix(1_800_000_000, 0)
	subscriber := func(at time.Time, touch bool) int64 {
		t.Helper()
		var id int64
		err := inBatch(t, db, func(tx xerochat.BatchTx) error {
			_, err := tx.ApplyEvent(ctx, "m:touch:"+at.String()+fmtBool(touch), func(etx xerochat.EventTx) error {
				var err error
				id, err = etx.Subscriber(ctx, page, psid, at, touch)
				return err
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	state := func() (last int64, unavailable int) {
		t.Helper()
		if err := db.SQL().QueryRow(rebind(db, `SELECT last_interaction_at, unavailable FROM subscribers WHERE psid = ?`), psid).
			Scan(&last, &unavailable); err != nil {
			t.Fatal(err)
		}
		return last, unavailable
	}
	id := subscriber(t0, true)
	if last, _ := state(); last != t0.Unix() {
		t.Fatalf("a new subscriber's last interaction is %d, want %d", last, t0.Unix())
	}
	// as the original XeroChat marks a person it can no longer reach
	if _, err := db.SQL().Exec(rebind(db, `UPDATE subscribers SET unavailable = 1 WHERE id = ?`), id); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		at          time.Time
		touch       bool
		last        int64
		unavailable int
	}{
		{"an inbox label", t0.Add(time.Hour), false, t0.Unix(), 1},
		{"an older event", t0.Add(-time.Hour), true, t0.Unix(), 1},
		{"a newer event", t0.Add(2 * time.Hour), true, t0.Add(2 * time.Hour).Unix(), 0},
	}
	for _, s := range steps {
		if got := subscriber(s.at, s.touch); got != id {
			t.Fatalf("%s: subscriber %d, want the same %d", s.name, got, id)
		}
		if last, unavailable := state(); last != s.last || unavailable != s.unavailable {
			t.Errorf("%s: last interaction %d, unavailable %d; want %d, %d", s.name, last, unavailable, s.last, s.unavailable)
		}
	}
}

func fmtBool(b bool) string {
	if b {
		return ":touch"
	}
	return ""
}

// TestBatchSavepointsOnlyAfterFailure: a batch whose events all succeed
// runs without savepoints, in one run; one with a failing event runs again
// with a savepoint per event.
func TestBatchSavepointsOnlyAfterFailure(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	page := connectPage(t, db, "880000000000032")
	var savepoints atomic.Int64
	sqlstore.SetTrace(db, func(query string, _ []any) {
		if strings.HasPrefix(query, "SAVEPOINT") {
			savepoints.Add(1)
		}
	})
	run := func(fail bool) (runs int) {
		t.Helper()
		err := inBatch(t, db, func(tx xerochat.BatchTx) error {
			runs++
			for i := range 3 {
				fn := send(page, "2880000000000032", "hi")
				if fail && i == 1 {
					fn = func(xerochat.EventTx) error { return errors.New("broken") }
				}
				key := fmt.Sprintf("m:sp:%t:%d", fail, i)
				if _, err := tx.ApplyEvent(context.Background(), key, fn); errors.Is(err, xerochat.ErrBatchRestart) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return runs
	}
	if runs := run(false); runs != 1 || savepoints.Load() != 0 {
		t.Errorf("a batch without failures: %d runs, %d savepoints; want 1 run, none", runs, savepoints.Load())
	}
	if runs := run(true); runs != 2 || savepoints.Load() != 3 {
		t.Errorf("a batch with a failing event: %d runs, %d savepoints; want 2 runs, 3 savepoints", runs, savepoints.Load())
	}
}

// TestBatchQueuedWrites: writes whose outcome the handler does not read
// (on PostgreSQL they wait for the batch's next statement, see laterWrites)
// are seen by the reads after them, and one that fails at the database
// fails its own event only: the others commit, with their messages, and
// the failed event's key stays free for a redelivery.
func TestBatchQueuedWrites(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	page := connectPage(t, db, "880000000000033")
	ctx := context.Background()
	fc := createFlow(t, db, page, "Q1?")
	const psid = "2880000000000033"
	var sid int64
	var own, seen *xerochat.FlowSession
	events := []func(xerochat.EventTx) error{
		func(etx xerochat.EventTx) error {
			if err := send(page, psid, "first")(etx); err != nil {
				return err
			}
			var err error
			sid, err = etx.Subscriber(ctx, page, psid, time.Now(), false)
			if err != nil {
				return err
			}
			if err := etx.SetSession(ctx, xerochat.FlowSession{SubscriberID: sid, CampaignID: fc.ID, Position: 1}); err != nil {
				return err
			}
			own, err = etx.Session(ctx, sid) // read right after the write
			return err
		},
		func(etx xerochat.EventTx) error {
			if err := send(page, psid, "lost")(etx); err != nil {
				return err
			}
			// No such campaign: the database refuses this session.
			return etx.SetSession(ctx, xerochat.FlowSession{SubscriberID: sid, CampaignID: fc.ID + 1000, Position: 9})
		},
		func(etx xerochat.EventTx) error {
			var err error
			seen, err = etx.Session(ctx, sid) // the first event's, not the refused one
			if err != nil {
				return err
			}
			return send(page, psid, "third")(etx)
		},
	}
	run := func(name string, events ...func(xerochat.EventTx) error) (runs int, applied []bool) {
		t.Helper()
		seen = nil
		err := inBatch(t, db, func(tx xerochat.BatchTx) error {
			runs++
			applied = nil
			for i, fn := range events {
				ok, err := tx.ApplyEvent(ctx, fmt.Sprintf("m:%s:%d", name, i), fn)
				if errors.Is(err, xerochat.ErrBatchRestart) {
					return err
				}
				applied = append(applied, ok && err == nil)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return runs, applied
	}
	// In one run, with nothing failing, the read comes after the queued
	// write it must see.
	if runs, _ := run("clean", events[0], events[2]); runs != 1 {
		t.Errorf("a batch without failures ran %d times", runs)
	}
	for _, s := range []*xerochat.FlowSession{own, seen} {
		if s == nil || s.CampaignID != fc.ID || s.Position != 1 {
			t.Errorf("a session read after it was written: %+v, want campaign %d, position 1", s, fc.ID)
		}
	}
	runs, applied := run("refused", events...)
	if runs != 2 || !slices.Equal(applied, []bool{true, false, true}) {
		t.Errorf("%d runs, applied %v; want 2 runs, the second event alone refused", runs, applied)
	}
	if seen == nil || seen.CampaignID != fc.ID || seen.Position != 1 {
		t.Errorf("the third event read the session %+v, want the first event's (campaign %d, position 1)", seen, fc.ID)
	}
	expectQueued(t, db, "first", "third", "first", "third")
}

// TestBatchSessionAcrossEvents: each event of a batch finds its
// subscriber again and reads the session the events before it left, though
// on PostgreSQL their writes are still queued when it is found.
func TestBatchSessionAcrossEvents(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	page := connectPage(t, db, "880000000000034")
	ctx := context.Background()
	fc := createFlow(t, db, page, "Q1?", "Q2?")
	// Each event finds the person, reads their session and moves it on:
	// none, then position 1, then 2, then ended.
	moves := []func(etx xerochat.EventTx, sid int64) error{
		func(etx xerochat.EventTx, sid int64) error {
			return etx.SetSession(ctx, xerochat.FlowSession{SubscriberID: sid, CampaignID: fc.ID, Position: 1})
		},
		func(etx xerochat.EventTx, sid int64) error {
			return etx.SetSession(ctx, xerochat.FlowSession{SubscriberID: sid, CampaignID: fc.ID, Position: 2})
		},
		func(etx xerochat.EventTx, sid int64) error { return etx.EndSession(ctx, sid) },
		func(xerochat.EventTx, int64) error { return nil },
	}
	var got []string
	err := inBatch(t, db, func(tx xerochat.BatchTx) error {
		got = nil
		for i, move := range moves {
			_, err := tx.ApplyEvent(ctx, fmt.Sprintf("m:across:%d", i), func(etx xerochat.EventTx) error {
				sid, err := etx.Subscriber(ctx, page, "2880000000000034", time.Now(), true)
				if err != nil {
					return err
				}
				s, err := etx.Session(ctx, sid)
				if err != nil {
					return err
				}
				if s == nil {
					got = append(got, "none")
				} else {
					got = append(got, fmt.Sprint(s.Position))
				}
				return move(etx, sid)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"none", "1", "2", "none"}; !slices.Equal(got, want) {
		t.Errorf("sessions read by the events in turn: %v, want %v", got, want)
	}
}

// createFlow stores a campaign on page asking the text questions.
func createFlow(t *testing.T, db *sqlstore.DB, page *xerochat.Page, questions ...string) *xerochat.FlowCampaign {
	t.Helper()
	fc := &xerochat.FlowCampaign{UserID: page.UserID, PageRef: page.ID, Name: "F"}
	for _, q := range questions {
		fc.Questions = append(fc.Questions, &xerochat.FlowQuestion{Question: q, Type: "text"})
	}
	if _, err := db.CreateFlowCampaign(context.Background(), fc); err != nil {
		t.Fatal(err)
	}
	return fc
}
