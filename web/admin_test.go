package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/xerochattest"
)

func TestAdminPagesAreInvisibleToMembers(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	if strings.Contains(string(c.Get("/app").Body), "/app/admin") {
		t.Error("a member's menu links the admin pages")
	}
	before := ws.Snapshot()
	for _, path := range []string{"/app/admin", "/app/admin/users", "/app/admin/users/1", "/app/admin/packages", "/app/admin/packages/1"} {
		if res := c.Get(path); res.Status != http.StatusNotFound {
			t.Errorf("GET %s as a member: %d", path, res.Status)
		}
	}
	for _, path := range []string{"/app/admin/users", "/app/admin/users/1", "/app/admin/users/1/password", "/app/admin/users/1/api-key",
		"/app/admin/packages", "/app/admin/packages/1", "/app/admin/packages/1/delete"} {
		if res := c.PostForm(path, xerochattest.Vals("name", "X", "email", "x@example.com", "package_id", "1",
			"expired_date", "2030-01-01", "package_name", "X", "status", "0")); res.Status != http.StatusNotFound {
			t.Errorf("POST %s as a member: %d", path, res.Status)
		}
	}
	if ws.Snapshot() != before {
		t.Error("a member's requests to admin pages changed data")
	}
	// The admin's key still works: no rotation happened.
	if msg := ws.Get("get_all_packages", xerochattest.Vals("api_key", ws.AdminKey)).Message(t); msg != "" {
		t.Errorf("admin key: %q", msg)
	}
}

var shownPassword = regexp.MustCompile(`\(shown only now\): (\S+)</p>`)

