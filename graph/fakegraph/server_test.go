package fakegraph

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const (
	token1 = "EAAtoken-page-one-secret"
	token2 = "EAAtoken-page-two-secret"
)

func newServer(t *testing.T) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	s.AddPage("p1", token1, "Page One")
	s.AddPage("p2", token2, "Page Two")
	s.AddUser("p1", "u1", Profile{FirstName: "Ada", LastName: "Lovelace"})
	s.AddUser("p2", "u2", Profile{Name: "Grace Hopper"})
	return s
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends one request; form goes in the body for POST and in the query
// otherwise, and a non-empty jsonBody is sent as application/json.
func call(t *testing.T, s *Server, method, path string, form url.Values, jsonBody string) answer {
	t.Helper()
	u := s.URL() + path
	var body io.Reader
	ct := ""
	switch {
	case jsonBody != "":
		body, ct = strings.NewReader(jsonBody), "application/json"
		u += "?" + form.Encode()
	case method == http.MethodPost:
		body, ct = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	default:
		u += "?" + form.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &a.body)
	return a
}

// graphError returns the error object of an answer, failing if there is none.
func graphError(t *testing.T, a answer) map[string]any {
	t.Helper()
	e, ok := a.body["error"].(map[string]any)
	if !ok {
		t.Fatalf("answer %d %s has no error object", a.status, a.raw)
	}
	return e
}

func TestErrorEnvelope(t *testing.T) {
	s := newServer(t)
	label := s.AddLabel("p2", "Other page's label")
	tok := func(v url.Values, token string) url.Values { v.Set("access_token", token); return v }
	tests := []struct {
		name          string
		method, path  string
		form          url.Values
		status, code  int
		subcode       int
		typ, message  string
		messagePrefix bool
	}{
		{"missing token", "GET", "/v21.0/p1/custom_labels", url.Values{}, 400, 190, 0, "OAuthException",
			"Invalid OAuth access token - Cannot parse access token", false},
		{"wrong token", "POST", "/v21.0/p1/custom_labels", tok(url.Values{"page_label_name": {"x"}}, "nope"), 400, 190, 0,
			"OAuthException", "Invalid OAuth access token - Cannot parse access token", false},
		{"old name field", "POST", "/v21.0/p1/custom_labels", tok(url.Values{"name": {"VIP"}}, token1), 400, 100, 0,
			"OAuthException", "(#100) The parameter page_label_name is required", false},
		{"another page's labels", "POST", "/v21.0/p2/custom_labels", tok(url.Values{"page_label_name": {"x"}}, token1),
			400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID 'p2'", true},
		{"another page's label", "POST", "/v21.0/" + label + "/label", tok(url.Values{"user": {"u1"}}, token1),
			400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID '" + label + "'", true},
		{"unknown psid on label", "POST", "/v21.0/" + label + "/label", tok(url.Values{"user": {"u1"}}, token2),
			400, 100, 0, "OAuthException", "(#100) The user ID is not valid.", false},
		{"unknown psid profile", "GET", "/v21.0/u2", tok(url.Values{"fields": {"first_name"}}, token1),
			400, 100, 2018001, "OAuthException", "(#100) No matching user found", false},
		{"unknown route", "GET", "/v21.0/p1/feed", tok(url.Values{}, token1),
			400, 100, 33, "GraphMethodException", "Unsupported get request. Object with ID 'p1'", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, s, tt.method, tt.path, tt.form, "")
			if a.status != tt.status {
				t.Errorf("status = %d, want %d", a.status, tt.status)
			}
			if a.header.Get("X-App-Usage") == "" {
				t.Error("no X-App-Usage header")
			}
			e := graphError(t, a)
			msg, _ := e["message"].(string)
			if tt.messagePrefix && !strings.HasPrefix(msg, tt.message) || !tt.messagePrefix && msg != tt.message {
				t.Errorf("message = %q, want %q", msg, tt.message)
			}
			if e["code"] != float64(tt.code) || e["type"] != tt.typ {
				t.Errorf("code, type = %v, %v; want %d, %s", e["code"], e["type"], tt.code, tt.typ)
			}
			sub, has := e["error_subcode"]
			if tt.subcode == 0 && has || tt.subcode != 0 && sub != float64(tt.subcode) {
				t.Errorf("error_subcode = %v, want %d (absent when 0)", sub, tt.subcode)
			}
			if id, _ := e["fbtrace_id"].(string); id == "" {
				t.Error("no fbtrace_id")
			}
		})
	}
	if got := s.Labels("p2"); len(got) != 1 {
		t.Errorf("refused calls created labels: %v", got)
	}
}

