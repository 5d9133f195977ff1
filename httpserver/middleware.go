package httpserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// statusRecorder remembers the status and size of an answer for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (write
// deadlines of streamed answers).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// LogRequests logs one line per request. It logs the path only: the query
// string carries API keys. A panic in a handler is logged and answered 500
// in the contract's shape instead of dropping the connection.
func LogRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "http: panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					WriteError(rec, http.StatusInternalServerError, "Internal server error")
				}
			}
			logger.InfoContext(r.Context(), "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "ms", strconv.FormatFloat(float64(time.Since(start).Microseconds())/1000, 'f', 2, 64),
				"remote", r.RemoteAddr)
		}()
		next.ServeHTTP(rec, r)
	})
}