func TestAdminManagesUsers(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	admin := ws.Client()
	admin.Login(xerochattest.AdminEmail, xerochattest.AdminPassword)
	expiry := time.Now().AddDate(0, 1, 0).Format(xerochat.DateLayout)
	for _, tc := range []struct {
		name, field, want string
		form              []string
	}{
		{"no name", "name", xerochat.MsgUserFieldsMissing, []string{"email", "a@example.com", "package_id", "1", "expired_date", expiry}},
		{"bad e-mail", "email", xerochat.MsgUserEmailBad, []string{"name", "A", "email", "nope", "package_id", "1", "expired_date", expiry}},
		{"taken e-mail", "email", xerochat.MsgUserEmailTaken, []string{"name", "A", "email", strings.ToUpper(xerochattest.AdminEmail), "package_id", "1", "expired_date", expiry}},
		{"bad date", "expired_date", xerochat.MsgUserExpiryBad, []string{"name", "A", "email", "a@example.com", "package_id", "1", "expired_date", "2030-02-30"}},
		{"no package", "package_id", xerochat.MsgPackageNotFound, []string{"name", "A", "email", "a@example.com", "package_id", "77", "expired_date", expiry}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := admin.PostForm("/app/admin/users", xerochattest.Vals(tc.form...))
			if got := fieldErrors(res.Body)[tc.field]; got != tc.want {
				t.Errorf("%d, %s shows %q, want %q", res.Status, tc.field, got, tc.want)
			}
		})
	}
	res := admin.PostForm("/app/admin/users", xerochattest.Vals("name", "Cleo", "email", "cleo@example.com", "package_id", "1", "expired_date", expiry))
	pw := shownPassword.FindSubmatch(res.Body)
	if res.Status != http.StatusOK || pw == nil {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	cleo := ws.Client()
	cleo.Login("cleo@example.com", string(pw[1]))
	u := ws.Get("get_user_info", xerochattest.Vals("api_key", ws.AdminKey, "email", "cleo@example.com")).JSON(t)["user_info"].(map[string]any)
	id := u["id"].(string)

	// Search finds her; edit deactivates her, which ends her session.
	if body := string(admin.Get("/app/admin/users?q=CLEO").Body); !strings.Contains(body, "cleo@example.com") || strings.Contains(body, xerochattest.AdminEmail+"</td>") {
		t.Errorf("search: %s", body)
	}
	if res := admin.PostForm("/app/admin/users/"+id, xerochattest.Vals("name", "Cleo", "package_id", "1", "expired_date", "2030-13-01", "status", "1")); fieldErrors(res.Body)["expired_date"] != xerochat.MsgUserExpiryBad {
		t.Errorf("a bad expiry: %v", fieldErrors(res.Body))
	}
	location(t, admin.PostForm("/app/admin/users/"+id, xerochattest.Vals("name", "Cleo P", "package_id", "1", "expired_date", expiry, "status", "0")))
	u = ws.Get("get_user_info", xerochattest.Vals("api_key", ws.AdminKey, "user_id", id)).JSON(t)["user_info"].(map[string]any)
	if u["name"] != "Cleo P" || u["status"] != "0" {
		t.Errorf("after the edit: %v", u)
	}
	if signedIn(t, cleo) {
		t.Error("a deactivated member is still signed in")
	}
	location(t, admin.PostForm("/app/admin/users/"+id, xerochattest.Vals("name", "Cleo P", "package_id", "1", "expired_date", expiry, "status", "1")))

	// The type: an unknown one is refused next to its field; Admin makes
	// the member an admin, whose key then opens the admin endpoints.
	if res := admin.PostForm("/app/admin/users/"+id, xerochattest.Vals("name", "Cleo P", "package_id", "1", "expired_date", expiry,
		"status", "1", "user_type", "Root")); fieldErrors(res.Body)["user_type"] != xerochat.MsgUserTypeBad {
		t.Errorf("an unknown type: %v", fieldErrors(res.Body))
	}
	location(t, admin.PostForm("/app/admin/users/"+id, xerochattest.Vals("name", "Cleo P", "package_id", "1", "expired_date", expiry,
		"status", "1", "user_type", "Admin")))
	if u := ws.Get("get_user_info", xerochattest.Vals("api_key", ws.AdminKey, "user_id", id)).JSON(t)["user_info"].(map[string]any); u["user_type"] != "Admin" {
		t.Errorf("after making Cleo an admin: %v", u)
	}
	location(t, admin.PostForm("/app/admin/users/"+id, xerochattest.Vals("name", "Cleo P", "package_id", "1", "expired_date", expiry,
		"status", "1", "user_type", "Member")))

	// Reset password: the new one is shown once and works; the old one not.
	res = admin.PostForm("/app/admin/users/"+id+"/password", nil)
	newPW := shownPassword.FindSubmatch(res.Body)
	if newPW == nil {
		t.Fatalf("reset: %s", res.Body)
	}
	if res := ws.Client().PostForm("/login", xerochattest.Vals("email", "cleo@example.com", "password", string(pw[1]))); res.Status != http.StatusUnauthorized {
		t.Error("the old password still works")
	}
	ws.Client().Login("cleo@example.com", string(newPW[1]))

	// Rotate her API key: the shown key works with the API.
	res = admin.PostForm("/app/admin/users/"+id+"/api-key", nil)
	key := shownPassword.FindSubmatch(res.Body)
	if key == nil {
		t.Fatalf("rotate: %s", res.Body)
	}
	if got := strings.TrimSpace(string(ws.Get("get_flow_campaigns", xerochattest.Vals("api_key", string(key[1]))).Body)); got != "[]" {
		t.Errorf("the rotated key: %s", got)
	}
}

