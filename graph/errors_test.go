package graph_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// method is one Client method, named by the path suffix the fake sees.
type method struct {
	name, httpMethod, suffix string
	call                     func(ctx context.Context, c *graph.Client, token string) error
}

func methods(labelID string) []method {
	return []method{
		{"CreateLabel", "POST", "/custom_labels", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.CreateLabel(ctx, tok, pageID, "VIP")
			return err
		}},
		{"AssignLabel", "POST", "/label", func(ctx context.Context, c *graph.Client, tok string) error {
			return c.AssignLabel(ctx, tok, labelID, psid)
		}},
		{"RemoveLabel", "DELETE", "/label", func(ctx context.Context, c *graph.Client, tok string) error {
			return c.RemoveLabel(ctx, tok, labelID, psid)
		}},
		{"PageLabels", "GET", "/custom_labels", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.PageLabels(ctx, tok, pageID)
			return err
		}},
		{"UserLabels", "GET", "/custom_labels", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.UserLabels(ctx, tok, psid)
			return err
		}},
		{"UserProfile", "GET", "/" + psid, func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.UserProfile(ctx, tok, psid)
			return err
		}},
		{"SendMessage", "POST", "/me/messages", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.SendMessage(ctx, tok, graph.OutgoingMessage{PSID: psid, Text: "hi"})
			return err
		}},
	}
}

func TestFacebookErrors(t *testing.T) {
	custom := func(code int, msg string) fakegraph.FBError {
		return fakegraph.FBError{HTTPStatus: 400, Code: code, Type: "OAuthException", Message: msg}
	}
	tests := []struct {
		name                          string
		inject                        fakegraph.FBError
		rateLimit, token, window      bool
		wantStatus, wantCode, wantSub int
	}{
		{"invalid PSID", fakegraph.ErrInvalidPSID(), false, false, false, 400, 100, 0},
		{"invalid token", fakegraph.ErrInvalidToken(), false, true, false, 400, 190, 0},
		{"rate limit 4", fakegraph.ErrRateLimit(), true, false, false, 400, 4, 0},
		{"rate limit 17", custom(17, "(#17) User request limit reached"), true, false, false, 400, 17, 0},
		{"rate limit 32", custom(32, "(#32) Page request limit reached"), true, false, false, 400, 32, 0},
		{"rate limit 613", custom(613, "(#613) Calls to this api have exceeded the rate limit."), true, false, false, 400, 613, 0},
		{"outside window", fakegraph.ErrOutsideWindow(), false, false, true, 400, 10, 2018278},
		{"label terms", fakegraph.ErrLabelTerms(), false, false, false, 500, 2, 2018344},
	}
	for _, tt := range tests {
		for _, m := range methods("1234") {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				fb, c := setup(t)
				fb.Fail(m.httpMethod, m.suffix, tt.inject, 1)
				err := m.call(context.Background(), c, token)
				if got := xerochat.ErrorMessage(err); got != tt.inject.Message {
					t.Errorf("ErrorMessage = %q, want %q", got, tt.inject.Message)
				}
				if got := xerochat.ErrorCode(err); got != xerochat.EUNAVAILABLE {
					t.Errorf("ErrorCode = %q", got)
				}
				if graph.IsRateLimit(err) != tt.rateLimit || graph.IsInvalidToken(err) != tt.token || graph.IsOutsideWindow(err) != tt.window {
					t.Errorf("IsRateLimit, IsInvalidToken, IsOutsideWindow = %v, %v, %v; want %v, %v, %v",
						graph.IsRateLimit(err), graph.IsInvalidToken(err), graph.IsOutsideWindow(err), tt.rateLimit, tt.token, tt.window)
				}
				var e *graph.Error
				if !errors.As(err, &e) {
					t.Fatalf("%v is not a *graph.Error", err)
				}
				if e.HTTPStatus != tt.wantStatus || e.Code != tt.wantCode || e.Subcode != tt.wantSub || e.FBTraceID == "" ||
					e.Method != m.httpMethod || !strings.HasSuffix(e.Path, m.suffix) {
					t.Errorf("error = %+v", e)
				}
				if wantWait := tt.rateLimit; (e.RetryAfter == 5*time.Minute) != wantWait {
					t.Errorf("RetryAfter = %v", e.RetryAfter)
				}
				text := err.Error()
				if strings.Contains(text, token) || !strings.Contains(text, m.httpMethod+" "+e.Path) || !strings.Contains(text, tt.inject.Message) {
					t.Errorf("Error() = %q", text)
				}
			})
		}
	}
}

