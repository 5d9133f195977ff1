package api_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkHandlerNoStorage is the yardstick of the API benchmarks: a
// plain Go HTTP handler that reads the same query parameters as
// get_contact and answers a JSON body of the same shape, without any
// storage or key check, measured by the same parallel clients. An API
// read's requests/s divided by this one's is the share of the machine's
// HTTP capacity left after storage. Figures: docs/benchmarks.md.
//
//	go test ./api -run '^$' -bench 'HandlerNoStorage|APIGetContact' -benchtime 5s
func BenchmarkHandlerNoStorage(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("api_key") == "" || q.Get("contact_id") == "" {
			http.Error(w, "missing", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "contact": map[string]any{
			"id": 1, "user_id": 2, "contact_type_id": "1", "first_name": "", "last_name": "", "phone_number": "",
			"email": "c@example.com", "notes": "", "unsubscribed": "0", "deleted": "0"}})
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/api/get_contact?api_key=0123456789abcdef0123456789abcdef&contact_id=1"
	benchLoad(b, func(int64) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		return req
	}, func(body string) bool { return strings.Contains(body, `"email":"c@example.com"`) })
}
