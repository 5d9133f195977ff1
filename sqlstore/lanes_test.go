package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// Lanes go side by side, each strictly in order: while a lane's head is
// leased, its later batches wait, and the other lanes' heads are handed out.
func TestClaimBatchLanes(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.Open(t)
	store := func(lane string) int64 {
		t.Helper()
		id, err := db.StoreBatch(ctx, lane, []byte(`{"object":"page","entry":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1, a2, b1, a3, b2 := store("111"), store("111"), store("222"), store("111"), store("222")
	claim := func() *xerochat.WebhookBatch {
		t.Helper()
		b, err := db.ClaimBatch(ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := claim(); b == nil || b.ID != a1 {
		t.Fatalf("first claim %+v, want lane 111's head %d", b, a1)
	}
	if b := claim(); b == nil || b.ID != b1 {
		t.Fatalf("second claim %+v, want lane 222's head %d beside the leased 111", b, b1)
	}
	if b := claim(); b != nil {
		t.Fatalf("a third claim got %d; both lanes' heads are leased", b.ID)
	}
	done := func(id int64) {
		t.Helper()
		if err := db.InBatch(ctx, id, func(xerochat.BatchTx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	done(b1)
	if b := claim(); b == nil || b.ID != b2 {
		t.Fatalf("after 222's head is done: %+v, want %d", b, b2)
	}
	done(a1)
	if b := claim(); b == nil || b.ID != a2 {
		t.Fatalf("after 111's head is done: %+v, want %d", b, a2)
	}
	done(a2)
	done(b2)
	if b := claim(); b == nil || b.ID != a3 {
		t.Fatalf("the last of 111: %+v, want %d", b, a3)
	}
}

// Claimers in two processes racing on many lanes never hold two batches of
// one lane at once, and every batch is claimed exactly once.
func TestClaimBatchLanesConcurrently(t *testing.T) {
	ctx := context.Background()
	url := sqlstoretest.URL(t)
	var dbs []*sqlstore.DB
	for range 2 {
		db, err := sqlstore.Open(ctx, url, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	lanes := []string{"1", "2", "3", "4"}
	const perLane = 15
	laneOf := map[int64]string{}
	for range perLane {
		for _, lane := range lanes {
			id, err := dbs[0].StoreBatch(ctx, lane, []byte(`{"object":"page","entry":[]}`))
			if err != nil {
				t.Fatal(err)
			}
			laneOf[id] = lane
		}
	}
	var mu sync.Mutex
	running := map[string]bool{}
	claimed := map[int64]int{}
	var order = map[string][]int64{}
	var wg sync.WaitGroup
	for w := range 6 {
		db := dbs[w%2]
		wg.Go(func() {
			for {
				b, err := db.ClaimBatch(ctx, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if b == nil {
					mu.Lock()
					left := len(claimed) < len(laneOf)
					mu.Unlock()
					if !left {
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				lane := laneOf[b.ID]
				mu.Lock()
				if running[lane] {
					t.Errorf("batch %d of lane %s claimed while another of the lane runs", b.ID, lane)
				}
				running[lane] = true
				claimed[b.ID]++
				order[lane] = append(order[lane], b.ID)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				running[lane] = false
				mu.Unlock()
				if err := db.InBatch(ctx, b.ID, func(xerochat.BatchTx) error { return nil }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("batch %d claimed %d times", id, n)
		}
	}
	if len(claimed) != len(laneOf) {
		t.Errorf("%d of %d batches claimed", len(claimed), len(laneOf))
	}
	for lane, ids := range order {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Errorf("lane %s ran out of order: %v", lane, ids)
				break
			}
		}
	}
}
