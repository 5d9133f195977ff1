package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

const (
	pageID = "1001"
	token  = "EAAGpage-token-SECRET-1001"
	psid   = "7001"
)

func setup(t *testing.T) (*fakegraph.Server, *graph.Client) {
	t.Helper()
	fb := fakegraph.New()
	t.Cleanup(fb.Close)
	fb.AddPage(pageID, token, "Shop")
	fb.AddPage("1002", "EAAGother-page-token", "Other shop")
	fb.AddUser(pageID, psid, fakegraph.Profile{FirstName: "Ada", LastName: "Lovelace", ProfilePic: "https://pic/ada"})
	c := graph.New(fb.URL(), "")
	c.AppID, c.AppSecret = fb.App()
	return fb, c
}

func TestNewDefaults(t *testing.T) {
	c := graph.New("", "")
	if c.BaseURL != "https://graph.facebook.com" || c.Version != "v21.0" || c.HTTP == nil || c.HTTP.Timeout != 10*time.Second {
		t.Errorf("New(\"\", \"\") = %+v", c)
	}
	if c := graph.New("http://x/", "v19.0"); c.BaseURL != "http://x" || c.Version != "v19.0" {
		t.Errorf("New(http://x/, v19.0) = %+v", c)
	}
}

func TestCreateLabel(t *testing.T) {
	fb, c := setup(t)
	ctx := context.Background()
	id1, err := c.CreateLabel(ctx, token, pageID, "VIP")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := c.CreateLabel(ctx, token, pageID, "VIP")
	if err != nil {
		t.Fatal(err)
	}
	want := []fakegraph.Label{{ID: id1, Name: "VIP"}, {ID: id2, Name: "VIP"}}
	if got := fb.Labels(pageID); id1 == id2 || !slices.Equal(got, want) {
		t.Errorf("labels = %v, want two distinct %v", got, want)
	}
	call := fb.Calls()[0]
	if call.Version != "v21.0" || call.Path != "/"+pageID+"/custom_labels" || call.Values.Get("page_label_name") != "VIP" ||
		call.Values.Has("name") || call.Values.Get("access_token") != "REDACTED" {
		t.Errorf("call = %+v", call)
	}
}

func TestAssignAndRemoveLabel(t *testing.T) {
	fb, c := setup(t)
	ctx := context.Background()
	id := fb.AddLabel(pageID, "VIP")
	if err := c.AssignLabel(ctx, token, id, psid); err != nil {
		t.Fatal(err)
	}
	if got := fb.UserLabels(pageID, psid); !slices.Equal(got, []string{id}) {
		t.Fatalf("after assign: %v", got)
	}
	if err := c.RemoveLabel(ctx, token, id, psid); err != nil {
		t.Fatal(err)
	}
	if got := fb.UserLabels(pageID, psid); len(got) != 0 {
		t.Errorf("after remove: %v", got)
	}
	if n := fb.CallCount(http.MethodDelete, "/"+id+"/label"); n != 1 {
		t.Errorf("%d DELETE calls, want 1", n)
	}
}

func TestPageLabelsPaging(t *testing.T) {
	tests := []struct{ labels, pageSize, requests int }{
		{0, 25, 1},
		{3, 25, 1},
		{25, 25, 1},
		{60, 25, 3},
		{60, 7, 9},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d by %d", tt.labels, tt.pageSize), func(t *testing.T) {
			fb, c := setup(t)
			fb.SetPageSize(tt.pageSize)
			want := []xerochat.FacebookLabel{}
			for i := range tt.labels {
				name := fmt.Sprintf("L%02d", i)
				want = append(want, xerochat.FacebookLabel{ID: fb.AddLabel(pageID, name), Name: name})
			}
			got, err := c.PageLabels(context.Background(), token, pageID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d labels %v, want %d", len(got), got, len(want))
			}
			if n := fb.CallCount(http.MethodGet, "/custom_labels"); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

// TestPagingStaysOnBaseURL checks that a next link naming another host is
// followed on BaseURL, so the token does not leave, and that paging ends.
func TestPagingStaysOnBaseURL(t *testing.T) {
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.URL.Query().Get("access_token") != token {
			t.Errorf("request %d without the token: %s", requests, r.URL)
		}
		n := requests
		if r.URL.Query().Get("after") == "" && n > 1 {
			t.Errorf("request %d lost the cursor: %s", n, r.URL)
		}
		fmt.Fprintf(w, `{"data":[{"id":"%d","page_label_name":"L"}],"paging":{"next":"https://elsewhere.example/v21.0/p/custom_labels?after=c%d"}}`, n, n)
	}))
	defer srv.Close()
	c := graph.New(srv.URL, "")
	// The deadline turns a missing page limit into a failure, not a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.PageLabels(ctx, token, "p")
	if xerochat.ErrorMessage(err) != "Facebook could not be reached, try again later" {
		t.Errorf("endless paging: err = %v", err)
	}
	if requests != 1000 {
		t.Errorf("%d requests, want the 1000-page limit", requests)
	}
}

