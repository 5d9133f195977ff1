package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

var backedUpLine = regexp.MustCompile(`^backed up \S+ to \S+: [1-9][0-9]* bytes, migration [1-9][0-9]*, integrity check ok$`)

// groupWriter creates contact groups one after another through the API of
// a running server and remembers, in order, the id of every group the
// server acknowledged.
type groupWriter struct {
	mu    sync.Mutex
	acked []int64
	err   error
}

func (w *groupWriter) run(ctx context.Context, baseURL, key string) {
	for i := 0; ctx.Err() == nil; i++ {
		form := url.Values{"api_key": {key}, "name": {fmt.Sprintf("Group %06d", i)}}
		// Not cancelled by ctx: a write sent is waited for, so that every
		// write the database holds was acknowledged here.
		res, err := http.PostForm(baseURL+"/api/create_contact_group", form)
		var body struct {
			Status string `json:"status"`
			ID     int64  `json:"contact_type_id"`
		}
		if err == nil {
			err = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
		}
		if err == nil && (body.Status != "success" || body.ID == 0) {
			err = fmt.Errorf("create_contact_group answered %+v", body)
		}
		w.mu.Lock()
		if err != nil {
			w.err = err
			w.mu.Unlock()
			return
		}
		w.acked = append(w.acked, body.ID)
		w.mu.Unlock()
	}
}

// ids returns the ids acknowledged so far.
func (w *groupWriter) ids() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.acked...)
}

