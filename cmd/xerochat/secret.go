package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/xerochat/xerochat/sqlstore"
)

// tokenKeys reads the keys that seal page tokens at rest: the current one
// from XEROCHAT_SECRET_KEY or the file named by XEROCHAT_SECRET_KEY_FILE,
// older ones (still opened, while rotating) from XEROCHAT_SECRET_KEY_OLD,
// comma-separated. No key: nil, tokens stay in clear. Keys never come from
// flags, which would show in ps.
func tokenKeys() (*sqlstore.TokenKeys, error) {
	current := os.Getenv("XEROCHAT_SECRET_KEY")
	if file := os.Getenv("XEROCHAT_SECRET_KEY_FILE"); file != "" {
		if current != "" {
			return nil, usagef("set XEROCHAT_SECRET_KEY or XEROCHAT_SECRET_KEY_FILE, not both")
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("XEROCHAT_SECRET_KEY_FILE: %w", err)
		}
		current = string(b)
	}
	old := splitList(os.Getenv("XEROCHAT_SECRET_KEY_OLD"))
	if current == "" {
		if len(old) > 0 {
			return nil, usagef("XEROCHAT_SECRET_KEY_OLD without XEROCHAT_SECRET_KEY: give the new key too")
		}
		return nil, nil
	}
	var keys [][]byte
	for i, text := range append([]string{current}, old...) {
		k, err := sqlstore.ParseTokenKey(text)
		if err != nil {
			name := "XEROCHAT_SECRET_KEY"
			if i > 0 {
				name = "XEROCHAT_SECRET_KEY_OLD"
			}
			return nil, usageError{fmt.Errorf("%s: %w", name, err)}
		}
		keys = append(keys, k)
	}
	return sqlstore.NewTokenKeys(keys...)
}

func runDBSealTokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("db seal-tokens",
		"Seals every page access token the database keeps with the key in XEROCHAT_SECRET_KEY: tokens\n"+
			"stored in clear before a key was set, and tokens sealed with an older key (give it in\n"+
			"XEROCHAT_SECRET_KEY_OLD). Run it after setting or rotating the key; servers may run meanwhile,\n"+
			"as long as they have both keys. See docs/production.md.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if os.Getenv("XEROCHAT_SECRET_KEY") == "" && os.Getenv("XEROCHAT_SECRET_KEY_FILE") == "" {
		return usagef("no key: set XEROCHAT_SECRET_KEY (32 random bytes in base64: openssl rand -base64 32)")
	}
	db, err := openDB(ctx, *dbURL, commandPool)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.ReencryptTokens(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sealed %d page tokens with the current key\n", n)
	return nil
}