func TestUserProfile(t *testing.T) {
	hours := func(h float64) *float64 { return &h }
	tests := []struct {
		name    string
		profile fakegraph.Profile
		want    xerochat.Profile
	}{
		{"full", fakegraph.Profile{FirstName: "Ada", LastName: "Lovelace", ProfilePic: "https://pic", Locale: "en_GB", Gender: "female", Timezone: hours(5.5)},
			xerochat.Profile{FullName: "Ada Lovelace", FirstName: "Ada", LastName: "Lovelace", ProfilePic: "https://pic", Locale: "en_GB", Gender: "female", Timezone: "5.5"}},
		{"west of UTC", fakegraph.Profile{FirstName: "Grace", Timezone: hours(-7)},
			xerochat.Profile{FullName: "Grace", FirstName: "Grace", Timezone: "-7"}},
		// 0 is a real offset, unlike a missing timezone.
		{"UTC", fakegraph.Profile{FirstName: "Alan", Timezone: hours(0)},
			xerochat.Profile{FullName: "Alan", FirstName: "Alan", Timezone: "0"}},
		{"name only", fakegraph.Profile{Name: "Grace Brewster Hopper"},
			xerochat.Profile{FullName: "Grace Brewster Hopper", FirstName: "Grace", LastName: "Brewster Hopper"}},
		{"one word name", fakegraph.Profile{Name: "Cher"}, xerochat.Profile{FullName: "Cher", FirstName: "Cher"}},
		{"first name only", fakegraph.Profile{FirstName: "Linus"}, xerochat.Profile{FullName: "Linus", FirstName: "Linus"}},
		{"nothing", fakegraph.Profile{}, xerochat.Profile{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb, c := setup(t)
			fb.AddUser(pageID, "9001", tt.profile)
			got, err := c.UserProfile(context.Background(), token, "9001")
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestSendMessage(t *testing.T) {
	long := "A very long quick reply title"
	tests := []struct {
		name        string
		msg         xerochat.Outgoing
		wantType    string
		wantReplies []fakegraph.QuickReply
	}{
		{"text", xerochat.Outgoing{Text: "Hello"}, "RESPONSE", nil},
		{"quick replies", xerochat.Outgoing{Text: "Colour?", QuickReplies: []xerochat.QuickReply{{Title: "Red", Payload: "RED"}, {Title: long, Payload: "LONG"}}},
			"RESPONSE", []fakegraph.QuickReply{
				{ContentType: "text", Title: "Red", Payload: "RED"}, {ContentType: "text", Title: long[:20], Payload: "LONG"}}},
		{"tagged", xerochat.Outgoing{Text: "Your order shipped", Tag: "POST_PURCHASE_UPDATE"}, "MESSAGE_TAG", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb, c := setup(t)
			id, err := c.SendMessage(context.Background(), token, psid, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			sent := fb.Sent(psid)
			if len(sent) != 1 {
				t.Fatalf("%d messages sent", len(sent))
			}
			m := sent[0]
			if m.MessageID != id || m.Text != tt.msg.Text || m.MessagingType != tt.wantType || m.Tag != tt.msg.Tag ||
				m.PageID != pageID || m.PageToken != token || !slices.Equal(m.QuickReplies, tt.wantReplies) {
				t.Errorf("sent %+v (id %q)", m, id)
			}
			body := fb.Calls()[0].Body
			if has := strings.Contains(body, "quick_replies"); has != (len(tt.msg.QuickReplies) > 0) {
				t.Errorf("quick_replies present = %v in %s", has, body)
			}
		})
	}
}

func TestSendMessageQuickReplyLimit(t *testing.T) {
	fb, c := setup(t)
	var replies []xerochat.QuickReply
	for i := range 14 {
		replies = append(replies, xerochat.QuickReply{Title: fmt.Sprint("T", i), Payload: fmt.Sprint("P", i)})
	}
	_, err := c.SendMessage(context.Background(), token, psid, xerochat.Outgoing{Text: "?", QuickReplies: replies})
	if got := xerochat.ErrorMessage(err); got != "(#100) param message[quick_replies] must have at most 13 items" {
		t.Errorf("14 quick replies: %q", got)
	}
	if _, err := c.SendMessage(context.Background(), token, psid, xerochat.Outgoing{Text: "?", QuickReplies: replies[:13]}); err != nil {
		t.Errorf("13 quick replies: %v", err)
	}
	if n := len(fb.Sent(psid)); n != 1 {
		t.Errorf("%d messages sent, want 1", n)
	}
}

func TestMessagingWindow(t *testing.T) {
	tests := []struct {
		name     string
		messaged time.Duration // before now; 0 for never
		tag      string
		refused  bool
	}{
		{"never wrote", 0, "", true},
		{"wrote 25h ago", 25 * time.Hour, "", true},
		{"wrote 23h ago", 23 * time.Hour, "", false},
		{"wrote 25h ago, tagged", 25 * time.Hour, "ACCOUNT_UPDATE", false},
		{"never wrote, tagged", 0, "HUMAN_AGENT", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb, c := setup(t)
			fb.SetWindow(true)
			if tt.messaged != 0 {
				fb.UserMessaged(pageID, psid, time.Now().Add(-tt.messaged))
			}
			_, err := c.SendMessage(context.Background(), token, psid, xerochat.Outgoing{Text: "hi", Tag: tt.tag})
			outside := xerochat.FacebookErrorKind(err) == xerochat.FacebookOutsideWindow
			if outside != tt.refused || (err != nil) != tt.refused {
				t.Fatalf("err = %v, want refused %v", err, tt.refused)
			}
			if tt.refused && xerochat.ErrorMessage(err) != "(#10) This message is sent outside of allowed window." {
				t.Errorf("message = %q", xerochat.ErrorMessage(err))
			}
		})
	}
}
