package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
	"github.com/xerochat/xerochat/xerochattest"
)

// The API benchmarks run a real server in-process on the run's database
// (SQLite, or PostgreSQL with XEROCHAT_TEST_POSTGRES) and call it over
// loopback HTTP from parallel clients. Besides ns/op they report requests
// per second and the 50th/99th percentile latency. Figures: docs/benchmarks.md.
//
//	go test ./api -run '^$' -bench API -benchtime 5s

// latencies collects request durations from parallel clients.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return
	}
	pct := func(p float64) float64 { return float64(l.d[int(float64(len(l.d)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// benchLoad runs b.N requests made by next, from parallel clients.
func benchLoad(b *testing.B, next func(i int64) *http.Request, check func(body string) bool) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var lat latencies
	var n, failures atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := next(n.Add(1))
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				failures.Add(1)
				continue
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			lat.add(time.Since(t0))
			if res.StatusCode != 200 || !check(string(body)) {
				failures.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d requests failed", f)
	}
	lat.report(b, elapsed)
}

func benchServer(b *testing.B) (*xerochattest.Server, *xerochattest.Member) {
	ts := xerochattest.NewServer(b)
	m := ts.NewMember("bench@example.com", "555000111222333")
	return ts, m
}

func BenchmarkAPIGetContact(b *testing.B) {
	ts, m := benchServer(b)
	ctx := context.Background()
	group, _ := ts.DB.CreateContactGroup(ctx, m.ID, "G")
	res := ts.Post("create_contact", vals("api_key", m.Key, "contact_type_id", fmt.Sprint(group), "email", "c@example.com"))
	if !strings.Contains(string(res.Body), "new_contact_id") {
		b.Fatalf("create_contact: %s", res.Body)
	}
	url := ts.URL + "/api/get_contact?api_key=" + m.Key + "&contact_id=1"
	benchLoad(b, func(int64) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		return req
	}, func(body string) bool { return strings.Contains(body, `"email":"c@example.com"`) })
}

func BenchmarkAPICreateContact(b *testing.B) {
	ts, m := benchServer(b)
	group, _ := ts.DB.CreateContactGroup(context.Background(), m.ID, "G")
	url := ts.URL + "/api/create_contact"
	benchLoad(b, func(i int64) *http.Request {
		body := fmt.Sprintf("api_key=%s&contact_type_id=%d&email=c%d@example.com&first_name=Bench", m.Key, group, i)
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}, func(body string) bool { return strings.Contains(body, "new_contact_id") })
}

// seedCampaign fills a campaign with subscribers × questions answers in a
// few set-based statements on the benchmark's own database: a hundred
// thousand people writing through the webhook would take far longer than
// the stream that is measured.
func seedCampaign(b testing.TB, ts *xerochattest.Server, m *xerochattest.Member, subscribers, questions int) int64 {
	qs := make([]string, questions)
	for i := range qs {
		qs[i] = fmt.Sprintf("Question number %d?", i+1)
	}
	fc := ts.AddFlow(m, "Big campaign", qs...)
	series := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `
	if ts.DB.Dialect() == sqlstore.Postgres {
		series = `WITH n(i) AS (SELECT generate_series(1, %d)) `
	}
	stmts := []string{
		// Their profiles were fetched long ago, as on a page in use: left
		// unfetched, the workers would fetch 100,000 of them from the fake
		// Facebook while the answer is measured.
		fmt.Sprintf(series+`INSERT INTO subscribers (user_id, page_ref, psid, first_name, profile_fetched)
			SELECT %d, %d, CAST(3000000000000000 + i AS TEXT), 'S', 1 FROM n`,
			subscribers, m.ID, m.Page.ID),
		fmt.Sprintf(`INSERT INTO flow_answers (campaign_id, question_id, subscriber_id, answer, answered_at)
			SELECT %d, q.id, s.id, 'An answer of moderate length, like a real one', 0
			FROM subscribers s CROSS JOIN flow_questions q WHERE s.page_ref = %d AND q.campaign_id = %d ORDER BY s.id, q.position`,
			fc.ID, m.Page.ID, fc.ID),
		// statistics, as autovacuum keeps them on a database in use
		`ANALYZE`,
	}
	for _, q := range stmts {
		if _, err := ts.DB.SQL().Exec(q); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	return fc.ID
}

// BenchmarkAPIAllSubscriberFlowInfo streams campaigns of 10,000 and
// 100,000 subscribers × 5 answers and reports the peak heap of the whole
// process (server and client) while it does: flat memory shows as the same
// peak for both sizes.
func BenchmarkAPIAllSubscriberFlowInfo(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) { benchFlowInfo(b, n) })
	}
}

func benchFlowInfo(b *testing.B, subscribers int) {
	ts, m := benchServer(b)
	id := seedCampaign(b, ts, m, subscribers, 5)
	url := fmt.Sprintf("%s/api/get_all_subscriber_flow_info?api_key=%s&flow_campaign_id=%d", ts.URL, m.Key, id)
	// The live heap after each collection is what the process really
	// holds; its peak during the stream, against the level before it, is
	// the stream's cost. (HeapInuse would also count garbage awaiting GC.)
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	base := live[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	var size int64
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		res, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		size, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(size)/1e6, "MB/answer")
	b.ReportMetric(elapsed.Seconds()/float64(b.N)*1000, "ms/answer")
	b.ReportMetric(float64(base)/1e6, "live-heap-before-MB")
	b.ReportMetric(float64(max(peak.Load(), base))/1e6, "peak-live-heap-MB")
}

// BenchmarkWebhook posts b.N Messenger events (in batches of 10, from 4
// parallel senders) and waits until every one is processed and every reply
// sent to the fake Send API. Half the events start a one-question flow, the
// other half answer it, so each pair stores an answer and sends two
// messages. The events are spread over 1 or 8 pages — each page a lane of
// its own — and taken by one server or two on the same database, each with
// 4 workers. It reports intake and end-to-end events per second.
func BenchmarkWebhook(b *testing.B) {
	for _, c := range []struct{ pages, servers int }{{1, 1}, {8, 1}, {8, 2}} {
		b.Run(fmt.Sprintf("pages=%d/servers=%d", c.pages, c.servers), func(b *testing.B) { benchWebhook(b, c.pages, c.servers, 0) })
	}
}

// BenchmarkWebhookRemoteDB is BenchmarkWebhook with PostgreSQL half a
// millisecond away, as on another host of a data centre: a lane then
// waits on its round trips instead of sharing the machine's two cores
// with the database, fake Facebook and the load, which shows how
// throughput grows with lanes.
func BenchmarkWebhookRemoteDB(b *testing.B) {
	if !sqlstoretest.Postgres() {
		b.Skip("PostgreSQL only: SQLite is in the process")
	}
	for _, c := range []struct{ pages, servers int }{{1, 1}, {8, 1}, {8, 2}} {
		b.Run(fmt.Sprintf("pages=%d/servers=%d", c.pages, c.servers), func(b *testing.B) {
			benchWebhook(b, c.pages, c.servers, 500*time.Microsecond)
		})
	}
}

// benchWebhook posts b.N message events, in batches of ten, to servers
// sharing one database, spread over pages, and waits until every one is
// processed and answered. rtt, when set, is added to every round trip to
// PostgreSQL.
func benchWebhook(b *testing.B, pages, servers int, rtt time.Duration) {
	db := sqlstoretest.URL(b)
	if rtt > 0 {
		db = sqlstoretest.Remote(b, db, rtt)
	}
	ts := xerochattest.NewServer(b, xerochattest.DatabaseURL(db), xerochattest.Workers(4))
	urls := []string{ts.URL + "/webhook"}
	for range servers - 1 {
		other := xerochattest.NewServer(b, xerochattest.DatabaseURL(db), xerochattest.Workers(4), xerochattest.WithFake(ts.Fake))
		urls = append(urls, other.URL+"/webhook")
	}
	m := ts.NewMember("hook@example.com", "555000111222400")
	ff := xerochat.FlowFile{FlowName: "Bench", CompletionMessage: "Done"}
	ff.Triggers.Keywords = []string{"survey"}
	ff.Questions = []xerochat.FlowFileQuestion{{Question: "Anything to add?"}}
	pageIDs := []string{m.PageID}
	ts.CreateFlow(m, ff)
	for p := 1; p < pages; p++ {
		page := ts.ConnectPage(m, fmt.Sprint(555000111222400+p), true)
		ts.CreateFlow(m.On(page), ff)
		pageIDs = append(pageIDs, page.PageID)
	}
	const people, perBatch = 200, 10
	for i := range people {
		ts.Fake.AddUser(pageIDs[i%pages], fmt.Sprint(4000000000000000+i), fakegraph.Profile{FirstName: "P"})
	}
	var batches [][]byte
	for start := 0; start < b.N; start += perBatch {
		// A batch holds events of one page, as Facebook's mostly do.
		page := pageIDs[(start/perBatch)%pages]
		var events []any
		for i := start; i < min(start+perBatch, b.N); i++ {
			person := (i/(perBatch*pages))*perBatch + i%perBatch
			person = (person*pages + (start/perBatch)%pages) % people
			text := "survey"
			if (i/(people*2))%2 == 1 {
				text = "an answer"
			}
			events = append(events, map[string]any{
				"sender": map[string]string{"id": fmt.Sprint(4000000000000000 + person)}, "recipient": map[string]string{"id": page},
				"timestamp": time.Now().UnixMilli(), "message": map[string]string{"mid": fmt.Sprintf("m_bench_%d", i), "text": text}})
		}
		body, _ := fakegraph.FacebookJSON(map[string]any{"object": "page", "entry": []any{map[string]any{
			"id": page, "time": time.Now().UnixMilli(), "messaging": events}}})
		batches = append(batches, body)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batches) {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, urls[i%len(urls)], strings.NewReader(string(batches[i])))
				req.Header.Set("X-Hub-Signature-256", fakegraph.Signature(xerochattest.AppSecret, batches[i]))
				res, err := http.DefaultClient.Do(req)
				if err != nil || res.StatusCode != 200 {
					b.Errorf("webhook: %v %v", err, res)
					return
				}
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	intake := time.Since(start)
	for {
		batches, messages, _, err := ts.DB.Backlog(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if batches+messages == 0 {
			break
		}
		// Each look counts whole tables; looking more often would load
		// the database it measures (at 5 ms, a tenth of its time).
		time.Sleep(25 * time.Millisecond)
	}
	total := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/intake.Seconds(), "intake-events/s")
	b.ReportMetric(float64(b.N)/total.Seconds(), "e2e-events/s")
	b.ReportMetric(float64(len(ts.Fake.AllSent()))/total.Seconds(), "sends/s")
	if rtt > 0 {
		b.ReportMetric(float64(sqlstoretest.RoundTrip(b, db).Microseconds())/1000, "db-rtt-ms")
	}
}
