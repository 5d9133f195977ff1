package sqlstoretest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestRemote: through the proxy a round trip takes at least the added
// time, and many queries on many connections at once, with answers larger
// than one read, come back whole.
func TestRemote(t *testing.T) {
	if !sqlstoretest.Postgres() {
		t.Skip("PostgreSQL only")
	}
	direct := sqlstoretest.URL(t)
	const rtt = 2 * time.Millisecond
	remote := sqlstoretest.Remote(t, direct, rtt)
	if took := sqlstoretest.RoundTrip(t, remote); took < rtt {
		t.Errorf("a round trip through the proxy took %v, want at least %v", took, rtt)
	}

	db, err := sql.Open("pgx", remote)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(8)
	const n = 40
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var got string
			err := db.QueryRowContext(context.Background(), "SELECT repeat('x', $1::int)", 100_000+i).Scan(&got)
			if err == nil && len(got) != 100_000+i {
				err = sql.ErrNoRows
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("a query through the proxy: %v", err)
		}
	}
}
