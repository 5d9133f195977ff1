package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/graph"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// The demo's fixed identities: a member with one page whose Facebook side is
// played in-process by the fake Graph server, so every endpoint works without
// a Facebook app.
const (
	demoEmail     = "demo@xerochat.local"
	demoPageID    = "100000000000001"
	demoPageName  = "Demo Coffee"
	demoPageToken = "demo-page-token"
)

var demoSubscribers = []struct {
	PSID, First, Last string
}{
	{"2000000000000001", "Ada", "Lovelace"},
	{"2000000000000002", "Alan", "Turing"},
	{"2000000000000003", "Grace", "Hopper"},
}

// startDemoGraph starts the fake Graph server and points the server's
// Facebook client at it. It mirrors the demo page, its people and its labels
// from the database, so a restarted demo keeps working.
func (m *Main) startDemoGraph() (stop func(), err error) {
	fake := fakegraph.New()
	fake.AddPage(demoPageID, demoPageToken, demoPageName)
	for _, s := range demoSubscribers {
		fake.AddUser(demoPageID, s.PSID, fakegraph.Profile{FirstName: s.First, LastName: s.Last})
	}
	m.Graph = graph.New(fake.URL(), m.Config.GraphVersion)
	m.demoGraph = fake
	m.afterOpen = append(m.afterOpen, func(ctx context.Context) error { return m.mirrorDemoLabels(ctx, fake) })
	return fake.Close, nil
}

// mirrorDemoLabels tells the fake about the labels a previous run created.
func (m *Main) mirrorDemoLabels(ctx context.Context, fake *fakegraph.Server) error {
	u, err := m.DB.FindUser(ctx, xerochat.UserFilter{Email: demoEmail})
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	page, err := m.DB.FindEnabledPage(ctx, u.ID, demoPageID)
	if err != nil {
		return nil
	}
	labels, err := m.DB.ListLabels(ctx, page.ID)
	if err != nil {
		return err
	}
	for _, l := range labels {
		fake.ImportLabel(demoPageID, l.LabelID, l.Name)
	}
	return nil
}

