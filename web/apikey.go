package web

import (
	"net/http"
	"time"
)

// apiKeyData is what the API key screen shows. Key is set only on the
// answer that made it: the one time it is ever shown.
type apiKeyData struct {
	HasKey  bool
	MadeAt  time.Time
	Key     string
	CanUse  bool
	DocsURL string
}

// apiKey shows whether the user has an API key and when it was made.
func (s *Server) apiKey(w http.ResponseWriter, r *http.Request, v *view) {
	s.renderAPIKey(w, r, v, "")
}

// newAPIKey makes a new key through the use case that the CLI and the
// admin use; the old key stops working at once, on every process.
func (s *Server) newAPIKey(w http.ResponseWriter, r *http.Request, v *view) {
	key, err := s.App.RotateAPIKey(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Notice = "A new API key was made. The old one no longer works. Copy the key now: it is shown only this once."
	s.renderAPIKey(w, r, v, key)
}

func (s *Server) renderAPIKey(w http.ResponseWriter, r *http.Request, v *view, key string) {
	at, ok, err := s.Sessions.APIKeyStatus(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Title, v.Nav = "API Key", "apikey"
	v.Data = apiKeyData{HasKey: ok, MadeAt: at, Key: key, CanUse: v.User.CanUseAPI(time.Now().In(s.Location)),
		DocsURL: "/api/doc"}
	s.render(w, r, "apikey", v)
}
