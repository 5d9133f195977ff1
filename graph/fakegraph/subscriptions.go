package fakegraph

import (
	"fmt"
	"slices"
	"strings"
)

// pageWebhookFields are the page webhook fields Facebook lets an app
// subscribe to, as far as Messenger is concerned.
var pageWebhookFields = []string{
	"feed", "inbox_labels", "message_deliveries", "message_echoes", "message_reactions", "message_reads",
	"messages", "messaging_account_linking", "messaging_handovers", "messaging_optins",
	"messaging_policy_enforcement", "messaging_postbacks", "messaging_referrals", "standby",
}

var successAnswer = map[string]bool{"success": true}

// subscribe is POST /{page}/subscribed_apps: it subscribes the app to the
// page's webhook with the fields given, replacing earlier ones. It needs
// pages_manage_metadata.
func (s *Server) subscribe(rq *request, id string) (any, *FBError) {
	pg, ferr := ownPage(rq, id)
	if ferr != nil {
		return nil, ferr
	}
	if rq.manager.declined("pages_manage_metadata") {
		return nil, &FBError{HTTPStatus: 403, Code: 200, Type: "OAuthException",
			Message: "(#200) Requires pages_manage_metadata permission to manage the object"}
	}
	raw := rq.params.Get("subscribed_fields")
	if raw == "" {
		return nil, paramError("The parameter subscribed_fields is required.")
	}
	fields := splitFields(raw)
	for i, f := range fields {
		if !slices.Contains(pageWebhookFields, f) {
			return nil, paramError(fmt.Sprintf("Param subscribed_fields[%d] must be one of {%s} - got %q",
				i, strings.ToUpper(strings.Join(pageWebhookFields, ", ")), f))
		}
	}
	pg.subscribed = append([]string{}, fields...)
	return successAnswer, nil
}

// subscribedApps is GET /{page}/subscribed_apps: the app, with its fields,
// when it is subscribed to the page.
func (s *Server) subscribedApps(rq *request, id string) (any, *FBError) {
	pg, ferr := ownPage(rq, id)
	if ferr != nil {
		return nil, ferr
	}
	data := []any{}
	if pg.subscribed != nil {
		data = append(data, map[string]any{"id": s.app.id, "name": s.app.name,
			"subscribed_fields": slices.Clone(pg.subscribed)})
	}
	return map[string]any{"data": data}, nil
}

// unsubscribe is DELETE /{page}/subscribed_apps; it succeeds also when the
// app was not subscribed.
func (s *Server) unsubscribe(rq *request, id string) (any, *FBError) {
	pg, ferr := ownPage(rq, id)
	if ferr != nil {
		return nil, ferr
	}
	pg.subscribed = nil
	return successAnswer, nil
}

// Subscription tells whether the app is subscribed to the page's webhook,
// and with which fields, in the order they were sent.
func (s *Server) Subscription(pageID string) (fields []string, subscribed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg := s.pages[pageID]
	if pg == nil || pg.subscribed == nil {
		return nil, false
	}
	return slices.Clone(pg.subscribed), true
}
