package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
)

// TestCLIWriteBesideBusyServer writes through a server's store at full
// speed and meanwhile runs `xerochat user apikey` as a separate process on
// the same SQLite file: the command must get its turn at the write lock
// between the server's group commits, not wait out the busy timeout. The
// bound is generous (the command takes tens of milliseconds); it only
// catches the old lock-out of up to ten seconds.
func TestCLIWriteBesideBusyServer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	uid, err := db.CreateUser(ctx, xerochat.NewUser{Name: "C", Email: "cli@example.com", Password: "pw",
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: "2099-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	group, err := db.CreateContactGroup(ctx, uid, "G")
	if err != nil {
		t.Fatal(err)
	}
	xerochatBinary(t) // built before the clock starts
	var writes atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group,
					Email: fmt.Sprintf("w%d-%d@example.com", w, i)}); err != nil {
					t.Errorf("server write: %v", err)
					return
				}
				writes.Add(1)
			}
		})
	}
	for writes.Load() < 500 {
		time.Sleep(time.Millisecond)
	}
	before := writes.Load()
	start := time.Now()
	key := mustRun(t, "user", "apikey", "--db", path, "--email", "cli@example.com")
	took := time.Since(start)
	during := writes.Load() - before
	close(stop)
	wg.Wait()
	t.Logf("user apikey took %v while the server wrote %d contacts (%.0f/s)", took.Round(time.Millisecond), during, float64(during)/took.Seconds())
	if took > 5*time.Second {
		t.Errorf("user apikey took %v beside a busy server, want well under 5s", took)
	}
	if during == 0 {
		t.Errorf("the server wrote nothing while the command ran: the test did not load it")
	}
	if u, err := db.FindUserByAPIKey(ctx, key); err != nil || u.ID != uid {
		t.Errorf("the command's key finds %+v, %v; want user %d", u, err, uid)
	}
}
