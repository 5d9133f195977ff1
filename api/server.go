// Package api serves the XeroChat REST API under /api, exactly as existing
// XeroChat clients expect it: every endpoint on GET and POST, parameters from
// the query string and the body, HTTP 200 with {"status":"error"} for
// application errors, and the original's messages and JSON shapes.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
)

// Server answers /api requests: it reads parameters, calls the use-case
// layer (and, for plain reads, the services behind it) and writes the
// contract's JSON.
type Server struct {
	App *app.App

	// Location is the time zone of every date the API shows and of member
	// expiry dates; UTC when nil.
	Location *time.Location
	Logger   *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// KeyFailureRate and KeyFailureBurst bound failed key checks per
	// client address; zero values take the defaults.
	KeyFailureRate  rate.Limit
	KeyFailureBurst int
	// StreamIdleTimeout ends a streamed answer whose client stopped
	// reading; DefaultStreamIdleTimeout when zero.
	StreamIdleTimeout time.Duration

	keyFailures keyThrottle
	streams     streams
}

// endpoint describes one /api/<name> route.
type endpoint struct {
	// params are the names the endpoint reads besides api_key; only these
	// are checked for encoding and length, unknown ones being ignored.
	params []string
	// pathID says the endpoint takes an id as the next path segment.
	pathID bool
	handle func(c *call) (any, error)
}

func (s *Server) endpoints() map[string]endpoint {
	updateUser := endpoint{params: []string{"name", "mobile", "address", "package_id", "expired_date", "status"}, pathID: true, handle: s.updateUser}
	return map[string]endpoint{
		"get_user_info":                   {params: []string{"user_id", "email"}, handle: s.getUserInfo},
		"create_system_user":              {params: []string{"name", "email", "password", "package_id", "expired_date", "mobile", "address", "status"}, pathID: true, handle: s.createSystemUser},
		"update_user":                     updateUser,
		"get_all_packages":                {handle: s.getAllPackages},
		"subscriber_information":          {params: []string{"subscriber_id", "page_id"}, handle: s.subscriberInformation},
		"get_all_labels":                  {params: []string{"page_id"}, handle: s.getAllLabels},
		"create_label":                    {params: []string{"label_name", "page_id"}, handle: s.createLabel},
		"assign_label":                    {params: []string{"label_ids", "page_id", "subscriber_id"}, handle: s.assignLabel},
		"get_contact_group":               {params: []string{"contact_type_id"}, handle: s.getContactGroup},
		"create_contact_group":            {params: []string{"name"}, handle: s.createContactGroup},
		"update_contact_group":            {params: []string{"name"}, pathID: true, handle: s.updateContactGroup},
		"delete_contact_group":            {params: []string{"contact_type_id"}, handle: s.deleteContactGroup},
		"get_contact":                     {params: []string{"contact_id"}, handle: s.getContact},
		"create_contact":                  {params: []string{"contact_type_id", "email", "phone_number", "first_name", "last_name"}, handle: s.createContact},
		"update_contact":                  {params: []string{"first_name", "last_name", "email", "phone_number"}, pathID: true, handle: s.updateContact},
		"delete_contact":                  {params: []string{"contact_id"}, handle: s.deleteContact},
		"get_flow_campaigns":              {handle: s.getFlowCampaigns},
		"get_flow_campaign_info":          {params: []string{"flow_campaign_id"}, handle: s.getFlowCampaignInfo},
		"get_single_subscriber_flow_info": {params: []string{"flow_campaign_id", "subscriber_id"}, handle: s.getSingleSubscriberFlowInfo},
		"get_all_subscriber_flow_info":    {params: []string{"flow_campaign_id"}, handle: s.getAllSubscriberFlowInfo},
	}
}

