package fakegraph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestAccountsWire(t *testing.T) {
	s := loginServer(t)
	for _, id := range []string{"p3", "p4", "p5"} {
		s.AddPage(id, "EAAown-"+id, "Page "+strings.ToUpper(id[1:]))
		s.ManagePage("ada", id, "EAAada-"+id)
	}
	s.SetPageSize(2)
	user := userToken(t, s)
	a := call(t, s, "GET", "/v21.0/me/accounts", url.Values{"access_token": {user}, "fields": {"id,name,access_token,tasks"}}, "")
	var ids []string
	for pages := 1; ; pages++ {
		var got struct {
			Data []struct {
				ID          string   `json:"id"`
				Name        string   `json:"name"`
				AccessToken string   `json:"access_token"`
				Tasks       []string `json:"tasks"`
			} `json:"data"`
			Paging struct {
				Cursors struct{ Before, After string } `json:"cursors"`
				Next    string                         `json:"next"`
			} `json:"paging"`
		}
		if err := json.Unmarshal([]byte(a.raw), &got); err != nil || a.status != 200 {
			t.Fatalf("page %d: %d %s", pages, a.status, a.raw)
		}
		for _, d := range got.Data {
			ids = append(ids, d.ID)
			if d.AccessToken != s.PageToken("ada", d.ID) || d.Name == "" || len(d.Tasks) == 0 {
				t.Errorf("account %+v", d)
			}
		}
		if got.Paging.Cursors.Before == "" || got.Paging.Cursors.After == "" {
			t.Errorf("page %d without cursors: %s", pages, a.raw)
		}
		if got.Paging.Next == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		if !strings.HasPrefix(got.Paging.Next, s.URL()+"/v21.0/me/accounts?") {
			t.Fatalf("next = %q", got.Paging.Next)
		}
		next, err := url.Parse(got.Paging.Next)
		if err != nil {
			t.Fatal(err)
		}
		a = call(t, s, "GET", next.Path, next.Query(), "")
	}
	if !slices.Equal(ids, []string{"p1", "p2", "p3", "p4", "p5"}) {
		t.Errorf("accounts %v", ids)
	}
	if tok := s.PageToken("ada", "p3"); tok != "EAAada-p3" {
		t.Errorf("PageToken(p3) = %q, want the one ManagePage set", tok)
	}
	if tasks := call(t, s, "GET", "/v21.0/me/accounts", url.Values{"access_token": {user}, "fields": {"tasks"}}, ""); !strings.Contains(tasks.raw, `"tasks":["MANAGE","MESSAGING"]`) ||
		strings.Contains(tasks.raw, `"access_token":`) {
		t.Errorf("fields=tasks: %s", tasks.raw)
	}
}

// TestTokenKinds checks Facebook's answers to the wrong kind of token.
func TestTokenKinds(t *testing.T) {
	s := loginServer(t)
	user := userToken(t, s)
	tests := []struct {
		name, method, path string
		token              string
		code               int
		message            string
	}{
		{"accounts with a page token", "GET", "/v21.0/me/accounts", token1, 100,
			"(#100) Tried accessing nonexisting field (accounts) on node type (Page)"},
		{"labels with a user token", "GET", "/v21.0/p1/custom_labels", user, 210,
			"(#210) A page access token is required to request this resource."},
		{"subscribe with a user token", "POST", "/v21.0/p1/subscribed_apps", user, 210,
			"(#210) A page access token is required to request this resource."},
		{"me with nothing", "GET", "/v21.0/me", "", 190, "Invalid OAuth access token - Cannot parse access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, s, tt.method, tt.path, url.Values{"access_token": {tt.token}, "subscribed_fields": {"messages"}}, "")
			if e := graphError(t, a); e["code"] != float64(tt.code) || e["message"] != tt.message {
				t.Errorf("got %d %s", a.status, a.raw)
			}
		})
	}
	if a := call(t, s, "GET", "/v21.0/me", url.Values{"access_token": {s.PageToken("ada", "p2")}}, ""); a.body["id"] != "p2" || a.body["name"] != "Page Two" {
		t.Errorf("me with Ada's p2 token: %s", a.raw)
	}
}

func TestExpireToken(t *testing.T) {
	s := loginServer(t)
	user := userToken(t, s)
	s.ExpireToken(token1)
	for _, path := range []string{"/v21.0/me", "/v21.0/p1/custom_labels", "/v21.0/p1/subscribed_apps", "/v21.0/u1"} {
		a := call(t, s, "GET", path, url.Values{"access_token": {token1}}, "")
		if e := graphError(t, a); e["code"] != float64(190) || e["error_subcode"] != float64(463) ||
			!strings.HasPrefix(e["message"].(string), "Error validating access token: Session has expired") {
			t.Errorf("%s: %s", path, a.raw)
		}
	}
	if a := call(t, s, "GET", "/v21.0/me", url.Values{"access_token": {token2}}, ""); a.status != 200 {
		t.Errorf("another page's token: %s", a.raw)
	}
	if a := call(t, s, "GET", "/v21.0/me/accounts", url.Values{"access_token": {user}}, ""); a.status != 200 {
		t.Errorf("the person's user token: %s", a.raw)
	}
	s.ExpireToken(user)
	if a := call(t, s, "GET", "/v21.0/me/accounts", url.Values{"access_token": {user}}, ""); a.status != 400 {
		t.Errorf("expired user token: %s", a.raw)
	}
	defer func() {
		if recover() == nil {
			t.Error("ExpireToken of an unknown token did not panic")
		}
	}()
	s.ExpireToken("EAAnever-issued")
}

// TestManagePageSharesToken: a test may give the person the page's own
// token; both then act for the page, and calls keep working.
func TestManagePageSharesToken(t *testing.T) {
	s := newServer(t)
	s.AddManager("ada", "Ada")
	s.ManagePage("ada", "p1", token1)
	a := call(t, s, "POST", "/v21.0/me/messages", url.Values{"access_token": {token1}},
		`{"recipient":{"id":"u1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`)
	if a.status != http.StatusOK || s.PageToken("ada", "p1") != token1 {
		t.Errorf("send: %d %s", a.status, a.raw)
	}
	defer func() {
		if recover() == nil {
			t.Error("ManagePage with another page's token did not panic")
		}
	}()
	s.ManagePage("ada", "p2", token1)
}
