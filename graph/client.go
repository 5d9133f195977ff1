// Package graph is xerochat's client for the Facebook Graph API: the Send
// API, profiles, page labels, Facebook Login's token exchanges, the person's
// pages and the page's webhook subscription. It implements xerochat.Facebook
// over HTTP and turns Facebook's error envelope into *Error, classified as a
// xerochat.FacebookError whose text the API layer can show unchanged.
//
// The page access token travels as access_token (in the form body of a form
// POST, in the query otherwise) and is kept out of every error text, because
// errors end up in logs and in answers to API clients.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xerochat/xerochat"
)

// Defaults used by New when it is given empty values.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	DefaultVersion = "v21.0"
)

const (
	// maxPages bounds how many paging.next links one listing follows, so
	// that a server that keeps answering with a next link cannot hold a
	// request forever.
	maxPages = 1000
	// maxAnswer bounds how much of an answer is read; Graph answers for the
	// calls made here are a few kilobytes.
	maxAnswer = 8 << 20
)

// Client calls the Graph API. Its fields may be changed before first use, for
// instance to point BaseURL at a fake server in tests.
type Client struct {
	// BaseURL is the scheme and host (and optional path prefix) of the Graph
	// API, without the version.
	BaseURL string
	// Version is the Graph API version such as "v21.0".
	Version string
	// HTTP sends the requests; it should have a timeout.
	HTTP *http.Client
	// AppID and AppSecret identify the Facebook app, for Facebook Login's
	// token exchanges; the other calls need only a token.
	AppID     string
	AppSecret string
}

var _ xerochat.Facebook = (*Client)(nil)

// New returns a Client for baseURL and version, defaulting to
// DefaultBaseURL and DefaultVersion. Its HTTP client gives up after ten
// seconds and does not follow redirects, so that a request carrying a token
// never wanders off to another address.
func New(baseURL, version string) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if version == "" {
		version = DefaultVersion
	}
	return &Client{
		BaseURL: strings.TrimRight(baseURL, "/"),
		Version: version,
		HTTP: &http.Client{
			Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// request is one HTTP exchange with Facebook. path is the call as the errors
// name it: no version and no query, hence no token. secrets are the values
// of the request (tokens, the app secret, a login code) that an error text
// must never hold.
type request struct {
	method      string
	path        string
	url         string
	contentType string
	body        []byte
	secrets     []string
}

// root is where versioned paths start.
func (c *Client) root() string { return strings.TrimRight(c.BaseURL, "/") }

func (c *Client) endpoint(path string, q url.Values) string {
	return c.root() + "/" + c.Version + path + "?" + q.Encode()
}

func (c *Client) get(ctx context.Context, token, path string, q url.Values, out any) error {
	q.Set("access_token", token)
	return c.send(ctx, request{method: http.MethodGet, path: path, url: c.endpoint(path, q), secrets: []string{token}}, out)
}

func (c *Client) delete(ctx context.Context, token, path string, q url.Values, out any) error {
	q.Set("access_token", token)
	return c.send(ctx, request{method: http.MethodDelete, path: path, url: c.endpoint(path, q), secrets: []string{token}}, out)
}

func (c *Client) postForm(ctx context.Context, token, path string, form url.Values, out any) error {
	form.Set("access_token", token)
	return c.send(ctx, request{
		method:      http.MethodPost,
		path:        path,
		url:         c.root() + "/" + c.Version + path,
		contentType: "application/x-www-form-urlencoded",
		body:        []byte(form.Encode()),
		secrets:     []string{token},
	}, out)
}

// postJSON sends v as a JSON body; the token goes in the query, as the Send
// API documents it.
func (c *Client) postJSON(ctx context.Context, token, path string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("graph: POST %s: encode body: %w", path, err)
	}
	return c.send(ctx, request{
		method:      http.MethodPost,
		path:        path,
		url:         c.endpoint(path, url.Values{"access_token": {token}}),
		contentType: "application/json",
		body:        body,
		secrets:     []string{token},
	}, out)
}

// send performs r and decodes a successful answer into out.
func (c *Client) send(ctx context.Context, r request, out any) error {
	fail := func(cause error) error { return unreachable(r.method, r.path, redact(cause, r.secrets)) }
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return fail(err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fail(err)
	}
	if e := parseError(resp, data); e != nil {
		e.Method, e.Path = r.method, r.path
		return e.classified()
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail(fmt.Errorf("HTTP %d without a Graph error (%q, %d bytes)",
			resp.StatusCode, resp.Header.Get("Content-Type"), len(data)))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fail(fmt.Errorf("HTTP %d with an undecodable answer: %w", resp.StatusCode, err))
	}
	return nil
}

// parseError returns Facebook's error from an answer, or nil when the answer
// does not hold one.
func parseError(resp *http.Response, data []byte) *Error {
	var env struct {
		Error *struct {
			Message   string `json:"message"`
			Type      string `json:"type"`
			Code      int    `json:"code"`
			Subcode   int    `json:"error_subcode"`
			FBTraceID string `json:"fbtrace_id"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &env) != nil || env.Error == nil || (env.Error.Code == 0 && env.Error.Message == "") {
		return nil
	}
	fe := env.Error
	e := &Error{
		HTTPStatus: resp.StatusCode,
		Code:       fe.Code,
		Subcode:    fe.Subcode,
		Type:       fe.Type,
		Message:    fe.Message,
		FBTraceID:  fe.FBTraceID,
		RetryAfter: regainAccess(resp.Header),
	}
	if e.Message == "" {
		// Clients are shown Message, so it must never be empty.
		e.Message = fmt.Sprintf("(#%d) Facebook refused the request", e.Code)
	}
	return e
}

// regainAccess reads the longest estimated_time_to_regain_access (minutes)
// of the X-Business-Use-Case-Usage header, which Facebook sends with
// business-use-case throttling.
func regainAccess(h http.Header) time.Duration {
	v := h.Get("X-Business-Use-Case-Usage")
	if v == "" {
		return 0
	}
	var usage map[string][]struct {
		Minutes float64 `json:"estimated_time_to_regain_access"`
	}
	if json.Unmarshal([]byte(v), &usage) != nil {
		return 0
	}
	var longest float64
	for _, list := range usage {
		for _, u := range list {
			longest = max(longest, u.Minutes)
		}
	}
	return time.Duration(longest * float64(time.Minute))
}

// redact strips the secrets from a transport error. *url.Error repeats the
// whole request URL, query and token included, so only its cause is kept;
// the replacement guards any other error that might quote the URL.
func redact(err error, secrets []string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	text := err.Error()
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "REDACTED")
		}
	}
	if text != err.Error() {
		return errors.New(text)
	}
	return err
}

// idPath builds "/{id}{edge}", refusing an empty id because "//label" would
// address a different Graph object than the caller meant.
func idPath(what, id, edge string) (string, error) {
	if id == "" {
		return "", xerochat.Errorf(xerochat.EINVALID, "%s is required", what)
	}
	return "/" + url.PathEscape(id) + edge, nil
}
