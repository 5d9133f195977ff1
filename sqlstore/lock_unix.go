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
	if err := flock(f, lockExclusive); err != nil {
		f.Close()
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		_ = flock(f, lockNone)
		f.Close()
	}, nil
}

// createPrivate creates the SQLite file, if it does not exist yet, readable
// and writable by its owner only: it holds password hashes and page tokens.
// SQLite gives the -wal and -shm files it creates beside the database the
// database file's permissions, so they are private too. An existing file
// keeps the permissions its owner gave it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if os.IsExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return f.Close()
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
