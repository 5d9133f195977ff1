// Package httpserver is the HTTP plumbing every door of xerochat shares:
// the one JSON envelope of the XeroChat contract, the routes that put the
// API, the webhook, health checks (and the web app) on one listener, and
// the middleware every request passes (request log, panic recovery).
//
// It imports only the standard library and the root package. The handlers
// it mounts arrive as http.Handler values: cmd/xerochat wires them.
package httpserver

import (
	"encoding/json"
	"net/http"
)

// Envelope is the XeroChat answer shape for a status and a message.
type Envelope struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// WriteJSON writes v as the JSON answer with the given HTTP status.
// HTML is not escaped: the original answered texts as they are.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError writes the contract's error envelope,
// {"status":"error","message":msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, Envelope{Status: "error", Message: msg})
}

// WriteSuccess writes {"status":"success","message":msg}.
func WriteSuccess(w http.ResponseWriter, msg string) {
	WriteJSON(w, http.StatusOK, Envelope{Status: "success", Message: msg})
}
