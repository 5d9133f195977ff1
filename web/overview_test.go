package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// surveyFlow stores a one-question flow that the keyword "survey" starts.
func surveyFlow(ws *xerochattest.WebServer, m *xerochattest.Member, name string) *xerochat.FlowCampaign {
	ff := xerochat.FlowFile{FlowName: name, Questions: []xerochat.FlowFileQuestion{{Question: "Favourite colour?"}}}
	ff.Triggers.Keywords = []string{"survey"}
	return ws.CreateFlow(m, ff)
}

// answer makes a person start the survey and answer it.
func answer(t *testing.T, ws *xerochattest.WebServer, m *xerochattest.Member, psid, first, reply string) {
	t.Helper()
	p := ws.Person(m, psid, fakegraph.Profile{FirstName: first, LastName: "Test"})
	for _, text := range []string{"survey", reply} {
		if _, err := p.Say(text); err != nil {
			t.Fatal(err)
		}
		ws.Settle()
	}
}

var countRe = regexp.MustCompile(`<strong>(\d+)</strong> (\w+)`)

func TestOverviewCountsAndCharts(t *testing.T) {
	// Kiritimati is 14 hours ahead of UTC, so "today" there is often not
	// today in UTC: the charts must use the server's zone.
	ws := xerochattest.NewWebServer(t, xerochattest.Timezone("Pacific/Kiritimati"))
	m := ws.NewMember("ann@example.com", "100")
	other := ws.NewMember("bob@example.com", "200")
	surveyFlow(ws, m, "Colours")
	answer(t, ws, m, "9100000000000011", "Ada", "blue")
	answer(t, ws, m, "9100000000000012", "Bea", "red")
	ws.AddSubscriber(other, "9100000000000019", "Zed", "Other") // another member's: not counted
	if _, err := ws.App.CreateLabel(context.Background(), m.ID, m.PageID, "VIP"); err != nil {
		t.Fatal(err)
	}
	group := ws.Post("create_contact_group", xerochattest.Vals("api_key", m.Key, "name", "G")).JSON(t)["contact_type_id"].(float64)
	ws.Post("create_contact", xerochattest.Vals("api_key", m.Key, "contact_type_id", itoa(int64(group)), "email", "x@example.com"))

	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	res := c.Get("/app")
	if res.Status != http.StatusOK {
		t.Fatalf("overview: %d", res.Status)
	}
	got := map[string]string{}
	for _, mm := range countRe.FindAllStringSubmatch(string(res.Body), -1) {
		got[mm[2]] = mm[1]
	}
	want := map[string]string{"Pages": "1", "Subscribers": "2", "Labels": "1", "Contacts": "1", "Campaigns": "1", "Answers": "2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %s", k, got[k], v)
		}
	}
	loc, _ := time.LoadLocation("Pacific/Kiritimati")
	today := time.Now().In(loc).Format("Jan 2")
	body := string(res.Body)
	for _, chart := range []string{"subscribers-chart", "answers-chart"} {
		svg := body[strings.Index(body, `id="`+chart+`"`):]
		svg = svg[:strings.Index(svg, "</svg>")]
		if n := strings.Count(svg, "<rect"); n != 30 {
			t.Errorf("%s: %d bars, want 30", chart, n)
		}
		if !strings.Contains(svg, "<title>"+today+": 2</title>") {
			t.Errorf("%s: no bar of 2 for %s (the server's today): %s", chart, today, svg)
		}
	}
}

func TestPagesBotSyncAndLastError(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	other := ws.NewMember("bob@example.com", "200")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)

	body := string(c.Get("/app/pages").Body)
	if !strings.Contains(body, "Page 100") || strings.Contains(body, "Page 200") {
		t.Fatalf("the pages list shows the wrong pages: %s", body)
	}
	if !strings.Contains(body, `id="connect"`) {
		t.Error("no place for the Connect with Facebook button")
	}

	// Bot off: the API then answers nothing about the page, as the contract says.
	if got := location(t, c.PostForm("/app/pages/100/bot", xerochattest.Vals("enabled", "0"))); got != "/app/pages" {
		t.Fatalf("bot off sends to %q", got)
	}
	if msg := ws.Post("create_label", xerochattest.Vals("api_key", m.Key, "page_id", "100", "label_name", "X")).Message(t); msg != xerochat.MsgNoEnabledBot {
		t.Errorf("create_label with the bot off: %q", msg)
	}
	if body := string(c.Get("/app/pages").Body); !strings.Contains(body, "The bot of Page 100 is now off.") || !strings.Contains(body, "Turn the bot on for Page 100") {
		t.Errorf("after turning the bot off: %s", body)
	}
	c.PostForm("/app/pages/100/bot", xerochattest.Vals("enabled", "1"))

	// Another member's page is "not found", and stays as it was.
	for _, path := range []string{"/app/pages/200/bot", "/app/pages/200/sync-labels", "/app/pages/999/bot"} {
		if res := c.PostForm(path, xerochattest.Vals("enabled", "0")); res.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, res.Status)
		}
	}
	if p, _ := ws.DB.FindUserPage(context.Background(), other.ID, "200"); !p.BotEnabled {
		t.Error("another member's bot was turned off")
	}

	// Labels made on Facebook arrive with a sync; Facebook's refusal is shown.
	ws.Fake.ImportLabel("100", "555", "Made on Facebook")
	c.PostForm("/app/pages/100/sync-labels", nil)
	if body := string(c.Get("/app/pages").Body); !strings.Contains(body, "imported 1 label (1 new, 0 renamed, 0 unchanged) for page 100.") {
		t.Errorf("after a sync: %s", body)
	}
	ws.Fake.Fail(http.MethodGet, "/custom_labels", fakegraph.ErrInvalidToken(), 1)
	c.PostForm("/app/pages/100/sync-labels", nil)
	if body := string(c.Get("/app/pages").Body); !strings.Contains(body, "Labels not imported: "+fakegraph.ErrInvalidToken().Message) {
		t.Errorf("after a refused sync: %s", body)
	}

	// An expired token met by a worker shows as the page's last error.
	ws.Fake.Fail(http.MethodPost, "/me/messages", fakegraph.ErrInvalidToken(), 1)
	surveyFlow(ws, m, "Colours")
	if _, err := ws.Person(m, "9100000000000011", fakegraph.Profile{FirstName: "Ada"}).Say("survey"); err != nil {
		t.Fatal(err)
	}
	xerochattest.Eventually(t, "the page error on the Pages screen", func() bool {
		return strings.Contains(string(c.Get("/app/pages").Body), fakegraph.ErrInvalidToken().Message)
	})
}

func TestProfile(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	if res := c.PostForm("/app/profile", xerochattest.Vals("name", " ", "mobile", "1")); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(res.Body), `id="name-error">`+xerochat.MsgNameRequired) {
		t.Errorf("an empty name: %d %s", res.Status, res.Body)
	}
	if got := location(t, c.PostForm("/app/profile", xerochattest.Vals("name", "Ann Smith", "mobile", "+1 555", "address", "1 Road"))); got != "/app/profile" {
		t.Fatalf("save sends to %q", got)
	}
	if body := string(c.Get("/app/profile").Body); !strings.Contains(body, xerochat.MsgProfileSaved) {
		t.Error("no notice after saving")
	}
	u := ws.Get("get_user_info", xerochattest.Vals("api_key", ws.AdminKey, "user_id", itoa(m.ID))).JSON(t)["user_info"].(map[string]any)
	if u["name"] != "Ann Smith" || u["mobile"] != "+1 555" || u["address"] != "1 Road" {
		t.Errorf("the API shows %v", u)
	}
}
