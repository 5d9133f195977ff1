package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of a SQLite database to target while
// servers keep writing to it, and returns the copy's size in bytes.
//
// SQLite's VACUUM INTO reads the database in one read transaction, so the
// copy holds exactly the transactions committed before it started, the WAL
// included (copying the .db file alone can miss the -wal file, or catch a
// page half written). The copy goes to a temporary file beside target,
// which must pass PRAGMA integrity_check and is synced to disk before it
// takes target's name: a failed or interrupted backup never leaves a
// half-written file under that name, nor destroys the backup it replaces.
//
// An existing target is refused unless overwrite is set. A target with a
// -wal or -shm file beside it is always refused: it is a database in use,
// and that WAL would be replayed onto the backup when it is opened.
func (db *DB) Backup(ctx context.Context, target string, overwrite bool) (int64, error) {
	if db.dialect != SQLite {
		return 0, errors.New("only a SQLite database can be backed up this way; use pg_dump for PostgreSQL")
	}
	target, err := filepath.Abs(target)
	if err != nil {
		return 0, err
	}
	if err := checkBackupTarget(db.path, target, overwrite); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
		}
	}()
	// VACUUM INTO writes into an existing file only if it is empty, as the
	// new temporary file is; its name is an absolute path, never a URI.
	if _, err := db.sql.ExecContext(ctx, `VACUUM INTO ?`, tmpPath); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := integrityCheck(ctx, tmpPath); err != nil {
		return 0, fmt.Errorf("backup: the copy failed its check: %w", err)
	}
	size, err := syncFile(tmpPath)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := placeFile(tmpPath, target, overwrite); err != nil {
		return 0, err
	}
	done = true
	return size, syncDir(filepath.Dir(target))
}

// checkBackupTarget refuses targets that would lose data: the database
// itself or its sidecar files, a live database, and (without overwrite) any
// existing file.
func checkBackupTarget(source, target string, overwrite bool) error {
	if src, err := filepath.Abs(source); err == nil {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
			if same(src+suffix, target) {
				return fmt.Errorf("%s is the database being backed up (or one of its files)", target)
			}
		}
	}
	for _, sidecar := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(target + sidecar); err == nil {
			return fmt.Errorf("%s%s exists: %s is a database in use or not closed cleanly; back up to another file", target, sidecar, target)
		}
	}
	st, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file", target)
	case !overwrite:
		return fmt.Errorf("%s already exists; pass --overwrite to replace it", target)
	}
	return nil
}

// same reports whether two paths name one file, following links.
func same(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(sa, sb)
}

// integrityCheck opens the SQLite file at path read-only and runs PRAGMA
// integrity_check, which reads every page and index.
func integrityCheck(ctx context.Context, path string) error {
	_, dsn, _, err := parseURL(path)
	if err != nil {
		return err
	}
	check, err := sql.Open("sqlite", readOnlyDSN(dsn))
	if err != nil {
		return err
	}
	defer check.Close()
	rows, err := check.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("integrity_check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// syncFile flushes path to disk and returns its size: VACUUM INTO does not
// sync the file it writes.
func syncFile(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}

// placeFile gives tmp the name target. Without overwrite a hard link makes
// the name only if it is still free, so a file created meanwhile is not
// replaced; where the file system has no hard links, a rename after a last
// check does.
func placeFile(tmp, target string, overwrite bool) error {
	if !overwrite {
		err := os.Link(tmp, target)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; pass --overwrite to replace it", target)
		}
		if err == nil {
			return os.Remove(tmp)
		}
		if _, err := os.Lstat(target); err == nil {
			return fmt.Errorf("%s already exists; pass --overwrite to replace it", target)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// syncDir flushes a folder's entries, so that a new name survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("backup: sync %s: %w", dir, err)
	}
	return nil
}
