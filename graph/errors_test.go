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
		{"UserProfile", "GET", "/" + psid, func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.UserProfile(ctx, tok, psid)
			return err
		}},
		{"SendMessage", "POST", "/me/messages", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.SendMessage(ctx, tok, psid, xerochat.Outgoing{Text: "hi"})
			return err
		}},
		// For the exchanges, tok stands for the code and the user token
		// being exchanged, which must stay out of error texts too.
		{"ExchangeCode", "GET", "/oauth/access_token", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.ExchangeCode(ctx, tok, "https://xerochat.example/login/callback")
			return err
		}},
		{"LongLivedToken", "GET", "/oauth/access_token", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.LongLivedToken(ctx, tok)
			return err
		}},
		{"Permissions", "GET", "/me/permissions", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.Permissions(ctx, tok)
			return err
		}},
		{"UserPages", "GET", "/me/accounts", func(ctx context.Context, c *graph.Client, tok string) error {
			_, err := c.UserPages(ctx, tok)
			return err
		}},
		{"Me", "GET", "/me", func(ctx context.Context, c *graph.Client, tok string) error {
			_, _, err := c.Me(ctx, tok)
			return err
		}},
		{"SubscribeApp", "POST", "/subscribed_apps", func(ctx context.Context, c *graph.Client, tok string) error {
			return c.SubscribeApp(ctx, tok, pageID, xerochat.WebhookFields)
		}},
		{"UnsubscribeApp", "DELETE", "/subscribed_apps", func(ctx context.Context, c *graph.Client, tok string) error {
			return c.UnsubscribeApp(ctx, tok, pageID)
		}},
	}
}

func TestFacebookErrors(t *testing.T) {
	custom := func(code int, msg string) fakegraph.FBError {
		return fakegraph.FBError{HTTPStatus: 400, Code: code, Type: "OAuthException", Message: msg}
	}
	const (
		refused = xerochat.FacebookRefused
		expired = xerochat.FacebookInvalidToken
		limited = xerochat.FacebookRateLimited
		window  = xerochat.FacebookOutsideWindow
	)
	tests := []struct {
		name                          string
		inject                        fakegraph.FBError
		kind                          string
		wantStatus, wantCode, wantSub int
	}{
		{"invalid PSID", fakegraph.ErrInvalidPSID(), refused, 400, 100, 0},
		{"invalid token", fakegraph.ErrInvalidToken(), expired, 400, 190, 0},
		{"old session error", custom(102, "Session key invalid or no longer valid"), expired, 400, 102, 0},
		{"rate limit 4", fakegraph.ErrRateLimit(), limited, 400, 4, 0},
		{"rate limit 17", custom(17, "(#17) User request limit reached"), limited, 400, 17, 0},
		{"rate limit 32", custom(32, "(#32) Page request limit reached"), limited, 400, 32, 0},
		{"rate limit 613", custom(613, "(#613) Calls to this api have exceeded the rate limit."), limited, 400, 613, 0},
		{"business use case limit", custom(80006, "(#80006) There have been too many messenger api calls"), limited, 400, 80006, 0},
		{"outside window", fakegraph.ErrOutsideWindow(), window, 400, 10, 2018278},
		{"label terms", fakegraph.ErrLabelTerms(), refused, 500, 2, 2018344},
		{"unknown error, retry later", fakegraph.FBError{HTTPStatus: 500, Code: 1, Message: "An unknown error occurred"}, xerochat.FacebookUnreachable, 500, 1, 0},
		{"temporarily unavailable", fakegraph.FBError{HTTPStatus: 500, Code: 2, Message: "An unexpected error has occurred. Please retry your request later."},
			xerochat.FacebookUnreachable, 500, 2, 0},
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
				if got := xerochat.FacebookErrorKind(err); got != tt.kind {
					t.Errorf("FacebookErrorKind = %q, want %q", got, tt.kind)
				}
				var fe *xerochat.FacebookError
				if !errors.As(err, &fe) || fe.Message != tt.inject.Message {
					t.Fatalf("%v is not a *xerochat.FacebookError with Facebook's message", err)
				}
				var e *graph.Error
				if !errors.As(err, &e) {
					t.Fatalf("%v is not a *graph.Error", err)
				}
				if e.HTTPStatus != tt.wantStatus || e.Code != tt.wantCode || e.Subcode != tt.wantSub || e.FBTraceID == "" ||
					e.Method != m.httpMethod || !strings.HasSuffix(e.Path, m.suffix) {
					t.Errorf("error = %+v", e)
				}
				if wantWait := tt.kind == limited; (e.RetryAfter == 5*time.Minute) != wantWait || fe.RetryAfter != e.RetryAfter {
					t.Errorf("RetryAfter = %v, FacebookError.RetryAfter = %v", e.RetryAfter, fe.RetryAfter)
				}
				text := err.Error()
				if strings.Contains(text, token) || strings.Contains(text, c.AppSecret) ||
					!strings.Contains(text, m.httpMethod+" "+e.Path) || !strings.Contains(text, tt.inject.Message) {
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
	if xerochat.FacebookErrorKind(err) != xerochat.FacebookInvalidToken || xerochat.ErrorMessage(err) != "Invalid OAuth access token - Cannot parse access token" ||
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
	if _, err := c.SendMessage(ctx, token, "424242", xerochat.Outgoing{Text: "hi"}); xerochat.ErrorMessage(err) != "(#100) No matching user found" {
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
