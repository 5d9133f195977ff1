package api_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"github.com/xerochat/xerochat"
)

// param is a parameter an endpoint reads.
type param struct {
	name string
	// required answers a blank value; "" means blank is as good as absent
	// and the call succeeds.
	required string
	// bad lists the accepted answers to a bad value ("x*" matches a prefix,
	// "*" any message); nil means any text is a legal value (names, labels).
	bad []string
	// zeroValid: "0" is a legal value (status).
	zeroValid bool
}

// endpoint is one endpoint with a valid request to start from.
type endpoint struct {
	name   string
	title  string // the subtest's name when name is not unique
	admin  bool
	writes bool
	// base returns a valid request: the path id ("" if none) and parameters.
	// It may create records (a contact to delete), so it is called per case.
	base   func(t *testing.T, f *fixture) (string, url.Values)
	params []param
	// pathBad lists the answers to a bad path id.
	pathBad []string
	// check inspects a successful answer; valid says whether the request
	// carried the valid values (else an odd value that matches nothing).
	check func(t *testing.T, f *fixture, v any, valid bool)
	// cleanup undoes a successful create so that a value can be sent again.
	cleanup func(f *fixture, v any)
}

// endpoints lists all 20 endpoints of the API.
func endpoints() []endpoint {
	noUser := []string{xerochat.MsgUserNotFound}
	noSub := []string{xerochat.MsgSubscriberNotFound}
	noBot := []string{xerochat.MsgNoEnabledBot}
	noGroup := []string{xerochat.MsgContactGroupAbsent}
	noContact := []string{xerochat.MsgContactNotFound}
	noFlow := []string{xerochat.MsgFlowNotFound}
	mandatory := xerochat.MsgUserFieldsMissing
	return []endpoint{
		{name: "get_user_info", admin: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("user_id", f.target) },
			params: []param{
				{name: "user_id", required: xerochat.MsgUserFilterRequired, bad: noUser},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if got := field(field(v, "user_info"), "id"); got != f.target {
					t.Errorf("user_info.id = %v, want %s", got, f.target)
				}
			}},
		{name: "get_user_info", title: "get_user_info by email", admin: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("email", f.targetEmail) },
			params: []param{
				{name: "email", required: xerochat.MsgUserFilterRequired, bad: noUser},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if got := field(field(v, "user_info"), "email"); got != f.targetEmail {
					t.Errorf("user_info.email = %v, want %s", got, f.targetEmail)
				}
			}},
		{name: "create_system_user", admin: true, writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				return "", vals("name", "New User", "email", "new"+f.fresh()+"@example.com", "password", "secret-pass",
					"package_id", "1", "expired_date", "2030-01-01", "mobile", "+15550100", "address", "1 Main St")
			},
			params: []param{
				{name: "name", required: mandatory},
				{name: "email", required: mandatory, bad: []string{xerochat.MsgUserEmailBad}},
				{name: "password", required: mandatory},
				{name: "package_id", required: mandatory, bad: []string{xerochat.MsgPackageNotFound}},
				{name: "expired_date", required: mandatory, bad: []string{xerochat.MsgUserExpiryBad}},
				{name: "mobile"},
				{name: "address"},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if _, ok := field(v, "id").(float64); !ok {
					t.Errorf("id is not a number: %v", v)
				}
			}},
		{name: "create_system_user", title: "create_system_user alias", admin: true, writes: true, // the alias of update_user/{id}
			base: func(t *testing.T, f *fixture) (string, url.Values) { return f.target, vals("name", "Target") },
			params: []param{
				{name: "name", required: xerochat.MsgUserNoUpdate},
			},
			pathBad: []string{"User not found with the ID: *"}},
		{name: "update_user", admin: true, writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) { return f.target, vals("name", "Target") },
			params: []param{
				{name: "name", required: xerochat.MsgUserNoUpdate},
				{name: "mobile"},
				{name: "address"},
				{name: "package_id", bad: []string{xerochat.MsgPackageNotFound}},
				{name: "expired_date", bad: []string{xerochat.MsgUserExpiryBad}},
				{name: "status", bad: []string{xerochat.MsgUserStatusBad}, zeroValid: true},
			},
			pathBad: []string{"User not found with the ID: *"}},
		{name: "get_all_packages", admin: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", url.Values{} },
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if pk, _ := field(v, "packages").([]any); len(pk) == 0 {
					t.Errorf("no packages: %v", v)
				}
			}},
		{name: "subscriber_information",
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				return "", vals("subscriber_id", f.psid, "page_id", f.m.PageID)
			},
			params: []param{
				{name: "subscriber_id", required: xerochat.MsgSubscriberIDRequired, bad: noSub},
				{name: "page_id", bad: noSub},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if got := field(field(v, "subscriber_info"), "subscriber_id"); got != f.psid {
					t.Errorf("subscriber_id = %v, want %s", got, f.psid)
				}
			}},
		{name: "get_all_labels",
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("page_id", f.m.PageID) },
			params: []param{
				{name: "page_id", required: xerochat.MsgPageIDRequired, bad: []string{xerochat.MsgNoLabels}},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				labels, _ := field(v, "label_info").([]any)
				if len(labels) != 1 || field(labels[0], "label_id") != f.label {
					t.Errorf("label_info = %v, want only %s", labels, f.label)
				}
			}},
		{name: "create_label", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				return "", vals("page_id", f.m.PageID, "label_name", "VIP")
			},
			params: []param{
				{name: "page_id", required: xerochat.MsgPageIDRequired, bad: noBot},
				{name: "label_name", required: xerochat.MsgLabelNameRequired},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if id, _ := field(v, "label_id").(string); id == "" {
					t.Errorf("no label_id: %v", v)
				}
			}},
		{name: "assign_label", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				return "", vals("page_id", f.m.PageID, "subscriber_id", f.psid, "label_ids", f.label)
			},
			params: []param{
				{name: "page_id", required: xerochat.MsgPageIDRequired, bad: noBot},
				{name: "subscriber_id", required: xerochat.MsgSubscriberIDRequired, bad: noSub},
				{name: "label_ids", required: xerochat.MsgLabelIDsRequired, bad: []string{xerochat.MsgLabelNotFound}},
			}},
		{name: "get_contact_group",
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("contact_type_id", f.group) },
			params: []param{
				{name: "contact_type_id", required: xerochat.MsgContactGroupIDRequired, bad: noGroup},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if got := field(v, "id"); got != f.group {
					t.Errorf("id = %v, want %s", got, f.group)
				}
			}},
		{name: "create_contact_group", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("name", "Group") },
			params: []param{
				{name: "name", required: xerochat.MsgContactGroupNameRequired},
			}},
		{name: "update_contact_group", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) { return f.group, vals("name", "Renamed") },
			params: []param{
				{name: "name", required: xerochat.MsgContactGroupNameRequired},
			},
			pathBad: []string{xerochat.MsgContactGroupIDBad}},
		{name: "delete_contact_group", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				id := fmt.Sprint(newGroup(t, f.s, f.m.Key, "Doomed"))
				return "", vals("contact_type_id", id)
			},
			params: []param{
				{name: "contact_type_id", required: xerochat.MsgContactGroupIDField, bad: noGroup},
			}},
		{name: "get_contact",
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("contact_id", f.contact) },
			params: []param{
				{name: "contact_id", required: xerochat.MsgContactIDField, bad: noContact},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if got := field(v, "id"); got != f.contact {
					t.Errorf("id = %v, want %s", got, f.contact)
				}
			}},
		{name: "create_contact", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				n := f.fresh()
				return "", vals("contact_type_id", f.group, "email", "new"+n+"@example.com", "phone_number", "+3312"+n,
					"first_name", "First", "last_name", "Last")
			},
			params: []param{
				{name: "contact_type_id", required: xerochat.MsgContactGroupRequired,
					bad: []string{xerochat.MsgContactGroupDenied}},
				{name: "email", bad: []string{xerochat.MsgContactEmailBad}},
				{name: "phone_number"},
				{name: "first_name"},
				{name: "last_name"},
			},
			// An odd phone number is legal; deleting the contact frees it for
			// the next transport.
			cleanup: func(f *fixture, v any) {
				if id, ok := field(v, "new_contact_id").(float64); ok {
					f.s.Post("delete_contact", vals("api_key", f.m.Key, "contact_id", strconv.FormatInt(int64(id), 10)))
				}
			}},
		{name: "update_contact", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				// A contact with a phone number and no e-mail yet: the e-mail
				// may be set, the phone number only repeated.
				id, phone := f.newContact(t, false)
				return id, vals("first_name", "First", "email", "set"+f.fresh()+"@example.com", "phone_number", phone)
			},
			params: []param{
				{name: "first_name"},
				{name: "last_name"},
				{name: "email", bad: []string{xerochat.MsgContactEmailBad}},
				{name: "phone_number", bad: []string{xerochat.MsgContactPhoneFixed}},
			},
			pathBad: noContact},
		{name: "delete_contact", writes: true,
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				id, _ := f.newContact(t, true)
				return "", vals("contact_id", id)
			},
			params: []param{
				{name: "contact_id", required: xerochat.MsgContactIDField, bad: noContact},
			}},
		{name: "get_flow_campaigns",
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", url.Values{} },
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				list, _ := v.([]any)
				if len(list) != 1 || field(list[0], "id") != f.flow {
					t.Errorf("campaigns = %v, want only %s", v, f.flow)
				}
			}},
		{name: "get_flow_campaign_info",
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("flow_campaign_id", f.flow) },
			params: []param{
				{name: "flow_campaign_id", required: xerochat.MsgFlowIDRequired, bad: noFlow},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				if got := field(v, "id"); got != f.flow {
					t.Errorf("id = %v, want %s", got, f.flow)
				}
			}},
		{name: "get_single_subscriber_flow_info",
			base: func(t *testing.T, f *fixture) (string, url.Values) {
				return "", vals("flow_campaign_id", f.flow, "subscriber_id", f.psid)
			},
			params: []param{
				{name: "flow_campaign_id", required: xerochat.MsgFlowIDRequired, bad: noFlow},
				// Any text may be a PSID: an odd one has no answers.
				{name: "subscriber_id", required: xerochat.MsgFlowSubscriberIDRequired},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				data, ok := field(v, "data").([]any)
				if !ok || valid && len(data) != 2 || !valid && len(data) != 0 {
					t.Errorf("data = %v, want %s", field(v, "data"), map[bool]string{true: "2 answers", false: "[]"}[valid])
				}
			}},
		{name: "get_all_subscriber_flow_info",
			base: func(t *testing.T, f *fixture) (string, url.Values) { return "", vals("flow_campaign_id", f.flow) },
			params: []param{
				{name: "flow_campaign_id", required: xerochat.MsgFlowIDRequired, bad: noFlow},
			},
			check: func(t *testing.T, f *fixture, v any, valid bool) {
				data, _ := field(v, "data").(map[string]any)
				if len(data) != 1 || data[f.psid] == nil {
					t.Errorf("data = %v, want the answers of %s only", field(v, "data"), f.psid)
				}
			}},
	}
}
