package api_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/docs"
	"github.com/xerochat/xerochat/xerochattest"
)

// The original server's router reached an endpoint through more path forms
// than /api/<name>; existing clients use them.
func TestOriginalPathForms(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	for _, path := range []string{
		"/api/get_all_packages",
		"/index.php/api/get_all_packages",
		"/index.php/api/get_all_packages/",
		"/api//get_all_packages",
		"/api/GET_ALL_PACKAGES",
		"/api/Get_All_Packages",
		"/api/get_all_packages/extra",
		"/api/get_all_packages/extra/",
	} {
		t.Run(path, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL+path+"?api_key="+s.AdminKey, nil)
			res := xerochattest.Do(t, req)
			if res.Status != http.StatusOK || res.JSON(t)["status"] != "success" {
				t.Fatalf("%s: %d %s", path, res.Status, res.Body)
			}
		})
	}
	for _, path := range []string{"/api/nope", "/index.php/api/nope", "/api/get_all_packages/a/b", "/api/x/../get_all_packages", "/index.php/nope"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path+"?api_key="+s.AdminKey, nil)
		if res := xerochattest.Do(t, req); res.Status != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404", path, res.Status, res.Body)
		}
	}
	// A path id still reaches the endpoints that take one, in any case.
	m := s.NewMember("ann@example.com", "")
	group := s.Post("create_contact_group", xerochattest.Vals("api_key", m.Key, "name", "A")).JSON(t)["contact_type_id"]
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/index.php/api//UPDATE_CONTACT_GROUP/"+jsonID(group),
		strings.NewReader("api_key="+m.Key+"&name=B"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := xerochattest.Do(t, req); res.JSON(t)["status"] != "success" {
		t.Fatalf("update through /index.php/api//UPDATE_CONTACT_GROUP: %s", res.Body)
	}
}

