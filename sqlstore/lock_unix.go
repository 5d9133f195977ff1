//go:build unix

package sqlstore

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile holds an exclusive lock on path+".lock" until the returned
// function is called. SQLite has no advisory locks like PostgreSQL's, so
// processes starting at once on one file take turns through it to open and
// migrate the database.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// Lock modes of flock.
const (
	lockShared      = syscall.LOCK_SH
	lockExclusive   = syscall.LOCK_EX
	lockNonBlocking = syscall.LOCK_NB
	lockNone        = syscall.LOCK_UN
)

// flock sets f's lock to how (a lock mode), waiting unless lockNonBlocking.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