func TestCallsRedactToken(t *testing.T) {
	s := newServer(t)
	call(t, s, "POST", "/v21.0/p1/custom_labels", url.Values{"page_label_name": {"VIP"}, "access_token": {token1}}, "")
	call(t, s, "GET", "/p1/custom_labels", url.Values{"access_token": {token1}}, "")
	call(t, s, "POST", "/v19.0/me/messages", url.Values{},
		`{"access_token":"`+token1+`","recipient":{"id":"u1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`)

	calls := s.Calls()
	if len(calls) != 3 {
		t.Fatalf("got %d calls, want 3", len(calls))
	}
	want := []struct{ version, path string }{{"v21.0", "/p1/custom_labels"}, {"", "/p1/custom_labels"}, {"v19.0", "/me/messages"}}
	for i, c := range calls {
		if c.Version != want[i].version || c.Path != want[i].path {
			t.Errorf("call %d: version, path = %q, %q; want %q, %q", i, c.Version, c.Path, want[i].version, want[i].path)
		}
		if c.Values.Get("access_token") != "REDACTED" {
			t.Errorf("call %d: access_token = %q, want REDACTED", i, c.Values.Get("access_token"))
		}
		if strings.Contains(fmt.Sprint(c), token1) {
			t.Errorf("call %d holds the token: %+v", i, c)
		}
	}
	if !strings.Contains(calls[2].Body, `"recipient":{"id":"u1"}`) {
		t.Errorf("JSON body not recorded: %s", calls[2].Body)
	}
	if n := len(s.Sent("u1")); n != 1 {
		t.Errorf("token in a JSON body: %d messages sent, want 1", n)
	}
	if got := s.CallCount("POST", "/custom_labels"); got != 1 {
		t.Errorf("CallCount(POST, /custom_labels) = %d, want 1", got)
	}
	if got := s.CallCount("", "/custom_labels"); got != 2 {
		t.Errorf("CallCount(any, /custom_labels) = %d, want 2", got)
	}
}

func TestPagingWire(t *testing.T) {
	s := newServer(t)
	for i := range 23 {
		s.AddLabel("p1", fmt.Sprintf("L%02d", i))
	}
	q := url.Values{"access_token": {token1}, "fields": {"page_label_name"}, "limit": {"10"}}
	a := call(t, s, "GET", "/v19.0/me/custom_labels", q, "")
	var names []string
	for pages := 1; ; pages++ {
		for _, d := range a.body["data"].([]any) {
			names = append(names, d.(map[string]any)["page_label_name"].(string))
		}
		paging := a.body["paging"].(map[string]any)
		cursors := paging["cursors"].(map[string]any)
		if cursors["before"] == "" || cursors["after"] == "" {
			t.Errorf("page %d: empty cursors %v", pages, cursors)
		}
		next, _ := paging["next"].(string)
		if next == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		if !strings.HasPrefix(next, s.URL()+"/v19.0/me/custom_labels?") || !strings.Contains(next, "after=") {
			t.Fatalf("next = %q, want an absolute link with after=", next)
		}
		resp, err := http.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		a = answer{}
		json.NewDecoder(resp.Body).Decode(&a.body)
		resp.Body.Close()
	}
	if len(names) != 23 || names[0] != "L00" || names[22] != "L22" {
		t.Errorf("names = %v", names)
	}

	s.SetPageSize(5)
	a = call(t, s, "GET", "/v21.0/p1/custom_labels", url.Values{"access_token": {token1}}, "")
	data := a.body["data"].([]any)
	if len(data) != 5 {
		t.Errorf("page size 5: got %d items", len(data))
	}
	if _, named := data[0].(map[string]any)["page_label_name"]; named {
		t.Error("page_label_name answered without being asked for")
	}
}

func TestFail(t *testing.T) {
	s := newServer(t)
	label := s.AddLabel("p1", "VIP")
	assign := func() answer {
		return call(t, s, "POST", "/v21.0/"+label+"/label", url.Values{"user": {"u1"}, "access_token": {token1}}, "")
	}
	s.Fail("POST", "/label", ErrRateLimit(), 2)
	for i := range 2 {
		a := assign()
		if e := graphError(t, a); e["code"] != float64(4) || e["message"] != "(#4) Application request limit reached" {
			t.Errorf("try %d: %v", i, e)
		}
		if !strings.Contains(a.header.Get("X-Business-Use-Case-Usage"), `"estimated_time_to_regain_access":5`) {
			t.Errorf("rate limit without usage header: %q", a.header.Get("X-Business-Use-Case-Usage"))
		}
	}
	if a := assign(); a.status != 200 || a.body["success"] != true {
		t.Fatalf("third try: %d %s", a.status, a.raw)
	}

	s.Fail("", "/label", ErrLabelTerms(), -1)
	for range 3 {
		if a := assign(); a.status != 500 || graphError(t, a)["error_subcode"] != float64(2018344) {
			t.Errorf("persistent failure: %d %s", a.status, a.raw)
		}
	}
	s.ClearFailures()
	if a := assign(); a.status != 200 {
		t.Errorf("after ClearFailures: %d %s", a.status, a.raw)
	}
	if got := s.CallCount("POST", "/label"); got != 7 {
		t.Errorf("CallCount = %d, want 7 (failed calls count)", got)
	}
}

