package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

// A member signs in (after one wrong password), takes a new API key from
// the profile menu, calls the API with it, and signs out.
func TestBrowserAPIKey(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	p := &person{t: t, ctx: newBrowser(t)}

	p.open(ws.URL + "/")
	p.sees(heading("Sign in"))
	p.signIn(m.Email, "not-my-password")
	p.sees(withText(xerochat.MsgLoginFailed))
	p.signIn(m.Email, xerochattest.MemberPassword)
	p.sees(heading("Overview"))

	p.menu("API Key")
	p.sees(heading("API Key"))
	p.sees(withText("You have an API key"))
	p.click(button("Generate a new key"))
	p.sees(byLabel("Your new API key"))
	key := p.value("Your new API key")
	if !strings.HasPrefix(key, itoa(m.ID)+"-") || key == m.Key {
		t.Fatalf("the new key %q", key)
	}
	p.click(button("Copy the key"))
	p.sees(withText("Copied."))

	res := xerochattest.Get(t, ws.URL, "get_flow_campaigns", xerochattest.Vals("api_key", key))
	if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != "[]" {
		t.Errorf("get_flow_campaigns with the new key: %d %s", res.Status, res.Body)
	}
	if msg := ws.Get("get_flow_campaigns", xerochattest.Vals("api_key", m.Key)).Message(t); msg != xerochat.MsgKeyInvalid {
		t.Errorf("the old key: %q, want %q", msg, xerochat.MsgKeyInvalid)
	}
	// Reloading the page does not show the key again.
	p.open(ws.URL + "/app/api-key")
	p.sees(withText("made"))
	if n := strings.Count(p.html(), key); n != 0 {
		t.Error("the key is shown again after it was made")
	}

	p.menu("Sign out")
	p.sees(withText(xerochat.MsgSignedOut))
	p.open(ws.URL + "/app/api-key")
	p.sees(heading("Sign in"))
}
