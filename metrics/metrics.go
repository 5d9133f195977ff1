// Package metrics is xerochat's Prometheus instrumentation, through the
// well-kept client library: HTTP requests by route and status with latency
// histograms, the database pools, the Messenger backlog and its lag, and
// Facebook calls by method and outcome. The server serves them on a
// listener of their own (--metrics-addr), never on the public one.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the registry and the instruments the layers update.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.HistogramVec
	facebook *prometheus.CounterVec
}

// New makes the registry with the Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "xerochat_http_request_duration_seconds",
			Help:    "HTTP requests by route, method and outcome (status code, or canceled when the client went away), with their duration.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
		}, []string{"route", "method", "code"}),
		facebook: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xerochat_facebook_calls_total",
			Help: "Calls to Facebook's Graph API by method and outcome (ok, invalid_token, rate_limited, outside_window, refused, unreachable).",
		}, []string{"method", "outcome"}),
	}
	reg.MustRegister(m.requests, m.facebook)
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// DB reports a database pool's use (open, in use, idle connections, waits)
// under the pool's name.
func (m *Metrics) DB(name string, db *sql.DB) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Backlog reports the Messenger work waiting, read when Prometheus scrapes:
// webhook batches not yet processed, the age of the oldest (the lag),
// messages not yet sent and profiles not yet fetched.
type Backlog func(ctx context.Context) (batches, messages, profiles int, oldest time.Duration, err error)

// WatchBacklog registers gauges over read, shared across the cluster.
func (m *Metrics) WatchBacklog(read Backlog) {
	m.Registry.MustRegister(&backlogCollector{read: read})
}

// CSVJobs reports the CSV imports waiting and running (whole cluster).
type CSVJobs func(ctx context.Context) (pending, running int, err error)

// WatchCSVJobs registers gauges over read, read when Prometheus scrapes.
func (m *Metrics) WatchCSVJobs(read CSVJobs) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "xerochat_csv_jobs_pending", Help: "CSV contact imports waiting for a runner (whole cluster).",
	}, func() float64 { p, _ := csvCounts(read); return float64(p) }))
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "xerochat_csv_jobs_running", Help: "CSV contact imports being run (whole cluster).",
	}, func() float64 { _, r := csvCounts(read); return float64(r) }))
}

func csvCounts(read CSVJobs) (pending, running int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pending, running, _ = read(ctx)
	return pending, running
}

var (
	descBatches  = prometheus.NewDesc("xerochat_webhook_backlog_batches", "Webhook batches received and not yet processed (whole cluster).", nil, nil)
	descLag      = prometheus.NewDesc("xerochat_webhook_lag_seconds", "Age of the oldest webhook batch not yet processed (whole cluster).", nil, nil)
	descOutbox   = prometheus.NewDesc("xerochat_outbox_pending_messages", "Messages queued for the Send API and not yet sent (whole cluster).", nil, nil)
	descProfiles = prometheus.NewDesc("xerochat_profiles_pending", "New subscribers whose profile was not yet asked of Facebook (whole cluster).", nil, nil)
)

type backlogCollector struct{ read Backlog }

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descBatches
	ch <- descLag
	ch <- descOutbox
	ch <- descProfiles
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	batches, messages, profiles, oldest, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descBatches, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descBatches, prometheus.GaugeValue, float64(batches))
	ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, oldest.Seconds())
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(messages))
	ch <- prometheus.MustNewConstMetric(descProfiles, prometheus.GaugeValue, float64(profiles))
}
