package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// builderForm is the builder's form for a campaign of the given questions
// ("text|type|options;separated|reprompt|id").
func builderForm(name, page, keywords string, questions ...string) url.Values {
	f := xerochattest.Vals("flow_name", name, "page_id", page, "keywords", keywords, "completion_message", "Thanks!")
	for i, q := range questions {
		parts := strings.Split(q+"||||", "|")
		n := i + 1
		f.Set(fmt.Sprintf("q%d_text", n), parts[0])
		f.Set(fmt.Sprintf("q%d_type", n), parts[1])
		f.Set(fmt.Sprintf("q%d_options", n), strings.ReplaceAll(parts[2], ";", "\n"))
		f.Set(fmt.Sprintf("q%d_reprompt", n), parts[3])
		f.Set(fmt.Sprintf("q%d_id", n), parts[4])
	}
	return f
}

func TestFlowBuilderValidatesLikeTheFlowFile(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	many := strings.TrimSuffix(strings.Repeat("o;", 14), ";")
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no name", builderForm("", "100", "", "Q?|text"), "flow_name is required"},
		{"no question", builderForm("F", "100", ""), "questions: at least one question is required"},
		{"14 options", builderForm("F", "100", "", "Pick|choice|"+many), "question 1: at most 13 options (Facebook's quick-reply limit), got 14"},
		{"long option", builderForm("F", "100", "", "Q?|text", "Pick|choice|A;Twenty-one characters"), `question 2: option "Twenty-one characters" is longer than 20 characters`},
		{"choice without options", builderForm("F", "100", "", "Pick|choice"), "question 1: a choice question needs options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.PostForm("/app/flows", tc.form)
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(htmlText(res.Body), tc.want) {
				t.Errorf("%d, want %q", res.Status, tc.want)
			}
		})
	}
	if got := strings.TrimSpace(string(ws.Get("get_flow_campaigns", xerochattest.Vals("api_key", m.Key)).Body)); got != "[]" {
		t.Errorf("refused forms stored campaigns: %s", got)
	}
}

func TestFlowEditKeepsAnswersOfQuestionsThatStay(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	other := ws.NewMember("bob@example.com", "200")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	loc := location(t, c.PostForm("/app/flows", builderForm("Colours", "100", "survey, start", "Favourite colour?|text", "Why?|text")))
	id := strings.TrimPrefix(loc, "/app/flows/")
	info := ws.Get("get_flow_campaign_info", xerochattest.Vals("api_key", m.Key, "flow_campaign_id", id)).JSON(t)
	if fmt.Sprint(info["questions"]) != "[Favourite colour? Why?]" {
		t.Fatalf("the API reads %v", info)
	}
	p := ws.Person(m, "9100000000000011", fakegraph.Profile{FirstName: "Ada"})
	for _, say := range []string{"start", "blue", "it is calm"} {
		p.Say(say)
		ws.Settle()
	}
	answers := func() string {
		return fmt.Sprint(ws.Get("get_single_subscriber_flow_info", xerochattest.Vals("api_key", m.Key, "flow_campaign_id", id, "subscriber_id", "9100000000000011")).JSON(t)["data"])
	}
	before := answers()
	fc, _ := ws.DB.FindFlowCampaign(t.Context(), m.ID, mustInt(t, id))
	q1 := fmt.Sprint(fc.Questions[0].ID)
	// A new first question, the colour question kept (by id), "Why?" removed.
	location(t, c.PostForm("/app/flows/"+id, builderForm("Colours v2", "100", "survey", "Your name?|text", "Favourite colour?|choice|Blue;Red||"+q1)))
	info = ws.Get("get_flow_campaign_info", xerochattest.Vals("api_key", m.Key, "flow_campaign_id", id)).JSON(t)
	if info["flow_name"] != "Colours v2" || fmt.Sprint(info["questions"]) != "[Your name? Favourite colour?]" {
		t.Errorf("after the edit the API reads %v", info)
	}
	after := answers()
	if !strings.Contains(before, "question_id:"+q1) || after != "[map[answer:blue question:Favourite colour? question_id:"+q1+"]]" {
		t.Errorf("answers before %s, after %s", before, after)
	}
	body := htmlText(c.Get("/app/flows/" + id).Body)
	if !strings.Contains(body, "Ada") || !strings.Contains(body, "blue") {
		t.Errorf("the answers table: %s", body)
	}

	// Another member's campaign, and a save onto another member's page.
	theirs := ws.AddFlow(other, "Theirs", "Q?")
	for _, path := range []string{"/app/flows/%d", "/app/flows/%d/edit", "/app/flows/%d/answers.csv"} {
		if res := c.Get(fmt.Sprintf(path, theirs.ID)); res.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", fmt.Sprintf(path, theirs.ID), res.Status)
		}
	}
	snap := ws.Snapshot()
	if res := c.PostForm(fmt.Sprintf("/app/flows/%d", theirs.ID), builderForm("Mine", "100", "", "Q?")); res.Status != http.StatusNotFound {
		t.Errorf("saving another member's campaign: %d", res.Status)
	}
	if res := c.PostForm("/app/flows", builderForm("Mine", "200", "", "Q?")); res.Status != http.StatusNotFound {
		t.Errorf("a campaign on another member's page: %d", res.Status)
	}
	if ws.Snapshot() != snap {
		t.Error("refused saves changed data")
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// htmlText unescapes a page's entities, so tests read what a person reads.
func htmlText(b []byte) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(string(b))
}
