package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Route names a request for the metrics; it must return few distinct
// values (e.g. the API endpoint's name, never an id or a query).
type Route func(*http.Request) string

// Instrument counts and times every request by route, method and outcome.
// A request whose client went away before the answer is counted as
// "canceled", apart from real failures.
func (m *Metrics) Instrument(route Route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &codeRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		code := strconv.Itoa(rec.code())
		if errors.Is(r.Context().Err(), context.Canceled) {
			code = "canceled"
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete:
		default:
			method = "other"
		}
		m.requests.WithLabelValues(route(r), method, code).Observe(time.Since(start).Seconds())
	})
}

type codeRecorder struct {
	http.ResponseWriter
	status int
}

func (r *codeRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *codeRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *codeRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *codeRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
