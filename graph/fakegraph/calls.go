package fakegraph

import (
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Calls lists every request received, failed ones included, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.calls)
	for i := range out {
		out[i].Values = maps.Clone(out[i].Values)
	}
	return out
}

// CallCount counts the requests with that method ("" for any) whose path,
// without the version, ends with pathSuffix.
func (s *Server) CallCount(method, pathSuffix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if matches(c.Method, c.Path, method, pathSuffix) {
			n++
		}
	}
	return n
}

// ResetCalls forgets the requests received so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

func matches(method, path, wantMethod, suffix string) bool {
	return (wantMethod == "" || strings.EqualFold(method, wantMethod)) && strings.HasSuffix(path, suffix)
}

// readParams merges the query with a form body or the top-level fields of a
// JSON body; a JSON field that is not a string keeps its JSON text, which is
// how Graph reads {"recipient":{"id":..}} and recipient={"id":..} alike.
func readParams(r *http.Request, body []byte) (params url.Values, jsonBody map[string]json.RawMessage) {
	params = r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		form, _ := url.ParseQuery(string(body))
		for k, v := range form {
			params[k] = v
		}
	case "application/json":
		if json.Unmarshal(body, &jsonBody) != nil {
			return params, nil
		}
		for k, raw := range jsonBody {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				params.Set(k, str)
			} else {
				params.Set(k, string(raw))
			}
		}
	}
	return params, jsonBody
}

// secretParams are the parameters Calls never shows: tokens and the app
// secret.
var secretParams = []string{"access_token", "client_secret", "fb_exchange_token"}

func redactValues(v url.Values) url.Values {
	out := maps.Clone(v)
	for _, k := range secretParams {
		if _, ok := out[k]; ok {
			out[k] = []string{"REDACTED"}
		}
	}
	return out
}

func redactJSON(body map[string]json.RawMessage) string {
	if body == nil {
		return ""
	}
	if _, ok := body["access_token"]; ok {
		body["access_token"] = json.RawMessage(`"REDACTED"`)
	}
	b, _ := json.Marshal(body)
	return string(b)
}
