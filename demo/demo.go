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

// PrintInstructions writes the demo member's key and ready-to-paste curl
// lines for the member endpoints.
func (s *Seeded) PrintInstructions(w io.Writer, baseURL string) {
	key, subs, labels := s.Member.APIKey, People, s.Labels
	fmt.Fprintf(w, `
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
`, Email, key,
		baseURL, key, subs[0].PSID,
		baseURL, key, PageID,
		baseURL, key, PageID,
		baseURL, key, PageID, subs[1].PSID, labels[1].LabelID,
		baseURL, key, s.GroupID,
		baseURL, key, s.Contact,
		baseURL, key, s.GroupID,
		baseURL, key,
		baseURL, key, s.FlowID,
		baseURL, key, s.FlowID, subs[0].PSID,
		baseURL, key, s.FlowID)
}
