// Package messenger connects xerochat to Facebook Messenger: the webhook
// Facebook calls, the flow-campaign engine that answers people, and the
// workers that process webhook batches, send messages and fetch profiles.
//
// Intake only stores: a POST is verified, kept durably and answered 200 at
// once; workers process it afterwards. Each event takes effect in one
// transaction that also records its key, so a re-delivery, a crash part way
// or a second process never applies it twice.
package messenger

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/xerochat/xerochat/httpserver"
)

// MaxWebhookBytes bounds a webhook body; Facebook's batches are far smaller.
const MaxWebhookBytes = 1 << 20

// Intake is where the webhook keeps batches, each in its lane (the page):
// a lane is processed in order, the lanes side by side.
type Intake interface {
	StoreBatch(ctx context.Context, lane string, body []byte) (int64, error)
}

// Webhook serves GET (verification) and POST (events) at the callback URL.
type Webhook struct {
	Store Intake
	// AppSecret is the Facebook app's secret: every POST must carry a valid
	// X-Hub-Signature-256 made with it. Without it, POSTs are refused,
	// unless AllowUnsigned says otherwise: an unsigned webhook lets anyone on
	// the internet write into any tenant's conversations.
	AppSecret string
	// AllowUnsigned takes unsigned POSTs when no AppSecret is set: for
	// local development only.
	AllowUnsigned bool
	// VerifyToken is what Facebook must send to verify the callback.
	VerifyToken string
	Logger      *slog.Logger
	// Stored, if set, is called after a batch is kept, to wake a worker.
	Stored func()
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verify(w, r)
	case http.MethodPost:
		h.receive(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		reply(w, http.StatusMethodNotAllowed, "Method not allowed")
	}
}

// reply answers in the contract's envelope: success for 200, else error.
func reply(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusOK {
		httpserver.WriteSuccess(w, msg)
		return
	}
	httpserver.WriteError(w, status, msg)
}

// verify answers Facebook's subscription check with the challenge.
func (h *Webhook) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || h.VerifyToken == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(h.VerifyToken)) != 1 {
		reply(w, http.StatusForbidden, "Verification failed")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, q.Get("hub.challenge"))
}

// receive checks the signature over the exact bytes received, keeps the
// batch and answers 200 before any processing.
func (h *Webhook) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if err != nil {
		reply(w, http.StatusRequestEntityTooLarge, "Body too large")
		return
	}
	switch {
	case h.AppSecret == "" && !h.AllowUnsigned:
		h.logger().Warn("webhook: POST refused: no app secret is configured", "remote", r.RemoteAddr)
		reply(w, http.StatusForbidden, "Webhook disabled: the server has no Facebook app secret")
		return
	case h.AppSecret != "" && !validSignature(h.AppSecret, body, r.Header.Get("X-Hub-Signature-256")):
		h.logger().Warn("webhook: bad signature", "remote", r.RemoteAddr)
		reply(w, http.StatusForbidden, "Invalid signature")
		return
	}
	var head struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		reply(w, http.StatusBadRequest, "Malformed JSON")
		return
	}
	if head.Object != "page" {
		// Not Messenger (or not for pages): nothing of ours to keep.
		reply(w, http.StatusOK, "Ignored")
		return
	}
	// A body whose entries do not read as events is still kept: the worker
	// drops what it cannot read, with a log line, as for any bad event.
	if n, err := countEvents(body); err == nil && n > MaxBatchEvents {
		h.logger().Warn("webhook: batch refused: too many events", "events", n, "remote", r.RemoteAddr)
		reply(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Too many events in one batch (at most %d)", MaxBatchEvents))
		return
	}
	for _, lb := range splitLanes(body) {
		if _, err := h.Store.StoreBatch(r.Context(), lb.lane, lb.body); err != nil {
			h.logger().Error("webhook: store batch", "err", err)
			reply(w, http.StatusInternalServerError, "Internal server error")
			return
		}
	}
	if h.Stored != nil {
		h.Stored()
	}
	reply(w, http.StatusOK, "EVENT_RECEIVED")
}

// logger is the configured logger or slog's default. It reads and never
// sets the field: requests run concurrently.
func (h *Webhook) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// validSignature checks header "sha256=<hex HMAC-SHA256(secret, body)>".
func validSignature(secret string, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
