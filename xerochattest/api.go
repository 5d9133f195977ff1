package xerochattest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
)

// For returns the server as seen from tb, usually a subtest: the copy's
// helpers fail tb rather than the test that started the server, and a
// failure inside a subtest's helper stops that subtest only.
func (s *Server) For(tb testing.TB) *Server {
	c := *s
	c.tb = tb
	return &c
}

// Send calls the server's /api/<path> (which may carry a query string) with
// any method, a body of the given Content-Type ("" sends none) and header
// name, value pairs: for requests the shapes of Get, Post and PostJSON do
// not cover.
func (s *Server) Send(method, path, contentType string, body io.Reader, header ...string) Response {
	s.tb.Helper()
	req, err := http.NewRequest(method, s.URL+"/api/"+path, body)
	if err != nil {
		s.tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return Do(s.tb, req)
}

// Exec runs a literal SQL statement on the server's own database, for
// stored states no door of the server makes (a deleted user, a package
// row). Statements carry no placeholders so that they run unchanged on
// SQLite and PostgreSQL.
func (s *Server) Exec(stmt string) {
	s.tb.Helper()
	if _, err := s.DB.SQL().ExecContext(context.Background(), stmt); err != nil {
		s.tb.Fatalf("%s: %v", stmt, err)
	}
}

// On returns the member as the owner of another of its pages, so that the
// kit's page helpers (Person, AddSubscriber, AddFlow) act on that page.
func (m *Member) On(p *xerochat.Page) *Member {
	c := *m
	c.PageID, c.Page = p.PageID, p
	return &c
}

// SubscriberInfoFields are the fields of subscriber_information's
// subscriber_info object, in the documented order: the one place the tests
// write that shape.
var SubscriberInfoFields = []string{"subscriber_id", "labels", "first_name", "last_name", "full_name", "gender",
	"locale", "timezone", "page_name", "page_id", "unavailable", "last_error_message",
	"last_error_message_conversation_broadcast", "refferer_source", "subscribed_at", "email", "phone_number",
	"birthdate", "last_subscriber_interaction_time"}

// SubscriberInfoJSON is the success answer of subscriber_information with
// the given values of SubscriberInfoFields, in that order, all JSON strings.
func SubscriberInfoJSON(values ...string) string {
	if len(values) != len(SubscriberInfoFields) {
		panic(fmt.Sprintf("SubscriberInfoJSON: %d values for %d fields", len(values), len(SubscriberInfoFields)))
	}
	var b strings.Builder
	b.WriteString(`{"status":"success","subscriber_info":{`)
	for i, k := range SubscriberInfoFields {
		if i > 0 {
			b.WriteByte(',')
		}
		v, _ := json.Marshal(values[i])
		fmt.Fprintf(&b, "%q:%s", k, v)
	}
	b.WriteString("}}")
	return b.String()
}

// SubscriberInfoOf asks subscriber_information with the key about psid
// (pageID may be "") and returns its subscriber_info object, failing the
// test on an error answer.
func (s *Server) SubscriberInfoOf(key, psid, pageID string) map[string]any {
	s.tb.Helper()
	res := s.Get("subscriber_information", Vals("api_key", key, "subscriber_id", psid, "page_id", pageID))
	info, ok := res.JSON(s.tb)["subscriber_info"].(map[string]any)
	if !ok {
		s.tb.Fatalf("subscriber_information %s: %s", psid, res.Body)
	}
	return info
}
