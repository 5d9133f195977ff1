package sqlstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/sqlstore"
)

func TestCheckURL(t *testing.T) {
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, want string }{
		{filepath.Join(dir, "x.db"), ""},
		{"sqlite:" + filepath.Join(dir, "x.db"), ""},
		{"postgres://u:p@localhost/db", ""},
		{"mysql://root:secret@localhost/x", `unsupported scheme "mysql"`},
		{"file:" + filepath.Join(dir, "x.db"), "file: URLs are not read"},
		{filepath.Join(dir, "missing", "x.db"), "does not exist"},
		{filepath.Join(dir, "x.db", "y.db"), "does not exist"},
	} {
		err := sqlstore.CheckURL(tc.url)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckURL(%q) = %v, want %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("CheckURL(%q) shows the password: %v", tc.url, err)
		}
	}
	// A folder no one may write to, root included (tests run as root in CI).
	notWritable := "/proc/self"
	if os.Geteuid() != 0 {
		notWritable = readOnly
	}
	if err := sqlstore.CheckURL(filepath.Join(notWritable, "x.db")); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("a folder that is not writable: %v", err)
	}
}
