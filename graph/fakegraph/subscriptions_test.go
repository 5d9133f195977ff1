package fakegraph

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestSubscribedAppsWire(t *testing.T) {
	s := loginServer(t)
	s.SetApp("777", "other-secret")
	list := func() string {
		t.Helper()
		a := call(t, s, "GET", "/v21.0/p1/subscribed_apps", url.Values{"access_token": {token1}}, "")
		if a.status != 200 {
			t.Fatalf("list: %d %s", a.status, a.raw)
		}
		return strings.TrimSpace(a.raw)
	}
	if got := list(); got != `{"data":[]}` {
		t.Errorf("before: %s", got)
	}
	// Fields in the query, as Facebook documents it.
	a := call(t, s, "POST", "/v21.0/p1/subscribed_apps?subscribed_fields=messages,messaging_postbacks",
		url.Values{"access_token": {token1}}, "")
	if a.status != 200 || a.body["success"] != true {
		t.Fatalf("subscribe: %d %s", a.status, a.raw)
	}
	if got := list(); got != `{"data":[{"id":"777","name":"XeroChat","subscribed_fields":["messages","messaging_postbacks"]}]}` {
		t.Errorf("after subscribe: %s", got)
	}
	if fields, ok := s.Subscription("p1"); !ok || !slices.Equal(fields, []string{"messages", "messaging_postbacks"}) {
		t.Errorf("Subscription = %v, %v", fields, ok)
	}
	if _, ok := s.Subscription("p2"); ok {
		t.Error("p2 subscribed")
	}
	a = call(t, s, "POST", "/v21.0/p1/subscribed_apps", url.Values{"access_token": {token1}, "subscribed_fields": {"messages,bogus"}}, "")
	if e := graphError(t, a); e["code"] != float64(100) || !strings.Contains(e["message"].(string), `got "bogus"`) {
		t.Errorf("unknown field: %s", a.raw)
	}
	for range 2 { // unsubscribing twice succeeds twice
		if a := call(t, s, "DELETE", "/v21.0/p1/subscribed_apps", url.Values{"access_token": {token1}}, ""); a.status != 200 || a.body["success"] != true {
			t.Errorf("unsubscribe: %d %s", a.status, a.raw)
		}
	}
	if got := list(); got != `{"data":[]}` {
		t.Errorf("after unsubscribe: %s", got)
	}
	if _, ok := s.Subscription("p1"); ok {
		t.Error("still subscribed")
	}
}

// TestRequireSubscription: with RequireSubscription on, a person's events
// reach the webhook only for the fields the page is subscribed to.
func TestRequireSubscription(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer hook.Close()
	p := s.Person("p1", "u9", Profile{FirstName: "Eve"}, hook.URL, "")
	delivered := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}

	if _, err := p.Say("before"); err != nil || delivered() != 1 {
		t.Fatalf("off by default: %v, %d delivered", err, delivered())
	}
	s.RequireSubscription(true)
	if _, err := p.Say("not subscribed"); !errors.Is(err, ErrNotSubscribed) {
		t.Errorf("unsubscribed page: %v", err)
	}
	a := call(t, s, "POST", "/v21.0/p1/subscribed_apps", url.Values{"access_token": {token1}, "subscribed_fields": {"messages"}}, "")
	if a.status != 200 {
		t.Fatal(a.raw)
	}
	if _, err := p.Say("subscribed"); err != nil {
		t.Errorf("subscribed to messages: %v", err)
	}
	if _, err := p.Postback("Get Started", "GET_STARTED", "", ""); !errors.Is(err, ErrNotSubscribed) {
		t.Errorf("postback without messaging_postbacks: %v", err)
	}
	if err := p.Label("123", "VIP", true); !errors.Is(err, ErrNotSubscribed) {
		t.Errorf("label without inbox_labels: %v", err)
	}
	if n := delivered(); n != 2 || !strings.Contains(got[1], `"text":"subscribed"`) {
		t.Errorf("delivered %d: %v", n, got)
	}
}
