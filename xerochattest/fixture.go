package xerochattest

import (
	"context"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// Member is a member account with an API key and, usually, its own page.
type Member struct {
	ID     int64
	Email  string
	Key    string
	PageID string
	Page   *xerochat.Page
}

// NewMember creates an active member through create_system_user (the
// door an admin uses), gives it an API key and, when pageID is not "",
// connects a bot-enabled page that the fake Facebook knows.
func (s *Server) NewMember(email, pageID string) *Member {
	s.tb.Helper()
	res := s.Post("create_system_user", Vals("api_key", s.AdminKey, "name", "Member "+email, "email", email,
		"password", "secret-pass", "package_id", "1", "expired_date", time.Now().AddDate(1, 0, 0).Format(xerochat.DateLayout)))
	idf, ok := res.JSON(s.tb)["id"].(float64)
	if !ok {
		s.tb.Fatalf("create_system_user: %s", res.Body)
	}
	ctx := context.Background()
	key, err := s.App.RotateAPIKey(ctx, int64(idf))
	if err != nil {
		s.tb.Fatal(err)
	}
	m := &Member{ID: int64(idf), Email: email, Key: key, PageID: pageID}
	if pageID != "" {
		m.Page = s.ConnectPage(m, pageID, true)
	}
	return m
}

// ConnectPage makes a page known to the fake Facebook (token "token-ID",
// name "Page ID") and connects it for the member.
func (s *Server) ConnectPage(m *Member, pageID string, botEnabled bool) *xerochat.Page {
	s.tb.Helper()
	token := "token-" + pageID
	s.Fake.AddPage(pageID, token, "Page "+pageID)
	res, err := s.App.ConnectPage(context.Background(), &xerochat.Page{UserID: m.ID, PageID: pageID,
		Name: "Page " + pageID, AccessToken: token, BotEnabled: botEnabled})
	if err != nil {
		s.tb.Fatal(err)
	}
	if res.LabelsErr != nil {
		s.tb.Fatalf("connect page %s: labels: %v", pageID, res.LabelsErr)
	}
	return res.Page
}

// Person is someone writing to the member's page through the webhook.
func (s *Server) Person(m *Member, psid string, p fakegraph.Profile) *fakegraph.Person {
	return s.Fake.Person(m.PageID, psid, p, s.URL+"/webhook", AppSecret)
}

// AddSubscriber makes a person with that profile write "hi" to the
// member's page and waits until they are a subscriber with the profile
// fetched: the way subscribers come to be.
func (s *Server) AddSubscriber(m *Member, psid, first, last string) *xerochat.Subscriber {
	s.tb.Helper()
	if _, err := s.Person(m, psid, fakegraph.Profile{FirstName: first, LastName: last}).Say("hi"); err != nil {
		s.tb.Fatal(err)
	}
	var sub *xerochat.Subscriber
	Eventually(s.tb, "subscriber "+psid+" with a profile", func() bool {
		var err error
		sub, err = s.DB.FindSubscriber(context.Background(), m.ID, psid, m.PageID)
		return err == nil && (first == "" || sub.FirstName == first)
	})
	return sub
}

// AddFlow stores a flow campaign of text questions on the member's page.
func (s *Server) AddFlow(m *Member, name string, questions ...string) *xerochat.FlowCampaign {
	s.tb.Helper()
	ff := xerochat.FlowFile{FlowName: name}
	for _, q := range questions {
		ff.Questions = append(ff.Questions, xerochat.FlowFileQuestion{Question: q})
	}
	return s.CreateFlow(m, ff)
}

// CreateFlow stores a flow campaign from a flow file on the member's page.
func (s *Server) CreateFlow(m *Member, ff xerochat.FlowFile) *xerochat.FlowCampaign {
	s.tb.Helper()
	fc, err := ff.Campaign(m.ID, m.Page.ID)
	if err != nil {
		s.tb.Fatal(err)
	}
	if _, err := s.DB.CreateFlowCampaign(context.Background(), fc); err != nil {
		s.tb.Fatal(err)
	}
	return fc
}

// DataTables are the tables of a member's data; Snapshot dumps them.
var DataTables = []string{"users", "pages", "subscribers", "labels", "subscriber_labels",
	"contact_groups", "contacts", "flow_campaigns", "flow_questions", "flow_answers", "packages"}

// Snapshot returns every row of the data tables, to prove a call changed
// nothing. last_login_* record API use, not data a call may change; the
// Messenger tables (batches, events, outbox) change with every webhook.
func (s *Server) Snapshot() string {
	s.tb.Helper()
	return sqlstoretest.Dump(s.tb, s.DB.SQL(), DataTables, "last_login_at", "last_login_ip")
}

// Settle waits until every webhook batch is processed, every queued
// message has left the outbox and every new subscriber's profile was asked
// of Facebook (so that the subscriber is shown).
func (s *Server) Settle() {
	s.tb.Helper()
	Eventually(s.tb, "the workers to finish", func() bool {
		batches, messages, profiles, err := s.DB.Backlog(context.Background())
		return err == nil && batches == 0 && messages == 0 && profiles == 0
	})
}

// Eventually polls cond until it holds, failing after a generous limit.
// Workers are asynchronous by design; this waits for them, it does not time
// them.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
