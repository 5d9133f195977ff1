package sqlstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// sealedPrefix marks a page token sealed at rest: AES-256-GCM, then
// base64. A token without it was stored in clear (no key was set then) and
// is read as it is, so that setting a key later needs no migration:
// ReencryptTokens seals the old ones.
const sealedPrefix = "enc:v1:"

// TokenKeys seal the page access tokens the database keeps: the first key
// seals, every key opens, so that a key can be rotated without downtime
// (see docs/production.md).
type TokenKeys struct {
	aeads []cipher.AEAD
}

// NewTokenKeys takes 32-byte keys, the one that seals first.
func NewTokenKeys(keys ...[]byte) (*TokenKeys, error) {
	k := &TokenKeys{}
	for i, key := range keys {
		if len(key) != 32 {
			return nil, fmt.Errorf("secret key %d: %d bytes, want 32", i+1, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads = append(k.aeads, aead)
	}
	if len(k.aeads) == 0 {
		return nil, errors.New("no secret key given")
	}
	return k, nil
}

// ParseTokenKey reads a key as written in XEROCHAT_SECRET_KEY or a key
// file: 32 bytes in base64 (standard or URL alphabet) or in hex.
func ParseTokenKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	if b, err := hex.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("a secret key is 32 random bytes in base64 or hex (make one with: openssl rand -base64 32)")
}

// seal returns the stored form of a token: sealed with the first key, or
// as it is when no key is set.
func (k *TokenKeys) seal(token string) (string, error) {
	if k == nil || token == "" {
		return token, nil
	}
	aead := k.aeads[0]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(token), nil)), nil
}

// open returns the token of a stored form, trying every key.
func (k *TokenKeys) open(stored string) (string, error) {
	sealed, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	if k == nil {
		return "", errors.New("a page token is sealed, and no secret key is set (XEROCHAT_SECRET_KEY)")
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("a sealed page token is damaged: %w", err)
	}
	for _, aead := range k.aeads {
		n := aead.NonceSize()
		if len(raw) < n {
			break
		}
		if plain, err := aead.Open(nil, raw[:n], raw[n:], nil); err == nil {
			return string(plain), nil
		}
	}
	return "", errors.New("a page token is sealed with a key that is not set: give the old key in XEROCHAT_SECRET_KEY_OLD")
}

// SetTokenKeys makes the database seal page tokens it stores from now on
// and open sealed ones; nil stores them in clear. Set it before use.
func (db *DB) SetTokenKeys(k *TokenKeys) { db.tokens = k }

// SealsTokens reports whether page tokens are sealed at rest (a key is set).
func (db *DB) SealsTokens() bool { return db.tokens != nil }

// ReencryptTokens seals every stored page token with the first key: tokens
// in clear (stored before a key was set) and tokens sealed with an older
// key. It returns how many it rewrote. Run it after adding or rotating a
// key, then the old key can go.
func (db *DB) ReencryptTokens(ctx context.Context) (int, error) {
	if db.tokens == nil {
		return 0, errors.New("no secret key is set: nothing to seal with")
	}
	rows, err := db.read().query(ctx, `SELECT id, access_token FROM pages ORDER BY id`)
	if err != nil {
		return 0, err
	}
	type stored struct {
		id    int64
		token string
	}
	var all []stored
	for rows.Next() {
		var s stored
		if err := rows.Scan(&s.id, &s.token); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, s := range all {
		plain, err := db.tokens.open(s.token)
		if err != nil {
			return n, fmt.Errorf("page row %d: %w", s.id, err)
		}
		if strings.HasPrefix(s.token, sealedPrefix) && db.tokens.opensWithFirst(s.token) {
			continue // sealed with the current key already
		}
		sealed, err := db.tokens.seal(plain)
		if err != nil {
			return n, err
		}
		if _, err := db.write().exec(ctx, `UPDATE pages SET access_token = ? WHERE id = ? AND access_token = ?`,
			sealed, s.id, s.token); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// opensWithFirst reports whether the first key opens a sealed token.
func (k *TokenKeys) opensWithFirst(stored string) bool {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(stored, sealedPrefix))
	n := k.aeads[0].NonceSize()
	if err != nil || len(raw) < n {
		return false
	}
	_, err = k.aeads[0].Open(nil, raw[:n], raw[n:], nil)
	return err == nil
}