// TestRealRefusals checks errors the fake raises by itself, not injected.
func TestRealRefusals(t *testing.T) {
	fb, c := setup(t)
	ctx := context.Background()
	otherLabel := fb.AddLabel("1002", "Other")
	myLabel := fb.AddLabel(pageID, "Mine")

	err := c.AssignLabel(ctx, "EAAGwrong-token", myLabel, psid)
	if !graph.IsInvalidToken(err) || xerochat.ErrorMessage(err) != "Invalid OAuth access token - Cannot parse access token" ||
		strings.Contains(err.Error(), "EAAGwrong-token") {
		t.Errorf("wrong token: %v", err)
	}
	err = c.AssignLabel(ctx, token, myLabel, "424242")
	if xerochat.ErrorMessage(err) != "(#100) The user ID is not valid." {
		t.Errorf("unknown PSID: %v", err)
	}
	if err := c.AssignLabel(ctx, token, otherLabel, psid); !strings.HasPrefix(xerochat.ErrorMessage(err), "Unsupported post request") {
		t.Errorf("another page's label: %v", err)
	}
	if _, err := c.UserProfile(ctx, token, "424242"); xerochat.ErrorMessage(err) != "(#100) No matching user found" {
		t.Errorf("unknown profile: %v", err)
	}
	if _, err := c.SendMessage(ctx, token, graph.OutgoingMessage{PSID: "424242", Text: "hi"}); xerochat.ErrorMessage(err) != "(#100) No matching user found" {
		t.Errorf("unknown recipient: %v", err)
	}
	if _, err := c.CreateLabel(ctx, token, "", "x"); xerochat.ErrorCode(err) != xerochat.EINVALID {
		t.Errorf("empty page id: %v", err)
	}
}

// TestUnreachable covers answers that are not Facebook's: an outage page, a
// closed port, a hung server and an undecodable success. Each must read as
// "could not be reached" and keep the token out of the text.
func TestUnreachable(t *testing.T) {
	const want = "Facebook could not be reached, try again later"
	closedURL := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	serve := func(t *testing.T, h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name   string
		client func(t *testing.T) *graph.Client
	}{
		{"down", func(t *testing.T) *graph.Client {
			fb, c := setup(t)
			fb.Down(true)
			return c
		}},
		{"connection refused", func(t *testing.T) *graph.Client { return graph.New(closedURL(t), "") }},
		{"timeout", func(t *testing.T) *graph.Client {
			// The handler returns when the client gives up, so that
			// closing the server does not wait for it.
			c := graph.New(serve(t, func(w http.ResponseWriter, r *http.Request) {
				// The context ends with the connection only once the
				// body has been read.
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			}), "")
			c.HTTP.Timeout = 50 * time.Millisecond
			return c
		}},
		{"HTML success", func(t *testing.T) *graph.Client {
			return graph.New(serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("<html>ok</html>"))
			}), "")
		}},
		{"redirect", func(t *testing.T) *graph.Client {
			return graph.New(serve(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://elsewhere.example/", http.StatusFound)
			}), "")
		}},
	}
	for _, tt := range tests {
		for _, m := range methods("1234") {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				err := m.call(context.Background(), tt.client(t), token)
				if got := xerochat.ErrorMessage(err); got != want {
					t.Errorf("ErrorMessage = %q (%v)", got, err)
				}
				if xerochat.ErrorCode(err) != xerochat.EUNAVAILABLE {
					t.Errorf("ErrorCode = %q", xerochat.ErrorCode(err))
				}
				var e *graph.Error
				if errors.As(err, &e) {
					t.Errorf("a Facebook error from no answer: %+v", e)
				}
				if text := err.Error(); strings.Contains(text, token) || !strings.Contains(text, m.httpMethod+" /") {
					t.Errorf("Error() = %q", text)
				}
			})
		}
	}
}

func TestCanceledContext(t *testing.T) {
	_, c := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.UserProfile(ctx, token, psid)
	if !errors.Is(err, context.Canceled) || xerochat.ErrorCode(err) != xerochat.EUNAVAILABLE {
		t.Errorf("err = %v", err)
	}
}