// jsonID is a created record's id (a JSON number) as path text.
func jsonID(v any) string {
	f, _ := v.(float64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// /api/doc is the public reference page, rendered from docs/api.md: every
// endpoint the reference describes is on it.
func TestAPIDocPage(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	res, err := http.Get(s.URL + "/api/doc")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /api/doc: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	headings := 0
	for _, line := range strings.Split(string(docs.APIReference), "\n") {
		title, ok := strings.CutPrefix(line, "### ")
		if !ok {
			continue
		}
		headings++
		// Rendered headings escape < and >, and an endpoint's braces stay.
		if !strings.Contains(string(body), title) {
			t.Errorf("/api/doc lacks the section %q of docs/api.md", title)
		}
	}
	if headings < 20 {
		t.Fatalf("docs/api.md has %d sections; the 20 endpoints alone need 20", headings)
	}
	for _, endpoint := range []string{"get_user_info", "get_all_subscriber_flow_info", "update_contact_group"} {
		if !strings.Contains(string(body), "<h3 id=") || !strings.Contains(string(body), endpoint) {
			t.Errorf("/api/doc lacks %s", endpoint)
		}
	}
}

// update_contact_group answers the original's text for a group that does
// not exist and for another user's alike, so the answer is no oracle.
func TestUpdateContactGroupNotYours(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	ann, bob := s.NewMember("ann@example.com", ""), s.NewMember("bob@example.com", "")
	group := jsonID(s.Post("create_contact_group", xerochattest.Vals("api_key", ann.Key, "name", "A")).JSON(t)["contact_type_id"])
	before := s.Snapshot()
	for _, id := range []string{group, "999999"} {
		res := s.Post("update_contact_group/"+id, xerochattest.Vals("api_key", bob.Key, "name", "Mine"))
		if msg := res.Message(t); msg != xerochat.MsgContactGroupNoPermission {
			t.Errorf("update_contact_group/%s by another member: %q, want %q", id, msg, xerochat.MsgContactGroupNoPermission)
		}
	}
	if s.Snapshot() != before {
		t.Fatal("a refused update changed data")
	}
}

// expired_date may carry a time, as the original accepted; it is stored
// and shown as given. Anything else is still refused.
func TestExpiredDateWithTime(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	create := func(email, expiry string) xerochattest.Response {
		return s.Post("create_system_user", xerochattest.Vals("api_key", s.AdminKey, "name", "N", "email", email,
			"password", "pw-123456", "package_id", "1", "expired_date", expiry))
	}
	res := create("ann@example.com", "2031-01-01 12:30:00")
	id := jsonID(res.JSON(t)["id"])
	if id == "0" {
		t.Fatalf("create with a time: %s", res.Body)
	}
	info := s.Get("get_user_info", xerochattest.Vals("api_key", s.AdminKey, "user_id", id)).JSON(t)
	if got := info["user_info"].(map[string]any)["expired_date"]; got != "2031-01-01 12:30:00" {
		t.Fatalf("expired_date shows %q, want it as given", got)
	}
	if msg := s.Post("update_user/"+id, xerochattest.Vals("api_key", s.AdminKey, "expired_date", "2032-02-02 08:00:00")).JSON(t)["status"]; msg != "success" {
		t.Fatalf("update with a time: %v", msg)
	}
	for _, bad := range []string{"2031-01-01 12:30", "2031-01-01T12:30:00", "2031-01-01 25:00:00", "2031-02-30 10:00:00", "2031-01-01 12:30:00 extra"} {
		if msg := create("x"+strconv.Itoa(len(bad))+"@example.com", bad).Message(t); msg != xerochat.MsgUserExpiryBad {
			t.Errorf("expired_date %q: %q, want %q", bad, msg, xerochat.MsgUserExpiryBad)
		}
	}
}

// An id parameter of 0 counts as missing, as on the original, which cast
// ids to integers: each endpoint answers its "required" message.
func TestZeroIDIsMissing(t *testing.T) {
	t.Parallel()
	s := xerochattest.NewServer(t)
	m := s.NewMember("ann@example.com", "")
	for _, tc := range []struct{ path, param, key, want string }{
		{"get_contact", "contact_id", m.Key, xerochat.MsgContactIDField},
		{"delete_contact", "contact_id", m.Key, xerochat.MsgContactIDField},
		{"get_contact_group", "contact_type_id", m.Key, xerochat.MsgContactGroupIDRequired},
		{"delete_contact_group", "contact_type_id", m.Key, xerochat.MsgContactGroupIDField},
		{"create_contact", "contact_type_id", m.Key, xerochat.MsgContactGroupRequired},
		{"get_flow_campaign_info", "flow_campaign_id", m.Key, xerochat.MsgFlowIDRequired},
		{"get_all_subscriber_flow_info", "flow_campaign_id", m.Key, xerochat.MsgFlowIDRequired},
		{"get_user_info", "user_id", s.AdminKey, xerochat.MsgUserFilterRequired},
	} {
		for _, zero := range []string{"0", "00"} {
			res := s.Get(tc.path, xerochattest.Vals("api_key", tc.key, tc.param, zero, "email", "", "phone_number", ""))
			if msg := res.Message(t); msg != tc.want {
				t.Errorf("%s %s=%s: %q, want %q", tc.path, tc.param, zero, msg, tc.want)
			}
		}
	}
	for _, tc := range []struct{ path, want string }{
		{"update_contact/0", xerochat.MsgContactIDRequired},
		{"update_user/0", xerochat.MsgUserIDInPath},
		{"update_contact_group/0", xerochat.MsgContactGroupIDBad},
	} {
		key := m.Key
		if strings.HasPrefix(tc.path, "update_user") {
			key = s.AdminKey
		}
		if msg := s.Post(tc.path, xerochattest.Vals("api_key", key, "name", "x", "first_name", "x")).Message(t); msg != tc.want {
			t.Errorf("%s: %q, want %q", tc.path, msg, tc.want)
		}
	}
	res := s.Post("create_system_user", xerochattest.Vals("api_key", s.AdminKey, "name", "N", "email", "z@example.com",
		"password", "pw-123456", "package_id", "0", "expired_date", "2031-01-01"))
	if msg := res.Message(t); msg != xerochat.MsgUserFieldsMissing {
		t.Errorf("create_system_user package_id=0: %q, want %q", msg, xerochat.MsgUserFieldsMissing)
	}
}
