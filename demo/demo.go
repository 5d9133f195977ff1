// Package demo seeds the data of `xerochat serve --demo`: a member with one
// page whose Facebook side is played in-process by the fake Facebook, so
// every endpoint works without a Facebook app. The data comes from real
// conversations: simulated people write to the page through the server's
// own webhook and are answered by a real flow campaign.
//
// It builds on the same pieces as the tests: the use-case layer and the
// fake Facebook with its people on Messenger.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph/fakegraph"
)

// The demo's fixed identities.
const (
	Email     = "demo@xerochat.local"
	PageID    = "100000000000001"
	PageName  = "Demo Coffee"
	PageToken = "demo-page-token"
)

// Person is one of the demo page's people.
type Person struct{ PSID, First, Last string }

// People are the people who write to the demo page.
var People = []Person{
	{"2000000000000001", "Ada", "Lovelace"},
	{"2000000000000002", "Alan", "Turing"},
	{"2000000000000003", "Grace", "Hopper"},
}

// Facebook is the demo's Facebook: the fake Graph server knowing the demo
// page and its people.
type Facebook struct{ *fakegraph.Server }

// StartFacebook starts the demo's fake Facebook; Close stops it.
func StartFacebook() *Facebook {
	fake := fakegraph.New()
	fake.AddPage(PageID, PageToken, PageName)
	for _, p := range People {
		fake.AddUser(PageID, p.PSID, fakegraph.Profile{FirstName: p.First, LastName: p.Last})
	}
	return &Facebook{fake}
}

// MirrorLabels tells the fake about the labels a previous run created, so
// that a restarted demo keeps working.
func (fb *Facebook) MirrorLabels(ctx context.Context, a *app.App) error {
	u, err := a.Users.FindUser(ctx, xerochat.UserFilter{Email: Email})
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	page, err := a.Pages.FindUserPage(ctx, u.ID, PageID)
	if xerochat.ErrorCode(err) == xerochat.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	labels, err := a.Pages.ListLabels(ctx, page.ID)
	if err != nil {
		return err
	}
	for _, l := range labels {
		fb.ImportLabel(PageID, l.LabelID, l.Name)
	}
	return nil
}

// Server is what seeding needs of the running server.
type Server struct {
	App *app.App
	// URL is the server's base URL; the demo's people write to its webhook.
	URL string
	// AppSecret signs the webhook posts, as Facebook does.
	AppSecret string
	// Idle reports whether every webhook batch, message and profile fetch
	// has been processed.
	Idle func(context.Context) bool
}

// Seeded is what Seed made, for the instructions printed to a newcomer.
type Seeded struct {
	Member   *app.Credentials
	Labels   []*xerochat.Label
	GroupID  int64
	Contact  int64
	FlowID   int64
	PageName string
	// OldGroupID and OldContact are there to be deleted by the printed
	// curl lines, so that every endpoint can be tried on the demo.
	OldGroupID int64
	OldContact int64
}

// Seed fills an empty database with the demo member and data for every
// endpoint, then plays the conversations.
func (fb *Facebook) Seed(ctx context.Context, srv Server) (*Seeded, error) {
	a := srv.App
	member, err := a.CreateMember(ctx, xerochat.NewUser{Name: "Demo Member", Email: Email, PackageID: 1,
		ExpiredDate: time.Now().AddDate(1, 0, 0).Format(xerochat.DateLayout)})
	if err != nil {
		return nil, err
	}
	s := &Seeded{Member: member, PageName: PageName}
	connected, err := a.ConnectPage(ctx, &xerochat.Page{UserID: member.UserID, PageID: PageID, Name: PageName,
		AccessToken: PageToken, BotEnabled: true})
	if err != nil {
		return nil, err
	}
	if connected.LabelsErr != nil {
		return nil, fmt.Errorf("demo labels: %w", connected.LabelsErr)
	}
	for _, name := range []string{"VIP", "Newsletter"} {
		l, err := a.CreateLabel(ctx, member.UserID, PageID, name)
		if err != nil {
			return nil, fmt.Errorf("demo label: %w", err)
		}
		s.Labels = append(s.Labels, l)
	}
	if s.GroupID, err = a.Contacts.CreateContactGroup(ctx, member.UserID, "Customers"); err != nil {
		return nil, err
	}
	s.Contact, err = a.CreateContact(ctx, &xerochat.Contact{UserID: member.UserID, ContactTypeID: s.GroupID,
		FirstName: "Linus", LastName: "Torvalds", Email: "linus@example.com", PhoneNumber: "+15550100"})
	if err != nil {
		return nil, err
	}
	if s.OldGroupID, err = a.Contacts.CreateContactGroup(ctx, member.UserID, "Old list"); err != nil {
		return nil, err
	}
	if s.OldContact, err = a.CreateContact(ctx, &xerochat.Contact{UserID: member.UserID, ContactTypeID: s.OldGroupID,
		FirstName: "Former", Email: "former@example.com"}); err != nil {
		return nil, err
	}
	survey := surveyFile()
	fc, err := survey.Campaign(member.UserID, connected.Page.ID)
	if err != nil {
		return nil, err
	}
	if s.FlowID, err = a.Flows.CreateFlowCampaign(ctx, fc); err != nil {
		return nil, err
	}
	if err := fb.converse(ctx, srv, s.Labels[0]); err != nil {
		return nil, fmt.Errorf("demo conversations: %w", err)
	}
	return s, nil
}