func TestSendMessageForm(t *testing.T) {
	s := newServer(t)
	form := url.Values{
		"access_token":   {token1},
		"recipient":      {`{"id":"u1"}`},
		"messaging_type": {"MESSAGE_TAG"},
		"tag":            {"ACCOUNT_UPDATE"},
		"message":        {`{"text":"hello","quick_replies":[{"content_type":"text","title":"A title well over twenty runes","payload":"P"}]}`},
	}
	a := call(t, s, "POST", "/v21.0/me/messages", form, "")
	if a.status != 200 || a.body["recipient_id"] != "u1" || !strings.HasPrefix(a.body["message_id"].(string), "m_") {
		t.Fatalf("answer %d %s", a.status, a.raw)
	}
	sent := s.Sent("u1")
	if len(sent) != 1 {
		t.Fatalf("sent %d messages", len(sent))
	}
	m := sent[0]
	if m.PageID != "p1" || m.PageToken != token1 || m.MessagingType != "MESSAGE_TAG" || m.Tag != "ACCOUNT_UPDATE" ||
		m.Text != "hello" || m.MessageID != a.body["message_id"] {
		t.Errorf("sent %+v", m)
	}
	if len(m.QuickReplies) != 1 || m.QuickReplies[0].Title != "A title well over tw" {
		t.Errorf("quick replies %+v, want the title cut to 20", m.QuickReplies)
	}
}

func TestSendMessageRefused(t *testing.T) {
	s := newServer(t)
	qr := func(n int) string {
		var b []string
		for i := range n {
			b = append(b, fmt.Sprintf(`{"content_type":"text","title":"T%d","payload":"P%d"}`, i, i))
		}
		return "[" + strings.Join(b, ",") + "]"
	}
	body := func(psid, mt, message string) string {
		return fmt.Sprintf(`{"recipient":{"id":%q},"messaging_type":%q,"message":%s}`, psid, mt, message)
	}
	tests := []struct {
		name, body, message string
	}{
		{"another page's user", body("u2", "RESPONSE", `{"text":"hi"}`), "(#100) No matching user found"},
		{"no messaging_type", `{"recipient":{"id":"u1"},"message":{"text":"hi"}}`, "(#100) The parameter messaging_type is required"},
		{"unknown tag", body("u1", "MESSAGE_TAG", `{"text":"hi"}`), "(#100) Param tag must be one of"},
		{"empty message", body("u1", "RESPONSE", `{"text":""}`), "(#100) Message cannot be empty"},
		{"14 quick replies", body("u1", "RESPONSE", `{"text":"hi","quick_replies":`+qr(14)+`}`),
			"(#100) param message[quick_replies] must have at most 13 items"},
		{"untitled quick reply", body("u1", "RESPONSE", `{"text":"hi","quick_replies":[{"content_type":"text","payload":"P"}]}`),
			"(#100) param message[quick_replies][0][title] must be non-empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, s, "POST", "/v21.0/me/messages", url.Values{"access_token": {token1}}, tt.body)
			e := graphError(t, a)
			if a.status != 400 || e["code"] != float64(100) || !strings.HasPrefix(e["message"].(string), tt.message) {
				t.Errorf("got %d %v, want code 100 %q", a.status, e, tt.message)
			}
		})
	}
	a := call(t, s, "POST", "/v21.0/me/messages", url.Values{"access_token": {token1}},
		body("u1", "RESPONSE", `{"text":"hi","quick_replies":`+qr(13)+`}`))
	if a.status != 200 {
		t.Errorf("13 quick replies refused: %s", a.raw)
	}
	if n := len(s.AllSent()); n != 1 {
		t.Errorf("%d messages recorded, want only the accepted one", n)
	}
}

func TestDown(t *testing.T) {
	s := newServer(t)
	s.Down(true)
	a := call(t, s, "GET", "/v21.0/me", url.Values{"access_token": {token1}}, "")
	if a.status != 500 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") || a.body != nil {
		t.Errorf("down: %d %q %s", a.status, a.header.Get("Content-Type"), a.raw)
	}
	s.Down(false)
	a = call(t, s, "GET", "/v21.0/me", url.Values{"access_token": {token1}}, "")
	if a.status != 200 || a.body["name"] != "Page One" {
		t.Errorf("up again: %d %s", a.status, a.raw)
	}
}

// TestConcurrent is for the race detector.
func TestConcurrent(t *testing.T) {
	s := newServer(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			call(t, s, "POST", "/v21.0/p1/custom_labels",
				url.Values{"access_token": {token1}, "page_label_name": {fmt.Sprint("L", i)}}, "")
			call(t, s, "POST", "/v21.0/me/messages", url.Values{"access_token": {token1}},
				`{"recipient":{"id":"u1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`)
			s.Calls()
			s.AllSent()
			s.Labels("p1")
		})
	}
	wg.Wait()
	if n, m := len(s.Labels("p1")), len(s.Sent("u1")); n != 20 || m != 20 {
		t.Errorf("%d labels and %d messages, want 20 each", n, m)
	}
}
