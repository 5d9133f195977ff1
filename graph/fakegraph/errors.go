package fakegraph

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
)

// FBError is an error as Facebook answers it. HTTPStatus defaults to 400 and
// Type to "OAuthException", the values of most Graph errors.
type FBError struct {
	HTTPStatus int
	Code       int
	Subcode    int
	Type       string
	Message    string
}

// ErrInvalidPSID is Facebook's answer to a label call naming a person the
// page does not know.
func ErrInvalidPSID() FBError {
	return FBError{HTTPStatus: 400, Code: 100, Type: "OAuthException", Message: "(#100) The user ID is not valid."}
}

// ErrNoMatchingUser is Facebook's answer to a profile or Send API call
// naming a person the page does not know.
func ErrNoMatchingUser() FBError {
	return FBError{HTTPStatus: 400, Code: 100, Subcode: 2018001, Type: "OAuthException",
		Message: "(#100) No matching user found"}
}

// ErrInvalidToken is Facebook's answer to a missing, wrong or expired token.
func ErrInvalidToken() FBError {
	return FBError{HTTPStatus: 400, Code: 190, Type: "OAuthException",
		Message: "Invalid OAuth access token - Cannot parse access token"}
}

// ErrRateLimit is Facebook's application-level throttling error.
func ErrRateLimit() FBError {
	return FBError{HTTPStatus: 400, Code: 4, Type: "OAuthException", Message: "(#4) Application request limit reached"}
}

// ErrOutsideWindow is Facebook's refusal of an untagged message sent more
// than 24 hours after the person's last message.
func ErrOutsideWindow() FBError {
	return FBError{HTTPStatus: 400, Code: 10, Subcode: 2018278, Type: "OAuthException",
		Message: "(#10) This message is sent outside of allowed window."}
}

// ErrLabelTerms is Facebook's answer to label calls on a page whose admin has
// not accepted the terms that custom labels need. Facebook sends it as a
// server error, with a JSON body all the same.
func ErrLabelTerms() FBError {
	return FBError{HTTPStatus: 500, Code: 2, Subcode: 2018344, Type: "OAuthException",
		Message: "Service temporarily unavailable"}
}

// paramError is the code-100 error Graph gives for a bad parameter.
func paramError(msg string) *FBError {
	return &FBError{HTTPStatus: 400, Code: 100, Type: "OAuthException", Message: "(#100) " + msg}
}

// unsupported is Graph's answer when an id does not name an object this
// token may use in that way, such as another page's label.
func unsupported(method, id string) *FBError {
	return &FBError{HTTPStatus: 400, Code: 100, Subcode: 33, Type: "GraphMethodException",
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded "+
			"due to missing permissions, or does not support this operation. Please read the Graph API "+
			"documentation at https://developers.facebook.com/docs/graph-api", lowerMethod(method), id)}
}

func lowerMethod(m string) string {
	switch m {
	case http.MethodGet:
		return "get"
	case http.MethodPost:
		return "post"
	case http.MethodDelete:
		return "delete"
	}
	return m
}

type failure struct {
	method, suffix string
	err            FBError
	times          int // < 0: until cleared
}

// Fail makes the next times requests with that method ("" for any) whose
// path, without the version, ends with pathSuffix answer e instead; times < 0
// keeps failing until ClearFailures. Injected failures come before the token
// check, so they apply whatever token is sent.
func (s *Server) Fail(method, pathSuffix string, e FBError, times int) {
	if times == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failure{method: method, suffix: pathSuffix, err: e, times: times})
}

// ClearFailures drops every failure set with Fail.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// takeFailure uses up the first failure set for the call; it runs with s.mu
// held.
func (s *Server) takeFailure(method, path string) *FBError {
	for i, f := range s.failures {
		if !matches(method, path, f.method, f.suffix) {
			continue
		}
		e := f.err
		if f.times > 0 {
			f.times--
			if f.times == 0 {
				s.failures = slices.Delete(s.failures, i, i+1)
			}
		}
		return &e
	}
	return nil
}

// isRateLimit tells which codes Facebook pairs with usage at 100%.
func isRateLimit(code int) bool {
	return code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80000 && code <= 80014)
}

// writeError answers e in Facebook's envelope. Throttling errors also carry
// the X-Business-Use-Case-Usage header that tells when access comes back.
func writeError(w http.ResponseWriter, e FBError, pageID string) {
	status, typ := e.HTTPStatus, e.Type
	if status == 0 {
		status = http.StatusBadRequest
	}
	if typ == "" {
		typ = "OAuthException"
	}
	trace := rand.Text()[:11]
	if isRateLimit(e.Code) {
		if pageID == "" {
			pageID = "0"
		}
		w.Header().Set("X-Business-Use-Case-Usage", fmt.Sprintf(`{%q:[{"type":"pages","call_count":100,`+
			`"total_cputime":100,"total_time":100,"estimated_time_to_regain_access":5}]}`, pageID))
	}
	w.Header().Set("X-FB-Trace-ID", trace)
	type body struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode,omitempty"`
		FBTraceID string `json:"fbtrace_id"`
	}
	writeJSON(w, status, map[string]body{"error": {
		Message: e.Message, Type: typ, Code: e.Code, Subcode: e.Subcode, FBTraceID: trace,
	}})
}
