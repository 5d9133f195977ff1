package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestAcknowledgedWritesSurviveReopen has many writers at once (so that on
// SQLite they share group commits) and checks, after closing the database
// and opening it again, that every write that was answered with success
// is there, as it was written.
func TestAcknowledgedWritesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	url := sqlstoretest.URL(t)
	db, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	uid := newMember(t, db, "m@example.com")
	group, err := db.CreateContactGroup(ctx, uid, "G")
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 50
	ids := make([][]int64, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group,
					Email: fmt.Sprintf("w%d-%d@example.com", w, i)})
				if err != nil {
					t.Errorf("writer %d, write %d: %v", w, i, err)
					return
				}
				ids[w] = append(ids[w], id)
			}
		})
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlstore.Open(ctx, url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for w := range writers {
		for i, id := range ids[w] {
			ct, err := db.FindContact(ctx, uid, id)
			if want := fmt.Sprintf("w%d-%d@example.com", w, i); err != nil || ct.Email != want {
				t.Errorf("contact %d after reopening: %+v, %v; want %s", id, ct, err, want)
			}
		}
	}
}

// TestSyncOption accepts the two SQLite sync modes and refuses others.
func TestSyncOption(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		sync string
		ok   bool
		mode int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{"", true, 2}, {sqlstore.SyncFull, true, 2}, {sqlstore.SyncNormal, true, 1}, {"off", false, 0}} {
		db, err := sqlstore.Open(ctx, t.TempDir()+"/x.db", sqlstore.Options{Sync: tc.sync})
		if (err == nil) != tc.ok {
			t.Errorf("Sync %q: %v", tc.sync, err)
		}
		if err != nil {
			continue
		}
		var mode int
		if err := db.SQL().QueryRow(`PRAGMA synchronous`).Scan(&mode); err != nil || mode != tc.mode {
			t.Errorf("Sync %q: PRAGMA synchronous = %d, %v; want %d", tc.sync, mode, err, tc.mode)
		}
		db.Close()
	}
}
