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