// Handler returns the /api handler. Routing is by hand on purpose: the
// contract wants JSON bodies on 404 and 405, /api/<name> and /api/<name>/
// to be one route, and ids as a further segment on some endpoints.
func (s *Server) Handler() http.Handler {
	if s.Location == nil {
		s.Location = time.UTC
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.keyFailures.rate, s.keyFailures.burst = s.KeyFailureRate, s.KeyFailureBurst
	if s.keyFailures.rate == 0 {
		s.keyFailures.rate = DefaultKeyFailureRate
	}
	if s.keyFailures.burst == 0 {
		s.keyFailures.burst = DefaultKeyFailureBurst
	}
	if s.StreamIdleTimeout == 0 {
		s.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
	routes := s.endpoints()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, id, ok := splitPath(r.URL.Path)
		ep, known := routes[name]
		if ok && name == "doc" && id == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			serveDoc(w, r)
			return
		}
		if !ok || !known {
			writeError(w, http.StatusNotFound, "Unknown API endpoint")
			return
		}
		if !ep.pathID || strings.TrimLeft(id, "0") == "" {
			// The original passed extra segments to methods that ignore
			// them, and cast path ids to integers: 0 is no id.
			id = ""
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodHead:
		default:
			w.Header().Set("Allow", "GET, POST, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "Method not allowed, use GET or POST")
			return
		}
		if len(r.URL.RawQuery) > MaxBodyBytes {
			writeError(w, http.StatusRequestURITooLong,
				fmt.Sprintf("The query string is longer than %d bytes; send large values in the body", MaxBodyBytes))
			return
		}
		c := &call{s: s, w: w, r: r, ctx: r.Context(), pathID: id}
		if status, msg := c.readParams(ep.params); status != 0 {
			writeError(w, status, msg)
			return
		}
		out, err := ep.handle(c)
		s.respond(c, out, err)
	})
}

// splitPath takes "[/index.php]/api/<name>[/<segment>][/]" apart, as the
// original's router did: /index.php/api/... (installs without URL
// rewriting), empty segments (/api//name) and the name in any letter case
// reach the endpoint. ok is false for any other shape (no name, more
// segments, a dot segment).
func splitPath(p string) (name, id string, ok bool) {
	p = strings.TrimPrefix(p, "/index.php")
	rest, found := strings.CutPrefix(p, "/api/")
	if !found {
		return "", "", false
	}
	var parts []string
	for _, seg := range strings.Split(rest, "/") {
		switch seg {
		case "":
			continue
		case ".", "..":
			return "", "", false
		}
		parts = append(parts, seg)
	}
	switch len(parts) {
	case 1:
		return strings.ToLower(parts[0]), "", true
	case 2:
		return strings.ToLower(parts[0]), parts[1], true
	}
	return "", "", false
}

// call is one request being answered.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	params map[string]string
	pathID string
	user   *xerochat.User
	// badParam is a parameter that broke an encoding or length rule; it is
	// reported once the key has been checked.
	badParam error
}

// param returns a trimmed request parameter, "" when absent.
func (c *call) param(name string) string { return c.params[name] }

// has reports whether the request carries a non-empty parameter.
func (c *call) has(name string) bool { return c.params[name] != "" }

// hasID reports whether an id parameter is given: 0 counts as missing, as
// on the original.
func (c *call) hasID(name string) bool {
	return c.has(name) && strings.TrimLeft(c.params[name], "0") != ""
}

// idParam reads a required record id: requiredMsg when it is absent or 0
// (the original cast ids to integers, and 0 is PHP's empty), notFoundMsg
// when it can name no record (not digits, too long), so such ids answer
// exactly like a missing or foreign record.
func (c *call) idParam(name, requiredMsg, notFoundMsg string) (int64, error) {
	if !c.hasID(name) {
		return 0, invalid(requiredMsg)
	}
	id, valid := parseID(c.param(name))
	if !valid {
		return 0, notFound(notFoundMsg)
	}
	return id, nil
}

// optional returns a non-empty parameter for an update, nil when absent.
func (c *call) optional(name string) *string {
	if !c.has(name) {
		return nil
	}
	v := c.param(name)
	return &v
}

// datetime formats a stored time the XeroChat way, in the server's zone.
func (c *call) datetime(t time.Time) string {
	if t.IsZero() {
		return "0000-00-00 00:00:00"
	}
	return t.In(c.s.Location).Format("2006-01-02 15:04:05")
}

// endpointNames are the names of the endpoints, for EndpointName.
var endpointNames = func() map[string]bool {
	names := map[string]bool{}
	for name := range (&Server{}).endpoints() {
		names[name] = true
	}
	return names
}()

// EndpointName is the endpoint a path under /api reaches, or "unknown":
// a name of few values, for metrics.
func EndpointName(path string) string {
	if name, _, ok := splitPath(path); ok && endpointNames[name] {
		return name
	}
	return "unknown"
}
