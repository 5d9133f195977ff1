package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
)

// groupTestDB opens a SQLite file whose committer keeps a group open for
// as long as its first write takes, and records each group's size and
// failures.
func groupTestDB(t *testing.T) (*DB, *groupLog) {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := &groupLog{}
	db.group.maxHold = time.Minute
	db.group.onGroup = log.add
	return db, log
}

type groupLog struct {
	mu     sync.Mutex
	groups [][2]int // writes, failed
}

func (l *groupLog) add(writes, failed int) {
	l.mu.Lock()
	l.groups = append(l.groups, [2]int{writes, failed})
	l.mu.Unlock()
}

// mixed reports whether some group held both failed and committed writes.
func (l *groupLog) mixed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.groups {
		if g[1] > 0 && g[1] < g[0] {
			return true
		}
	}
	return false
}

// holdGroup starts a write that keeps its group open until release is
// closed, so that the writes started meanwhile queue up for that group.
func holdGroup(t *testing.T, db *DB) (release func(), wait func()) {
	started, hold := make(chan struct{}), make(chan struct{})
	var once sync.Once // the write may run again, should its group be lost
	done := make(chan error, 1)
	go func() {
		done <- db.inTx(context.Background(), func(c conn) error {
			once.Do(func() { close(started) })
			<-hold
			return nil
		})
	}()
	<-started
	return func() { close(hold) }, func() {
		if err := <-done; err != nil {
			t.Errorf("holding write: %v", err)
		}
	}
}

// waitQueued waits until n writes wait to be handed to the committer.
func waitQueued(t *testing.T, db *DB, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); db.group.queued.Load() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes queued", db.group.queued.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitIsolatesFailures runs successful and failing writes in
// one group: a write refused by a uniqueness check, and one that wrote a
// row before failing. The failures leave nothing behind; every other
// write commits with its own answer.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db, log := groupTestDB(t)
	uid, err := db.CreateUser(ctx, xerochat.NewUser{Name: "M", Email: "m@example.com", Password: "pw",
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: "2099-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	group, err := db.CreateContactGroup(ctx, uid, "G")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group, Email: "taken@example.com"}); err != nil {
		t.Fatal(err)
	}
	release, wait := holdGroup(t, db)
	const n = 30
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	errHalfWay := errors.New("failed after writing")
	for i := range n {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				ids[i], errs[i] = db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group, Email: "taken@example.com"})
			case 1:
				errs[i] = db.inTx(ctx, func(c conn) error {
					if _, err := c.exec(ctx, `INSERT INTO contacts (user_id, contact_type_id, first_name) VALUES (?, ?, 'half')`, uid, group); err != nil {
						return err
					}
					return errHalfWay
				})
			default:
				ids[i], errs[i] = db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group,
					Email: fmt.Sprintf("c%d@example.com", i), FirstName: fmt.Sprint(i)})
			}
		})
	}
	waitQueued(t, db, n)
	release()
	wg.Wait()
	wait()
	if !log.mixed() {
		t.Fatalf("no group held both failed and committed writes: %v", log.groups)
	}
	for i := range n {
		switch i % 3 {
		case 0:
			if xerochat.ErrorCode(errs[i]) != xerochat.ECONFLICT {
				t.Errorf("write %d: duplicate e-mail answered %v, want a conflict", i, errs[i])
			}
		case 1:
			if !errors.Is(errs[i], errHalfWay) {
				t.Errorf("write %d: answered %v, want its own failure", i, errs[i])
			}
		default:
			if errs[i] != nil {
				t.Errorf("write %d: %v", i, errs[i])
				continue
			}
			ct, err := db.FindContact(ctx, uid, ids[i])
			if err != nil || ct.FirstName != fmt.Sprint(i) {
				t.Errorf("write %d: contact %d = %+v, %v", i, ids[i], ct, err)
			}
		}
	}
	var contacts, half int
	if err := db.sql.QueryRow(`SELECT COUNT(*), COUNT(CASE WHEN first_name = 'half' THEN 1 END) FROM contacts`).Scan(&contacts, &half); err != nil {
		t.Fatal(err)
	}
	if want := 1 + n/3; contacts != want || half != 0 {
		t.Errorf("%d contacts (%d half-written), want %d and none", contacts, half, want)
	}
}

// TestGroupCommitLostTransaction breaks a group's transaction from inside
// one write (as an interrupted statement does, which rolls back all of
// it): the writes that had succeeded in the group run again on their own
// and commit; only the breaking write fails.
func TestGroupCommitLostTransaction(t *testing.T) {
	ctx := context.Background()
	db, _ := groupTestDB(t)
	release, wait := holdGroup(t, db)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = db.inTx(ctx, func(c conn) error {
				if i == n/2 {
					_, err := c.exec(ctx, `ROLLBACK`)
					return err
				}
				_, err := c.exec(ctx, `INSERT INTO packages (name) VALUES (?)`, fmt.Sprint("p", i))
				return err
			})
		})
	}
	waitQueued(t, db, n)
	release()
	wg.Wait()
	wait()
	for i, err := range errs {
		if (i == n/2) != (err != nil) {
			t.Errorf("write %d answered %v", i, err)
		}
	}
	var count int
	if err := db.sql.QueryRow(`SELECT COUNT(*) FROM packages WHERE name LIKE 'p%'`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n-1 {
		t.Errorf("%d writes present, want %d", count, n-1)
	}
}
