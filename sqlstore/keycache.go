package sqlstore

import (
	"context"
	"sync"

	"github.com/xerochat/xerochat"
)

// keyCacheSize bounds the users kept; a full cache starts over.
const keyCacheSize = 10_000

// keyCache keeps the owners of recently used API keys, by key digest, so
// that a request reads one tiny row (the generation in auth_generation)
// instead of the user. Every change to a user that a key check reads bumps
// the generation in the same transaction (triggers of migration 00004, on
// any process); entries are only used while the generation they were read
// under is the current one. Only keys that were found are kept, so random
// keys cannot fill it.
type keyCache struct {
	mu    sync.Mutex
	gen   int64
	users map[string]*xerochat.User // digest -> user, read under gen
}

// get returns a copy of the user of digest if it was read under gen, the
// generation just read from the database.
func (c *keyCache) get(gen int64, digest string) *xerochat.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen > c.gen || c.users == nil {
		c.gen, c.users = gen, map[string]*xerochat.User{}
	}
	u, ok := c.users[digest]
	if !ok || gen != c.gen {
		return nil
	}
	cp := *u
	return &cp
}

// put keeps u as the user of digest, read under gen, unless the generation
// has moved on since.
func (c *keyCache) put(gen int64, digest string, u *xerochat.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.users == nil {
		return
	}
	if len(c.users) >= keyCacheSize {
		clear(c.users)
	}
	cp := *u
	c.users[digest] = &cp
}

// authGeneration reads the current generation of the users' key data.
func (db *DB) authGeneration(ctx context.Context) (int64, error) {
	var n int64
	err := db.read().queryRow(ctx, `SELECT n FROM auth_generation WHERE id = 1`).Scan(&n)
	return n, err
}
