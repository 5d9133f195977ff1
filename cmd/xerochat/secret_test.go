package main

import (
	"strings"
	"testing"
)

// With XEROCHAT_SECRET_KEY, page tokens are sealed at rest; db
// seal-tokens seals the ones stored before, and a rotation keeps every
// command working with the old key given as XEROCHAT_SECRET_KEY_OLD.
func TestCLIPageTokensSealed(t *testing.T) {
	t.Parallel()
	ts, db := serverWithDB(t)
	m := ts.NewMember("sealed@example.com", "")
	ts.Fake.AddPage("3300000000000001", "tok-clear", "Clear")
	ts.Fake.AddPage("3300000000000002", "tok-sealed", "Sealed")
	ts.Fake.AddLabel("3300000000000002", "VIP")
	const key1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
	const key2 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
	connect := func(env []string, page, token string) {
		t.Helper()
		if res := runWithEnv(t, env, "page", "connect", "--db", db, "--email", m.Email, "--page-id", page,
			"--page-name", "P", "--access-token", token, "--graph-url", ts.Fake.URL()); res.code != 0 {
			t.Fatalf("page connect: %s", res)
		}
	}
	raw := func(page string) string {
		t.Helper()
		var s string
		if err := ts.DB.SQL().QueryRow(`SELECT access_token FROM pages WHERE page_id = '` + page + `'`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	connect(nil, "3300000000000001", "tok-clear")
	connect([]string{"XEROCHAT_SECRET_KEY=" + key1}, "3300000000000002", "tok-sealed")
	if raw("3300000000000001") != "tok-clear" || !strings.HasPrefix(raw("3300000000000002"), "enc:v1:") {
		t.Fatalf("stored %q and %q; want the first in clear, the second sealed", raw("3300000000000001"), raw("3300000000000002"))
	}
	// Without the key the sealed page cannot be used, and says so.
	res := runCommand(t, "page", "sync-labels", "--db", db, "--email", m.Email, "--page-id", "3300000000000002", "--graph-url", ts.Fake.URL())
	if res.code == 0 || !strings.Contains(res.stderr, "XEROCHAT_SECRET_KEY") {
		t.Fatalf("sync-labels without the key: %s", res)
	}
	// Rotate to key2, keeping key1 as the old key; seal everything.
	rotating := []string{"XEROCHAT_SECRET_KEY=" + key2, "XEROCHAT_SECRET_KEY_OLD=" + key1}
	if res := runWithEnv(t, rotating, "db", "seal-tokens", "--db", db); res.code != 0 || !strings.Contains(res.stdout, "sealed 2 page tokens") {
		t.Fatalf("db seal-tokens: %s", res)
	}
	if !strings.HasPrefix(raw("3300000000000001"), "enc:v1:") {
		t.Fatal("the token in clear was not sealed")
	}
	if res := runWithEnv(t, []string{"XEROCHAT_SECRET_KEY=" + key2}, "page", "sync-labels", "--db", db, "--email", m.Email,
		"--page-id", "3300000000000002", "--graph-url", ts.Fake.URL()); res.code != 0 {
		t.Fatalf("sync-labels with the new key alone: %s", res)
	}
	for _, bad := range [][]string{{"XEROCHAT_SECRET_KEY=short"}, {"XEROCHAT_SECRET_KEY_OLD=" + key1}} {
		if res := runWithEnv(t, bad, "db", "seal-tokens", "--db", db); res.code != 2 {
			t.Errorf("seal-tokens with %v: want exit 2, got %s", bad, res)
		}
	}
}
