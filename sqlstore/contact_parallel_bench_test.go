package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// EnvBenchSync picks the SQLite sync mode of the parallel benchmark
// ("full", the default, or "normal"), to compare the two.
const EnvBenchSync = "XEROCHAT_BENCH_SYNC"

// BenchmarkCreateContactParallel creates contacts from 16 and 64 callers
// at once, in a table holding 100,000 contacts, and reports writes per
// second and the 50th/99th percentile latency of one call. On SQLite the
// callers share group commits. Figures: docs/benchmarks.md.
//
//	go test ./sqlstore -run '^$' -bench CreateContactParallel -benchtime 5s
func BenchmarkCreateContactParallel(b *testing.B) {
	for _, callers := range []int{16, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, sqlstoretest.URL(b), sqlstore.Options{Sync: os.Getenv(EnvBenchSync)})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			uid, group := seedContacts(b, db, 100_000)
			var next atomic.Int64
			lat := make([][]time.Duration, callers)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for c := range callers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						t0 := time.Now()
						_, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group,
							Email: fmt.Sprintf("p%d@example.com", i), FirstName: "Bench"})
						lat[c] = append(lat[c], time.Since(t0))
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			all := slices.Sorted(slices.Values(slices.Concat(lat...)))
			pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000 }
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "writes/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
