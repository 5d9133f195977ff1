package api_test

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/xerochat/xerochat/xerochattest"
)

// verbatimTexts holds texts a client may store that look like markup or SQL:
// they must come back exactly as sent, as JSON strings.
var verbatimTexts = []string{
	`<script>alert("x")</script>`,
	`'; DROP TABLE users; --`,
	`1 OR 1=1`,
	`a & b <i>c</i> "q" \ / %s %d {{.}}`,
	"Zoë 日本語 😀 \u2028 tab\there",
	`Robert'); DELETE FROM contacts WHERE ('1'='1`,
}

// TestBadInputVerbatimText stores markup and SQL look-alikes through every
// endpoint that stores text and reads each back unchanged.
func TestBadInputVerbatimText(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ts := f.s
	// get reads a JSON object and checks the answer is valid JSON.
	get := func(t *testing.T, path string, params url.Values) map[string]any {
		t.Helper()
		r := ts.For(t).Get(path, params)
		if !json.Valid(r.Body) {
			t.Fatalf("%s: not JSON: %s", path, r.Body)
		}
		return r.JSON(t)
	}
	send := func(t *testing.T, path string, params url.Values, transport string) map[string]any {
		t.Helper()
		kvs := []pair{}
		for _, n := range slices.Sorted(maps.Keys(params)) {
			kvs = append(kvs, pair{n, params.Get(n)})
		}
		r := xerochattest.Do(t, request(t, ts.URL, path, transport, kvs))
		v := r.JSON(t)
		if v["status"] != "success" {
			t.Fatalf("%s %s: %s", transport, path, r.Body)
		}
		return v
	}
	num := func(v map[string]any, key string) string {
		n, _ := v[key].(float64)
		return strconv.FormatInt(int64(n), 10)
	}
	for i, text := range verbatimTexts {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			ts := ts.For(t)
			tr := transports[i%len(transports)]
			same := func(what string, got any) {
				t.Helper()
				if got != text {
					t.Errorf("%s (%s): got %q, want %q", what, tr, got, text)
				}
			}
			mk := f.m.Key
			ak := ts.AdminKey

			g := num(send(t, "create_contact_group", vals("api_key", mk, "name", text), tr), "contact_type_id")
			same("create_contact_group name", get(t, "get_contact_group", vals("api_key", mk, "contact_type_id", g))["type"])
			send(t, "update_contact_group/"+g, vals("api_key", mk, "name", text+" 2"), tr)
			if got := get(t, "get_contact_group", vals("api_key", mk, "contact_type_id", g))["type"]; got != text+" 2" {
				t.Errorf("update_contact_group name (%s): got %q, want %q", tr, got, text+" 2")
			}

			c := num(send(t, "create_contact", vals("api_key", mk, "contact_type_id", g, "phone_number", text,
				"first_name", text, "last_name", text), tr), "new_contact_id")
			row := get(t, "get_contact", vals("api_key", mk, "contact_id", c))
			same("create_contact first_name", row["first_name"])
			same("create_contact last_name", row["last_name"])
			same("create_contact phone_number", row["phone_number"])
			send(t, "update_contact/"+c, vals("api_key", mk, "last_name", text+" 3"), tr)
			if got := get(t, "get_contact", vals("api_key", mk, "contact_id", c))["last_name"]; got != text+" 3" {
				t.Errorf("update_contact last_name (%s): got %q", tr, got)
			}

			u := num(send(t, "create_system_user", vals("api_key", ak, "name", text, "email", "verbatim"+strconv.Itoa(i)+"@example.com",
				"password", text, "package_id", "1", "expired_date", "2030-01-01", "mobile", text, "address", text), tr), "id")
			info, _ := get(t, "get_user_info", vals("api_key", ak, "user_id", u))["user_info"].(map[string]any)
			same("create_system_user name", info["name"])
			same("create_system_user mobile", info["mobile"])
			same("create_system_user address", info["address"])
			send(t, "update_user/"+u, vals("api_key", ak, "name", text+" 4", "address", text+" 5"), tr)
			info, _ = get(t, "get_user_info", vals("api_key", ak, "user_id", u))["user_info"].(map[string]any)
			if info["name"] != text+" 4" || info["address"] != text+" 5" {
				t.Errorf("update_user (%s): name %q, address %q", tr, info["name"], info["address"])
			}

			id, _ := send(t, "create_label", vals("api_key", mk, "page_id", f.m.PageID, "label_name", text), tr)["label_id"].(string)
			labels, _ := get(t, "get_all_labels", vals("api_key", mk, "page_id", f.m.PageID))["label_info"].([]any)
			found := false
			for _, l := range labels {
				if field(l, "label_id") == id {
					found = true
					same("create_label label_name", field(l, "label_name"))
				}
			}
			if !found {
				t.Errorf("create_label (%s): label %s not in get_all_labels: %v", tr, id, labels)
			}
		})
	}
}