// seedDemo fills an empty database with a demo member and data for every
// endpoint. Subscribers, their answers and a label come from simulated
// people writing to the demo page through the webhook, answered by a real
// flow campaign, so the demo shows the product working end to end.
func (m *Main) seedDemo(ctx context.Context) error {
	if m.Config.Workers < 1 {
		return errors.New("the demo needs a Messenger worker: do not combine --demo with --workers 0")
	}
	now := m.DB.Now()
	id, err := m.DB.CreateUser(ctx, xerochat.NewUser{Name: "Demo Member", Email: demoEmail, Password: randomPassword(),
		Type: xerochat.UserTypeMember, PackageID: 1, ExpiredDate: now.AddDate(1, 0, 0).Format(xerochat.DateLayout)})
	if err != nil {
		return err
	}
	key, err := m.DB.RotateAPIKey(ctx, id)
	if err != nil {
		return err
	}
	page, err := m.DB.ConnectPage(ctx, &xerochat.Page{UserID: id, PageID: demoPageID, Name: demoPageName,
		AccessToken: demoPageToken, BotEnabled: true})
	if err != nil {
		return err
	}
	var labels []*xerochat.Label
	for _, name := range []string{"VIP", "Newsletter"} {
		fbID, err := m.Graph.CreateLabel(ctx, page.AccessToken, page.PageID, name)
		if err != nil {
			return fmt.Errorf("demo label: %w", err)
		}
		l, err := m.DB.SaveLabel(ctx, &xerochat.Label{UserID: id, PageRef: page.ID, LabelID: fbID, Name: name})
		if err != nil {
			return err
		}
		labels = append(labels, l)
	}
	group, err := m.DB.CreateContactGroup(ctx, id, "Customers")
	if err != nil {
		return err
	}
	contact, err := m.DB.CreateContact(ctx, &xerochat.Contact{UserID: id, ContactTypeID: group, FirstName: "Linus",
		LastName: "Torvalds", Email: "linus@example.com", PhoneNumber: "+15550100"})
	if err != nil {
		return err
	}
	ff := xerochat.FlowFile{FlowName: "Coffee survey", CompletionMessage: "Thank you! See you at the counter."}
	ff.Triggers.Keywords = []string{"coffee"}
	ff.Questions = []xerochat.FlowFileQuestion{
		{Question: "What is your favourite coffee?", Type: xerochat.QuestionChoice, Options: []string{"Espresso", "Flat white", "Filter"}},
		{Question: "How many cups a day?", Type: xerochat.QuestionNumber, Reprompt: "A number, please: how many cups a day?"},
		{Question: "Your e-mail, for our newsletter?", Type: xerochat.QuestionEmail},
	}
	fc, err := ff.Campaign(id, page.ID)
	if err != nil {
		return err
	}
	flowID, err := m.DB.CreateFlowCampaign(ctx, fc)
	if err != nil {
		return err
	}
	if err := m.demoConversations(labels[0]); err != nil {
		return fmt.Errorf("demo conversations: %w", err)
	}
	subs := demoSubscribers
	base := m.URL()
	fmt.Fprintf(m.Out, `
Demo member %s, API key:
  %s

Try (Facebook is simulated in-process):
  curl '%s/api/subscriber_information?api_key=%s&subscriber_id=%s'
  curl '%s/api/get_all_labels?api_key=%s&page_id=%s'
  curl -X POST '%s/api/create_label' -d 'api_key=%s' -d 'page_id=%s' -d 'label_name=Regulars'
  curl -X POST '%s/api/assign_label' -d 'api_key=%s' -d 'page_id=%s' -d 'subscriber_id=%s' -d 'label_ids=%s'
  curl '%s/api/get_contact_group?api_key=%s&contact_type_id=%d'
  curl '%s/api/get_contact?api_key=%s&contact_id=%d'
  curl -X POST '%s/api/create_contact' -d 'api_key=%s' -d 'contact_type_id=%d' -d 'email=ken@example.com'
  curl '%s/api/get_flow_campaigns?api_key=%s'
  curl '%s/api/get_flow_campaign_info?api_key=%s&flow_campaign_id=%d'
  curl '%s/api/get_single_subscriber_flow_info?api_key=%s&flow_campaign_id=%d&subscriber_id=%s'
  curl '%s/api/get_all_subscriber_flow_info?api_key=%s&flow_campaign_id=%d'
Admin endpoints (get_user_info, create_system_user, update_user, get_all_packages) take the admin key above.
`, demoEmail, key,
		base, key, subs[0].PSID,
		base, key, demoPageID,
		base, key, demoPageID,
		base, key, demoPageID, subs[1].PSID, labels[1].LabelID,
		base, key, group,
		base, key, contact,
		base, key, group,
		base, key,
		base, key, flowID,
		base, key, flowID, subs[0].PSID,
		base, key, flowID)
	return nil
}

// demoConversations plays the demo's people on Messenger: two run the
// coffee survey (one mistypes a number and is asked again), one just says
// hello, and the page labels the first one VIP from its inbox.
func (m *Main) demoConversations(vip *xerochat.Label) error {
	webhook := m.URL() + "/webhook"
	scripts := [][]string{
		{"Coffee", "Espresso", "three", "3", "ada@example.com"},
		{"coffee", "Flat white", "2", "alan@example.com"},
		{"Hello!"},
	}
	for i, s := range demoSubscribers {
		p := m.demoGraph.Person(demoPageID, s.PSID, fakegraph.Profile{FirstName: s.First, LastName: s.Last},
			webhook, m.Config.FBAppSecret)
		for _, text := range scripts[i] {
			seen := len(p.Sent())
			if _, err := p.Say(text); err != nil {
				return err
			}
			if len(scripts[i]) > 1 {
				if err := waitUntil(func() bool { return len(p.Sent()) > seen }); err != nil {
					return fmt.Errorf("%s got no answer to %q", s.First, text)
				}
			}
		}
		if i == 0 {
			if err := p.Label(vip.LabelID, vip.Name, true); err != nil {
				return err
			}
		}
	}
	return waitUntil(func() bool {
		batches, messages, profiles, err := m.DB.Backlog(context.Background())
		return err == nil && batches+messages+profiles == 0
	})
}

// waitUntil polls cond for up to 15 seconds.
func waitUntil(cond func() bool) error {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return nil
		}
	}
	return errors.New("timed out")
}
