package api

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/xerochat/xerochat"
)

// Limits that keep one client or one tenant from exhausting the server.
const (
	// DefaultKeyFailureRate and DefaultKeyFailureBurst bound failed API
	// key checks per client address: a burst of 20, then one a second. A
	// client with real keys never comes near; one guessing keys is
	// answered 429.
	DefaultKeyFailureRate  = rate.Limit(1)
	DefaultKeyFailureBurst = 20
	// DefaultStreamIdleTimeout ends a streamed answer whose client stopped
	// reading: no write may wait longer than this.
	DefaultStreamIdleTimeout = 15 * time.Second
	// StreamsPerUser and StreamsTotal bound the heavy streamed answers
	// (get_all_subscriber_flow_info) running at once, for one user and for
	// the process: each holds a database connection while it sends, and
	// the other tenants need the rest of the pool.
	StreamsPerUser = 2
	StreamsTotal   = 4
)

// Messages of the limits (extensions: the original had no limits).
const (
	msgKeyThrottled = "Too many failed API key checks from your address; try again in a minute"
	msgStreamBusy   = "Too many large answers are being sent at once; try again shortly"
)

// keyThrottle counts failed key checks per client address.
type keyThrottle struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*rate.Limiter
	swept   time.Time
}

// blocked reports whether the address has used up its failures.
func (k *keyThrottle) blocked(ip string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.clients[ip]
	return ok && l.Tokens() < 1
}

// failed records a failed check from the address.
func (k *keyThrottle) failed(ip string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.clients == nil {
		k.clients = map[string]*rate.Limiter{}
	}
	now := time.Now()
	if now.Sub(k.swept) > time.Minute {
		// Addresses whose bucket has refilled are forgotten, so that the
		// map stays as small as the set of recent offenders.
		for addr, l := range k.clients {
			if l.TokensAt(now) >= float64(k.burst) {
				delete(k.clients, addr)
			}
		}
		k.swept = now
	}
	l, ok := k.clients[ip]
	if !ok {
		l = rate.NewLimiter(k.rate, k.burst)
		k.clients[ip] = l
	}
	l.AllowN(now, 1)
}

// streams counts the heavy streamed answers running.
type streams struct {
	mu     sync.Mutex
	total  int
	byUser map[int64]int
}

// acquire takes a place for the user's stream, or answers false when the
// user or the process has as many as allowed.
func (s *streams) acquire(userID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byUser == nil {
		s.byUser = map[int64]int{}
	}
	if s.total >= StreamsTotal || s.byUser[userID] >= StreamsPerUser {
		return false
	}
	s.total++
	s.byUser[userID]++
	return true
}

func (s *streams) release(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.byUser[userID]--; s.byUser[userID] <= 0 {
		delete(s.byUser, userID)
	}
}

// tooMany is the 429 answer of a limit, in the contract's envelope.
func tooMany(msg string) error { return &xerochat.Error{Code: xerochat.ETOOMANY, Message: msg} }

// idleWriter sets the connection's write deadline before every write, so
// that a client that stops reading ends the stream within idle while one
// that reads goes on.
type idleWriter struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (iw idleWriter) Write(b []byte) (int, error) {
	_ = iw.rc.SetWriteDeadline(time.Now().Add(iw.idle))
	return iw.w.Write(b)
}