// surveyFile is the demo's flow campaign.
func surveyFile() xerochat.FlowFile {
	ff := xerochat.FlowFile{FlowName: "Coffee survey", CompletionMessage: "Thank you! See you at the counter."}
	ff.Triggers.Keywords = []string{"coffee"}
	ff.Questions = []xerochat.FlowFileQuestion{
		{Question: "What is your favourite coffee?", Type: xerochat.QuestionChoice, Options: []string{"Espresso", "Flat white", "Filter"}},
		{Question: "How many cups a day?", Type: xerochat.QuestionNumber, Reprompt: "A number, please: how many cups a day?"},
		{Question: "Your e-mail, for our newsletter?", Type: xerochat.QuestionEmail},
	}
	return ff
}

// converse plays the demo's people on Messenger: two run the coffee survey
// (one mistypes a number and is asked again), one just says hello, and the
// page labels the first one VIP from its inbox.
func (fb *Facebook) converse(ctx context.Context, srv Server, vip *xerochat.Label) error {
	webhook := srv.URL + "/webhook"
	scripts := [][]string{
		{"Coffee", "Espresso", "three", "3", "ada@example.com"},
		{"coffee", "Flat white", "2", "alan@example.com"},
		{"Hello!"},
	}
	for i, s := range People {
		p := fb.Person(PageID, s.PSID, fakegraph.Profile{FirstName: s.First, LastName: s.Last}, webhook, srv.AppSecret)
		for _, text := range scripts[i] {
			seen := len(p.Sent())
			if _, err := p.Say(text); err != nil {
				return err
			}
			if len(scripts[i]) > 1 {
				if err := waitUntil(ctx, func() bool { return len(p.Sent()) > seen }); err != nil {
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
	return waitUntil(ctx, func() bool { return srv.Idle(ctx) })
}

// waitUntil polls cond for up to 15 seconds.
func waitUntil(ctx context.Context, cond func() bool) error {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cond() {
			return nil
		}
	}
	return errors.New("timed out")
}

// PrintInstructions writes the demo member's sign-in and key, and a
// ready-to-paste curl line for each of the 20 endpoints, with ids that exist
// in the demo, in an order that works when pasted top to bottom (the
// deletes name records made to be deleted).
func (s *Seeded) PrintInstructions(w io.Writer, baseURL, adminKey string) {
	key, subs, labels := s.Member.APIKey, People, s.Labels
	b := baseURL + "/api"
	fmt.Fprintf(w, `
Demo member (Facebook is simulated in-process for the page %q):
  e-mail:   %s
  password: %s
  API key:  %s

Member endpoints:
  curl '%s/subscriber_information?api_key=%s&subscriber_id=%s'
  curl '%s/get_all_labels?api_key=%s&page_id=%s'
  curl -X POST '%s/create_label' -d 'api_key=%s' -d 'page_id=%s' -d 'label_name=Regulars'
  curl -X POST '%s/assign_label' -d 'api_key=%s' -d 'page_id=%s' -d 'subscriber_id=%s' -d 'label_ids=%s'
  curl '%s/get_contact_group?api_key=%s&contact_type_id=%d'
  curl -X POST '%s/create_contact_group' -d 'api_key=%s' -d 'name=Prospects'
  curl -X POST '%s/update_contact_group/%d' -d 'api_key=%s' -d 'name=Clients'
  curl -X POST '%s/delete_contact_group' -d 'api_key=%s' -d 'contact_type_id=%d'
  curl '%s/get_contact?api_key=%s&contact_id=%d'
  curl -X POST '%s/create_contact' -d 'api_key=%s' -d 'contact_type_id=%d' -d 'email=ken@example.com'
  curl -X POST '%s/update_contact/%d' -d 'api_key=%s' -d 'first_name=Linus B.'
  curl -X POST '%s/delete_contact' -d 'api_key=%s' -d 'contact_id=%d'
  curl '%s/get_flow_campaigns?api_key=%s'
  curl '%s/get_flow_campaign_info?api_key=%s&flow_campaign_id=%d'
  curl '%s/get_single_subscriber_flow_info?api_key=%s&flow_campaign_id=%d&subscriber_id=%s'
  curl '%s/get_all_subscriber_flow_info?api_key=%s&flow_campaign_id=%d'

Admin endpoints (the admin's key):
  curl '%s/get_user_info?api_key=%s&user_id=%d'
  curl '%s/get_all_packages?api_key=%s'
  curl -X POST '%s/create_system_user' -d 'api_key=%s' -d 'name=Ann' -d 'email=ann@example.com' -d 'password=s3cret-pass' -d 'package_id=1' -d 'expired_date=2030-12-31'
  curl -X POST '%s/update_user/%d' -d 'api_key=%s' -d 'mobile=+15550123'
`, s.PageName, s.Member.Email, s.Member.Password, key,
		b, key, subs[0].PSID,
		b, key, PageID,
		b, key, PageID,
		b, key, PageID, subs[1].PSID, labels[1].LabelID,
		b, key, s.GroupID,
		b, key,
		b, s.GroupID, key,
		b, key, s.OldGroupID,
		b, key, s.Contact,
		b, key, s.GroupID,
		b, s.Contact, key,
		b, key, s.OldContact,
		b, key,
		b, key, s.FlowID,
		b, key, s.FlowID, subs[0].PSID,
		b, key, s.FlowID,
		b, adminKey, s.Member.UserID,
		b, adminKey,
		b, adminKey,
		b, s.Member.UserID, adminKey)
}

// PrintExisting tells a newcomer who starts the demo again on its database
// that the data is there and how to get in: passwords and keys are shown
// only once, so it names the commands that make new ones.
func PrintExisting(w io.Writer, dbURL string) {
	fmt.Fprintf(w, `
The demo data exists already in %s (it was seeded on the first start).
Its member is %s; the passwords and API keys were shown then, once.
New ones:  xerochat user apikey --db %s --email %s
To start over, stop the server and remove %s.
`, dbURL, Email, dbURL, Email, dbURL)
}
