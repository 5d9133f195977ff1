package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

var subscriberRowRe = regexp.MustCompile(`<tr><td><a href="/app/subscribers/[^/]+/([^"]+)">`)

func listedPSIDs(body []byte) []string {
	var out []string
	for _, m := range subscriberRowRe.FindAllSubmatch(body, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func TestSubscribersAndLabels(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	other := ws.NewMember("bob@example.com", "200")
	ws.AddSubscriber(m, "9100000000000011", "Ada", "Lovelace")
	ws.AddSubscriber(m, "9100000000000012", "Bea", "Smith")
	ws.AddSubscriber(other, "9100000000000019", "Zed", "Other")
	surveyFlow(ws, m, "Colours")
	answer(t, ws, m, "9100000000000011", "Ada", "blue")
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)

	// Labels: made through Facebook, idempotent by name, listed.
	for range 2 {
		location(t, c.PostForm("/app/labels?page=100", xerochattest.Vals("label_name", "VIP")))
	}
	labels := ws.Get("get_all_labels", xerochattest.Vals("api_key", m.Key, "page_id", "100")).JSON(t)["label_info"].([]any)
	if len(labels) != 1 {
		t.Fatalf("get_all_labels after creating VIP twice: %v", labels)
	}
	vip := labels[0].(map[string]any)["label_id"].(string)
	if body := string(c.Get("/app/labels?page=100").Body); !strings.Contains(body, "<td>VIP</td><td>"+vip+"</td>") {
		t.Errorf("the labels screen: %s", body)
	}
	if res := c.PostForm("/app/labels?page=100", xerochattest.Vals("label_name", "")); fieldErrors(res.Body)["label_name"] != xerochat.MsgLabelNameRequired {
		t.Errorf("a label without a name: %s", fieldErrors(res.Body))
	}

	// Assign through Facebook; the API then reads the label on the subscriber.
	location(t, c.PostForm("/app/subscribers/100/9100000000000011/labels", xerochattest.Vals("label_id", vip)))
	info := ws.Get("subscriber_information", xerochattest.Vals("api_key", m.Key, "subscriber_id", "9100000000000011")).JSON(t)["subscriber_info"].(map[string]any)
	if info["labels"] != vip {
		t.Errorf("after assigning, labels = %v", info["labels"])
	}
	page := string(c.Get("/app/subscribers/100/9100000000000011").Body)
	for _, want := range []string{"<td>Ada</td>", "<td>Lovelace</td>", "Remove VIP", "<td>Colours</td><td>Favourite colour?</td><td>blue</td>", "refferer_source"} {
		if !strings.Contains(page, want) {
			t.Errorf("the subscriber page lacks %q", want)
		}
	}
	// Facebook's refusal is shown, as assign_label passes it on.
	ws.Fake.Fail(http.MethodPost, "/label", fakegraph.ErrInvalidPSID(), 1)
	res := c.PostForm("/app/subscribers/100/9100000000000012/labels", xerochattest.Vals("label_id", vip))
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), fakegraph.ErrInvalidPSID().Message) {
		t.Errorf("a refused assign: %d", res.Status)
	}
	if res := c.PostForm("/app/subscribers/100/9100000000000012/labels", xerochattest.Vals("label_id", "no-such-label")); !strings.Contains(string(res.Body), xerochat.MsgLabelNotFound) {
		t.Errorf("an unknown label: %d", res.Status)
	}

	// The list: all, by label, by name, by PSID.
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"9100000000000011", "9100000000000012"}},
		{"&label=" + vip, []string{"9100000000000011"}},
		{"&q=smi", []string{"9100000000000012"}},
		{"&q=9100000000000011", []string{"9100000000000011"}},
	} {
		if got := listedPSIDs(c.Get("/app/subscribers?page=100" + tc.query).Body); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("subscribers%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	location(t, c.PostForm("/app/subscribers/100/9100000000000011/labels/remove", xerochattest.Vals("label_id", vip)))
	if got := listedPSIDs(c.Get("/app/subscribers?page=100&label=" + vip).Body); len(got) != 0 {
		t.Errorf("after removing the label: %v", got)
	}

	// Another member's page and subscriber are not found.
	before := ws.Snapshot()
	for _, path := range []string{"/app/subscribers?page=200", "/app/subscribers/200/9100000000000019", "/app/labels?page=200", "/app/subscribers/100/9100000000000019"} {
		if res := c.Get(path); res.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, res.Status)
		}
	}
	for _, path := range []string{"/app/subscribers/200/9100000000000019/labels", "/app/subscribers/200/9100000000000019/labels/remove", "/app/labels?page=200"} {
		if res := c.PostForm(path, xerochattest.Vals("label_id", vip, "label_name", "Mine")); res.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", path, res.Status)
		}
	}
	if ws.Snapshot() != before {
		t.Error("requests on another member's records changed data")
	}
}

func TestSubscribersKeysetPages(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	m := ws.NewMember("ann@example.com", "100")
	for i := range 55 {
		if _, err := ws.Person(m, fmt.Sprintf("91000000000001%02d", i), fakegraph.Profile{FirstName: "P"}).Say("hi"); err != nil {
			t.Fatal(err)
		}
	}
	ws.Settle()
	xerochattest.Eventually(t, "55 subscribers", func() bool {
		n, err := ws.DB.Counts(context.Background(), m.ID)
		return err == nil && n.Subscribers == 55
	})
	c := ws.Client()
	c.Login(m.Email, xerochattest.MemberPassword)
	first := c.Get("/app/subscribers?page=100").Body
	next := regexp.MustCompile(`href="\?([^"]+)" rel="next"`).FindSubmatch(first)
	if n := len(listedPSIDs(first)); n != 50 || next == nil {
		t.Fatalf("first page: %d subscribers, next link %v", n, next != nil)
	}
	second := c.Get("/app/subscribers?" + strings.ReplaceAll(string(next[1]), "&amp;", "&")).Body
	if n := len(listedPSIDs(second)); n != 5 || strings.Contains(string(second), `rel="next"`) {
		t.Errorf("second page: %d subscribers", n)
	}
}