func TestAdminManagesPackages(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	admin := ws.Client()
	admin.Login(xerochattest.AdminEmail, xerochattest.AdminPassword)
	for _, tc := range []struct {
		field, want string
		form        []string
	}{
		{"package_name", xerochat.MsgPackageNameRequired, []string{"price", "1", "validity", "30"}},
		{"price", xerochat.MsgPackagePriceBad, []string{"package_name", "Gold", "price", "free", "validity", "30"}},
		{"validity", xerochat.MsgPackageValidityBad, []string{"package_name", "Gold", "price", "1", "validity", "-3"}},
	} {
		if got := fieldErrors(admin.PostForm("/app/admin/packages", xerochattest.Vals(tc.form...)).Body)[tc.field]; got != tc.want {
			t.Errorf("%s: %q, want %q", tc.field, got, tc.want)
		}
	}
	location(t, admin.PostForm("/app/admin/packages", xerochattest.Vals("package_name", "Gold", "price", "9.99", "validity", "30", "visible", "1")))
	pkgs := ws.Get("get_all_packages", xerochattest.Vals("api_key", ws.AdminKey)).JSON(t)["packages"].([]any)
	if len(pkgs) != 2 {
		t.Fatalf("packages: %v", pkgs)
	}
	gold := pkgs[1].(map[string]any)
	if gold["package_name"] != "Gold" || gold["price"] != "9.99" || gold["validity"] != "30" || gold["visible"] != "1" || gold["highlight"] != "0" {
		t.Errorf("Gold through the API: %v", gold)
	}
	id := gold["id"].(string)
	location(t, admin.PostForm("/app/admin/packages/"+id, xerochattest.Vals("package_name", "Gold+", "price", "12", "validity", "60", "highlight", "1")))
	gold = ws.Get("get_all_packages", xerochattest.Vals("api_key", ws.AdminKey)).JSON(t)["packages"].([]any)[1].(map[string]any)
	if gold["package_name"] != "Gold+" || gold["highlight"] != "1" || gold["visible"] != "0" {
		t.Errorf("after the edit: %v", gold)
	}
	// Trial stays; Gold goes.
	if res := admin.PostForm("/app/admin/packages/1/delete", nil); !strings.Contains(string(res.Body), xerochat.MsgTrialStays) {
		t.Errorf("deleting Trial: %d", res.Status)
	}
	location(t, admin.PostForm("/app/admin/packages/"+id+"/delete", nil))
	if pkgs := ws.Get("get_all_packages", xerochattest.Vals("api_key", ws.AdminKey)).JSON(t)["packages"].([]any); len(pkgs) != 1 {
		t.Errorf("after deleting Gold: %v", pkgs)
	}
	if res := admin.Get("/app/admin/packages/" + id); res.Status != http.StatusNotFound {
		t.Errorf("a deleted package's page: %d", res.Status)
	}
}

func TestExpiredMemberSeesANoticeAndCanExport(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	g := ws.Post("create_contact_group", xerochattest.Vals("api_key", m.Key, "name", "G")).JSON(t)["contact_type_id"].(float64)
	ws.Post("create_contact", xerochattest.Vals("api_key", m.Key, "contact_type_id", itoa(int64(g)), "email", "kept@example.com"))
	ws.Post("update_user/"+itoa(m.ID), xerochattest.Vals("api_key", ws.AdminKey, "expired_date", "2020-01-31"))
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	body := string(c.Get("/app").Body)
	if !strings.Contains(body, strings.Replace(xerochat.MsgMemberExpired, "%s", "2020-01-31", 1)) {
		t.Errorf("no expiry notice: %s", body)
	}
	if !strings.Contains(string(c.Get("/app/api-key").Body), "The API refuses your key") {
		t.Error("the API key page does not say the key is refused")
	}
	if export := string(c.Get("/app/contacts/groups/" + itoa(int64(g)) + "/export.csv").Body); !strings.Contains(export, "kept@example.com") {
		t.Errorf("an expired member's export: %s", export)
	}
}

// The forms hold their fields to the API's rules: a name longer than the
// API takes, or text with a NUL, is refused and nothing changes.
func TestFormsKeepTheAPIsFieldRules(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	before := ws.Snapshot()
	for _, form := range []url.Values{
		xerochattest.Vals("name", strings.Repeat("n", 256)),
		xerochattest.Vals("name", "a\x00b"),
		xerochattest.Vals("name", "Ann", "address", strings.Repeat("a", 1001)),
	} {
		res := c.PostForm("/app/profile", form)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "field") {
			t.Errorf("profile %v: %d", form, res.Status)
		}
	}
	if ws.Snapshot() != before {
		t.Error("a refused form changed data")
	}
	if res := c.PostForm("/app/profile", xerochattest.Vals("name", strings.Repeat("n", 255), "address", strings.Repeat("a", 1000))); res.Status >= 400 {
		t.Errorf("values at the limits: %d", res.Status)
	}
}
