package main

import (
	"net/url"
	"strconv"
	"testing"
)

// biParam is a parameter an endpoint reads.
type biParam struct {
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

// biEndpoint is one endpoint with a valid request to start from.
type biEndpoint struct {
	name   string
	title  string // the subtest's name when name is not unique
	admin  bool
	writes bool
	// base returns a valid request: the path id ("" if none) and parameters.
	// It may create records (a contact to delete), so it is called per case.
	base   func(t *testing.T, f *biFixture) (string, url.Values)
	params []biParam
	// pathBad lists the answers to a bad path id.
	pathBad []string
	// check inspects a successful answer; valid says whether the request
	// carried the valid values (else an odd value that matches nothing).
	check func(t *testing.T, f *biFixture, v any, valid bool)
	// cleanup undoes a successful create so that a value can be sent again.
	cleanup func(f *biFixture, v any)
}

// biEndpoints lists all 20 endpoints of the API.
func biEndpoints() []biEndpoint {
	noUser := []string{"No Matching User Found"}
	noSub := []string{"No Matching Subscriber Found"}
	noBot := []string{"No Enabled Bot Found"}
	noGroup := []string{"The contact type ID does not exist"}
	noContact := []string{"The contact ID does not exist"}
	noFlow := []string{"The flow campaign ID does not exist"}
	mandatory := "All mandatory field is not provided"
	return []biEndpoint{
		{name: "get_user_info", admin: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("user_id", f.target) },
			params: []biParam{
				{name: "user_id", required: "Provide either user ID or Email to filter", bad: noUser},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(biField(v, "user_info"), "id"); got != f.target {
					t.Errorf("user_info.id = %v, want %s", got, f.target)
				}
			}},
		{name: "get_user_info", title: "get_user_info by email", admin: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("email", f.targetEmail) },
			params: []biParam{
				{name: "email", required: "Provide either user ID or Email to filter", bad: noUser},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(biField(v, "user_info"), "email"); got != f.targetEmail {
					t.Errorf("user_info.email = %v, want %s", got, f.targetEmail)
				}
			}},
		{name: "create_system_user", admin: true, writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("name", "New User", "email", "new"+f.fresh()+"@example.com", "password", "secret-pass",
					"package_id", "1", "expired_date", "2030-01-01", "mobile", "+15550100", "address", "1 Main St")
			},
			params: []biParam{
				{name: "name", required: mandatory},
				{name: "email", required: mandatory, bad: []string{"Invalid email address"}},
				{name: "password", required: mandatory},
				{name: "package_id", required: mandatory, bad: []string{"Package ID not found"}},
				{name: "expired_date", required: mandatory, bad: []string{"Invalid expired_date, use YYYY-MM-DD"}},
				{name: "mobile"},
				{name: "address"},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if _, ok := biField(v, "id").(float64); !ok {
					t.Errorf("id is not a number: %v", v)
				}
			}},
		{name: "create_system_user", title: "create_system_user alias", admin: true, writes: true, // the alias of update_user/{id}
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return f.target, vals("name", "Target") },
			params: []biParam{
				{name: "name", required: "Provide at least one field to update"},
			},
			pathBad: []string{"User not found with the ID: *"}},
		{name: "update_user", admin: true, writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return f.target, vals("name", "Target") },
			params: []biParam{
				{name: "name", required: "Provide at least one field to update"},
				{name: "mobile"},
				{name: "address"},
				{name: "package_id", bad: []string{"Package ID not found"}},
				{name: "expired_date", bad: []string{"Invalid expired_date, use YYYY-MM-DD"}},
				{name: "status", bad: []string{"Invalid status, use 0 or 1"}, zeroValid: true},
			},
			pathBad: []string{"User not found with the ID: *"}},
		{name: "get_all_packages", admin: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", url.Values{} },
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if pk, _ := biField(v, "packages").([]any); len(pk) == 0 {
					t.Errorf("no packages: %v", v)
				}
			}},
		{name: "subscriber_information",
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("subscriber_id", f.psid, "page_id", f.m.PageID)
			},
			params: []biParam{
				{name: "subscriber_id", required: "Provide subscriber_id field", bad: noSub},
				{name: "page_id", bad: noSub},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(biField(v, "subscriber_info"), "subscriber_id"); got != f.psid {
					t.Errorf("subscriber_id = %v, want %s", got, f.psid)
				}
			}},
		{name: "get_all_labels",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("page_id", f.m.PageID) },
			params: []biParam{
				{name: "page_id", required: "Provide page_id field", bad: []string{"No Matching Label Found"}},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				labels, _ := biField(v, "label_info").([]any)
				if len(labels) != 1 || biField(labels[0], "label_id") != f.label {
					t.Errorf("label_info = %v, want only %s", labels, f.label)
				}
			}},
		{name: "create_label", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("page_id", f.m.PageID, "label_name", "VIP")
			},
			params: []biParam{
				{name: "page_id", required: "Provide page_id field", bad: noBot},
				{name: "label_name", required: "Provide label_name field"},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if id, _ := biField(v, "label_id").(string); id == "" {
					t.Errorf("no label_id: %v", v)
				}
			}},
		{name: "assign_label", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("page_id", f.m.PageID, "subscriber_id", f.psid, "label_ids", f.label)
			},
			params: []biParam{
				{name: "page_id", required: "Provide page_id field", bad: noBot},
				{name: "subscriber_id", required: "Provide subscriber_id field", bad: noSub},
				{name: "label_ids", required: "Provide label_ids field", bad: []string{"No Label Found"}},
			}},
		{name: "get_contact_group",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("contact_type_id", f.group) },
			params: []biParam{
				{name: "contact_type_id", required: "The contact type ID is required", bad: noGroup},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(v, "id"); got != f.group {
					t.Errorf("id = %v, want %s", got, f.group)
				}
			}},
		{name: "create_contact_group", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("name", "Group") },
			params: []biParam{
				{name: "name", required: "The contact type name is required"},
			}},
		{name: "update_contact_group", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return f.group, vals("name", "Renamed") },
			params: []biParam{
				{name: "name", required: "The contact type name is required"},
			},
			pathBad: []string{"Invalid contact type ID provided"}},
		{name: "delete_contact_group", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				id := biNumber(t, f.ts.post("create_contact_group", vals("api_key", f.m.Key, "name", "Doomed")), "contact_type_id")
				return "", vals("contact_type_id", id)
			},
			params: []biParam{
				{name: "contact_type_id", required: "The contact_type_id field is required", bad: noGroup},
			}},
		{name: "get_contact",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("contact_id", f.contact) },
			params: []biParam{
				{name: "contact_id", required: "The contact_id field is required", bad: noContact},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(v, "id"); got != f.contact {
					t.Errorf("id = %v, want %s", got, f.contact)
				}
			}},
		{name: "create_contact", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				n := f.fresh()
				return "", vals("contact_type_id", f.group, "email", "new"+n+"@example.com", "phone_number", "+3312"+n,
					"first_name", "First", "last_name", "Last")
			},
			params: []biParam{
				{name: "contact_type_id", required: "The contact_type_id is required",
					bad: []string{"You can NOT add the contact to the specified contact group"}},
				{name: "email", bad: []string{"Please provide a valid email address"}},
				{name: "phone_number"},
				{name: "first_name"},
				{name: "last_name"},
			},
			// An odd phone number is legal; deleting the contact frees it for
			// the next transport.
			cleanup: func(f *biFixture, v any) {
				if id, ok := biField(v, "new_contact_id").(float64); ok {
					f.ts.post("delete_contact", vals("api_key", f.m.Key, "contact_id", strconv.FormatInt(int64(id), 10)))
				}
			}},
		{name: "update_contact", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				// A contact with a phone number and no e-mail yet: the e-mail
				// may be set, the phone number only repeated.
				id, phone := f.newContact(t, false)
				return id, vals("first_name", "First", "email", "set"+f.fresh()+"@example.com", "phone_number", phone)
			},
			params: []biParam{
				{name: "first_name"},
				{name: "last_name"},
				{name: "email", bad: []string{"Please provide a valid email address"}},
				{name: "phone_number", bad: []string{"The phone_number can not be changed once added"}},
			},
			pathBad: noContact},
		{name: "delete_contact", writes: true,
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				id, _ := f.newContact(t, true)
				return "", vals("contact_id", id)
			},
			params: []biParam{
				{name: "contact_id", required: "The contact_id field is required", bad: noContact},
			}},
		{name: "get_flow_campaigns",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", url.Values{} },
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				list, _ := v.([]any)
				if len(list) != 1 || biField(list[0], "id") != f.flow {
					t.Errorf("campaigns = %v, want only %s", v, f.flow)
				}
			}},
		{name: "get_flow_campaign_info",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("flow_campaign_id", f.flow) },
			params: []biParam{
				{name: "flow_campaign_id", required: "The flow_campaign_id field is required", bad: noFlow},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				if got := biField(v, "id"); got != f.flow {
					t.Errorf("id = %v, want %s", got, f.flow)
				}
			}},
		{name: "get_single_subscriber_flow_info",
			base: func(t *testing.T, f *biFixture) (string, url.Values) {
				return "", vals("flow_campaign_id", f.flow, "subscriber_id", f.psid)
			},
			params: []biParam{
				{name: "flow_campaign_id", required: "The flow_campaign_id field is required", bad: noFlow},
				// Any text may be a PSID: an odd one has no answers.
				{name: "subscriber_id", required: "The subscriber_id field is required"},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				data, ok := biField(v, "data").([]any)
				if !ok || valid && len(data) != 2 || !valid && len(data) != 0 {
					t.Errorf("data = %v, want %s", biField(v, "data"), map[bool]string{true: "2 answers", false: "[]"}[valid])
				}
			}},
		{name: "get_all_subscriber_flow_info",
			base: func(t *testing.T, f *biFixture) (string, url.Values) { return "", vals("flow_campaign_id", f.flow) },
			params: []biParam{
				{name: "flow_campaign_id", required: "The flow_campaign_id field is required", bad: noFlow},
			},
			check: func(t *testing.T, f *biFixture, v any, valid bool) {
				data, _ := biField(v, "data").(map[string]any)
				if len(data) != 1 || data[f.psid] == nil {
					t.Errorf("data = %v, want the answers of %s only", biField(v, "data"), f.psid)
				}
			}},
	}
}
