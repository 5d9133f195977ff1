package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// EnvBenchLarge opts in to the benchmark cases with a million rows, which
// take a minute to seed and so stay out of an ordinary run.
const EnvBenchLarge = "XEROCHAT_BENCH_LARGE"

// BenchmarkCreateContact creates contacts, one call at a time, in a table
// already holding 10,000 and (with XEROCHAT_BENCH_LARGE=1) 1,000,000 of the
// same user's contacts: a write that uses its indexes costs the same in
// both. XEROCHAT_BENCH_SYNC=normal measures SQLite without a sync per
// commit. Figures: docs/benchmarks.md.
//
//	XEROCHAT_BENCH_LARGE=1 go test ./sqlstore -run '^$' -bench CreateContact -benchtime 3s
func BenchmarkCreateContact(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			if n > 100_000 && os.Getenv(EnvBenchLarge) == "" {
				b.Skipf("set %s=1 to seed %d contacts", EnvBenchLarge, n)
			}
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, sqlstoretest.URL(b), sqlstore.Options{Sync: os.Getenv(EnvBenchSync)})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			uid, group := seedContacts(b, db, n)
			b.ResetTimer()
			for i := range b.N {
				_, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group,
					Email: fmt.Sprintf("new%d@example.com", i), PhoneNumber: fmt.Sprintf("+2%d", i), FirstName: "Bench"})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seedContacts stores a member with a group holding n contacts, each with
// an e-mail and a phone number, a few thousand rows per INSERT inside one
// transaction, and returns the member's and the group's ids.
func seedContacts(tb testing.TB, db *sqlstore.DB, n int) (uid, group int64) {
	tb.Helper()
	ctx := context.Background()
	uid, err := db.CreateUser(ctx, xerochat.NewUser{Name: "B", Email: "bench@example.com", Password: "pw",
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: "2099-01-01"})
	if err != nil {
		tb.Fatal(err)
	}
	if group, err = db.CreateContactGroup(ctx, uid, "G"); err != nil {
		tb.Fatal(err)
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	const rows = 4000
	var q strings.Builder
	for start := 0; start < n; start += rows {
		q.Reset()
		q.WriteString("INSERT INTO contacts (user_id, contact_type_id, first_name, email, email_key, phone_number) VALUES ")
		for i := start; i < min(n, start+rows); i++ {
			if i > start {
				q.WriteByte(',')
			}
			fmt.Fprintf(&q, "(%d,%d,'Seed','s%d@example.com','s%d@example.com','+1%d')", uid, group, i, i, i)
		}
		if _, err := tx.ExecContext(ctx, q.String()); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	settle(tb, db)
	return uid, group
}

// settle finishes the work a large seed leaves behind, so that it does not
// run during the measurement: statistics, PostgreSQL's vacuum (autovacuum
// would otherwise start on the new rows mid-benchmark) and a checkpoint.
func settle(tb testing.TB, db *sqlstore.DB) {
	tb.Helper()
	stmts := []string{"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"}
	if db.Dialect() == sqlstore.Postgres {
		stmts = []string{"VACUUM ANALYZE contacts", "CHECKPOINT"}
	}
	for _, q := range stmts {
		if _, err := db.SQL().Exec(q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
}
