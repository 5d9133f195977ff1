package sqlstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckURL names what is wrong with a database URL before anything is
// opened: a scheme xerochat does not speak (mysql://, file:), or a SQLite
// file whose folder is missing or not writable. Otherwise those would
// surface as a confusing failure to create the lock file beside it.
func CheckURL(dbURL string) error {
	switch {
	case dbURL == "":
		return errors.New("no database given")
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return nil
	case strings.HasPrefix(dbURL, "file:"):
		return fmt.Errorf("database %q: file: URLs are not read; give the SQLite file's path, or sqlite:PATH", dbURL)
	}
	if scheme, _, ok := strings.Cut(dbURL, "://"); ok && !strings.ContainsAny(scheme, `/\`) {
		return fmt.Errorf("database %q: unsupported scheme %q; use a SQLite file path, sqlite:PATH or postgres://", redact(dbURL), scheme)
	}
	_, _, path, err := parseURL(dbURL)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("database %s: the folder %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("database %s: %w", path, err)
	case !info.IsDir():
		return fmt.Errorf("database %s: %s is not a folder", path, dir)
	}
	probe, err := os.CreateTemp(dir, ".xerochat-write-check-*")
	if err != nil {
		return fmt.Errorf("database %s: the folder %s is not writable", path, dir)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// redact drops a password from a URL for messages.
func redact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if userinfo := rest[:at]; strings.Contains(userinfo, ":") {
			user, _, _ := strings.Cut(userinfo, ":")
			rest = user + ":REDACTED" + rest[at:]
		}
	}
	return scheme + "://" + rest
}