// copyFile copies a file as an operator's cp does.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCLIDBBackupWhileWriting backs up a SQLite database while a server
// writes to it, restores each backup by the steps of docs/production.md
// (copy the file into place, xerochat migrate, serve), and checks that the
// restored database passes integrity_check, holds every write acknowledged
// before the backup began, and is a snapshot: the writes it holds are the
// first ones, without a gap.
func TestCLIDBBackupWhileWriting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	ts := xerochattest.NewServer(t, xerochattest.DatabaseURL(live))
	m := ts.NewMember("backup@example.com", "")
	// Some bulk (the admin's groups, some MB), so that each backup takes
	// long enough for writes to land while it runs.
	if _, err := ts.DB.SQL().Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
		INSERT INTO contact_groups (user_id, name, created_at) SELECT 1, printf('Bulk %0100d', i), 0 FROM n`); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	w := &groupWriter{}
	var wg sync.WaitGroup
	wg.Go(func() { w.run(ctx, ts.URL, m.Key) })
	defer func() { cancel(); wg.Wait() }()
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); len(w.ids()) < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) || w.err != nil {
				t.Fatalf("the writer made %d groups (%v), want %d", len(w.ids()), w.err, n)
			}
		}
	}

	type backup struct {
		file          string
		before, after []int64 // acknowledged when the backup began, ended
	}
	var backups []backup
	for i := range 3 {
		waitFor(len(w.ids()) + 50)
		b := backup{file: filepath.Join(dir, "backups", fmt.Sprintf("b%d.db", i)), before: w.ids()}
		if i == 0 {
			if err := os.Mkdir(filepath.Dir(b.file), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		res := runCommand(t, "db", "backup", "--db", live, "--to", b.file)
		b.after = w.ids()
		if res.code != 0 || !backedUpLine.MatchString(lastLine(res.stdout)) {
			t.Fatalf("db backup while writing: %s", res)
		}
		backups = append(backups, b)
	}
	waitFor(len(w.ids()) + 20) // the server still writes after the backups
	cancel()
	wg.Wait()
	if w.err != nil {
		t.Fatalf("writer: %v", w.err)
	}
	all := w.ids()
	if entries, _ := os.ReadDir(filepath.Join(dir, "backups")); len(entries) != len(backups) {
		t.Errorf("the backup folder holds %d files, want only the %d backups", len(entries), len(backups))
	}

	for i, b := range backups {
		t.Run(fmt.Sprintf("restore b%d", i), func(t *testing.T) {
			// docs/production.md: with no server running, copy the backup
			// into place (no -wal or -shm beside it), then start on it.
			restored := filepath.Join(t.TempDir(), "xerochat.db")
			copyFile(t, b.file, restored)
			mustRun(t, "migrate", "--db", restored)
			rs := xerochattest.NewServer(t, xerochattest.DatabaseURL(restored))
			var check string
			if err := rs.DB.SQL().QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
				t.Fatalf("integrity_check of the restored backup: %q, %v", check, err)
			}
			rows, err := rs.DB.SQL().Query(`SELECT id FROM contact_groups WHERE user_id = ? ORDER BY id`, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			rows.Close()
			if len(got) < len(b.before) || len(got) > len(b.after) {
				t.Fatalf("the backup holds %d groups; %d were acknowledged when it began and %d when it ended",
					len(got), len(b.before), len(b.after))
			}
			t.Logf("backup b%d: %d writes acknowledged when it began, %d held, %d acknowledged when it ended", i, len(b.before), len(got), len(b.after))
			for j, id := range got {
				if id != all[j] {
					t.Fatalf("group %d of the backup is id %d, but the %dth acknowledged write was id %d: not a snapshot", j, id, j, all[j])
				}
			}
			// The restored server answers for the last write acknowledged
			// before the backup, with the member's key of the time.
			last := b.before[len(b.before)-1]
			r := rs.Get("get_contact_group", xerochattest.Vals("api_key", m.Key, "contact_type_id", strconv.FormatInt(last, 10)))
			if v := r.JSON(t); v["id"] != strconv.FormatInt(last, 10) || !strings.HasPrefix(fmt.Sprint(v["type"]), "Group ") {
				t.Errorf("get_contact_group %d on the restored server: %s", last, r.Body)
			}
		})
	}
}

// TestCLIDBBackupRefuses checks what db backup will not do: overwrite a
// file without --overwrite, write over the database or a live one, back up
// PostgreSQL or a database that does not exist.
func TestCLIDBBackupRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	populate(t, src)
	want := dump(t, src)

	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, "live.db")
	xerochattest.NewServer(t, xerochattest.DatabaseURL(live))
	for _, c := range []struct {
		name, want string
		args       []string
	}{
		{"existing target", "--overwrite", []string{"--db", src, "--to", existing}},
		{"the database itself", "being backed up", []string{"--db", src, "--to", src, "--overwrite"}},
		{"the database's WAL", "being backed up", []string{"--db", src, "--to", src + "-wal", "--overwrite"}},
		{"a database in use", "in use", []string{"--db", src, "--to", live, "--overwrite"}},
		{"PostgreSQL", "pg_dump", []string{"--db", "postgres://u:secret@127.0.0.1:1/x", "--to", filepath.Join(dir, "pg.db")}},
		{"missing database", "does not exist", []string{"--db", filepath.Join(dir, "typo.db"), "--to", filepath.Join(dir, "t.db")}},
		{"missing folder", "no such file", []string{"--db", src, "--to", filepath.Join(dir, "nowhere", "b.db")}},
		{"no target", "--to", []string{"--db", src}},
		{"stray argument", "extra", []string{"--db", src, "--to", filepath.Join(dir, "s.db"), "extra"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := mustFail(t, c.want, append([]string{"db", "backup"}, c.args...)...)
			if strings.Contains(res.stderr, "secret") {
				t.Errorf("the message shows the password: %s", res.stderr)
			}
		})
	}
	if raw, _ := os.ReadFile(existing); string(raw) != "an older backup" {
		t.Error("a refused backup changed the existing file")
	}
	for _, name := range []string{"typo.db", "t.db", "pg.db", "s.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("a refused backup created %s (%v)", name, err)
		}
	}
	if got := dump(t, src); got != want {
		t.Error("a refused backup changed the database")
	}

	if out := mustRun(t, "db", "backup", "--db", src, "--to", existing, "--overwrite"); !backedUpLine.MatchString(out) {
		t.Fatalf("db backup --overwrite printed %q", out)
	}
	if got := dump(t, existing); got != want {
		t.Errorf("the backup differs from the database:\n%s\n%s", want, got)
	}
}

// TestCLIDBBackupHelp checks that the command list names db backup and
// version, and that db backup -h describes its flags.
func TestCLIDBBackupHelp(t *testing.T) {
	t.Parallel()
	if res := runCommand(t, "--help"); res.code != 0 || !strings.Contains(res.stdout, "db backup") || !strings.Contains(res.stdout, "version") {
		t.Errorf("xerochat --help does not list db backup and version: %s", res)
	}
	res := runCommand(t, "db", "backup", "-h")
	for _, want := range []string{"Usage: xerochat db backup", "-db", "-to", "-overwrite", "pg_dump"} {
		if res.code != 0 || !strings.Contains(res.stderr, want) {
			t.Errorf("db backup -h does not say %q: %s", want, res)
		}
	}
}

// TestPostgresDumpRestore follows docs/production.md's PostgreSQL backup
// and restore: pg_dump -Fc while a server runs, pg_restore into a new
// database, xerochat migrate on it, and the same records come back.
func TestPostgresDumpRestore(t *testing.T) {
	if !sqlstoretest.Postgres() {
		t.Skip("set " + sqlstoretest.EnvPostgres + " to back up PostgreSQL")
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	t.Parallel()
	src := sqlstoretest.URL(t)
	ts := xerochattest.NewServer(t, xerochattest.DatabaseURL(src))
	m := ts.NewMember("pg-backup@example.com", "6100000000000001")
	ownData(t, ts, m, "7100000000000001")
	want := ts.Snapshot()

	// The test's database is a schema of the server's database; the dump
	// takes that schema, and the restore goes into a new database.
	u, err := url.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	plain := *u
	plain.RawQuery = ""
	dump := filepath.Join(t.TempDir(), "xerochat.dump")
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("pg_dump", "-Fc", "--no-owner", "--no-privileges", "-n", schema, "-d", plain.String(), "-f", dump)

	restoredDB := "xt_restore_" + strings.ToLower(rand.Text()[:12])
	if _, err := ts.DB.SQL().Exec("CREATE DATABASE " + restoredDB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := ts.DB.SQL().Exec("DROP DATABASE " + restoredDB + " WITH (FORCE)"); err != nil {
			t.Errorf("drop the restored database: %v", err)
		}
	})
	restored := *u
	restored.Path = "/" + restoredDB
	plainRestored := restored
	plainRestored.RawQuery = ""
	run("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", plainRestored.String(), dump)

	mustRun(t, "migrate", "--db", restored.String())
	rs := xerochattest.NewServer(t, xerochattest.DatabaseURL(restored.String()))
	if got := rs.Snapshot(); got != want {
		t.Errorf("the restored database differs:\nbefore:\n%s\nrestored:\n%s", want, got)
	}
	// Ids continue above the restored ones: the sequences came back too.
	r := rs.Post("create_contact_group", xerochattest.Vals("api_key", m.Key, "name", "After the restore"))
	var maxID float64
	if err := rs.DB.SQL().QueryRow("SELECT MAX(id) FROM contact_groups WHERE name <> 'After the restore'").Scan(&maxID); err != nil {
		t.Fatal(err)
	}
	if id, _ := r.JSON(t)["contact_type_id"].(float64); id <= maxID {
		t.Errorf("create_contact_group on the restored database: %s, want an id above %v", r.Body, maxID)
	}
}
