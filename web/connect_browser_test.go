package web_test

import (
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/app"
	"github.com/xerochat/xerochat/graph/fakegraph"
	"github.com/xerochat/xerochat/xerochattest"
)

// A member connects two of their three pages through Facebook's dialog,
// sees their labels imported, and a person writing to one of them (the
// webhook signed with the app secret, delivered only because the app is
// subscribed) reaches the page's flow.
func TestBrowserConnectWithFacebook(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	ws.Fake.RequireSubscription(true)
	m := ws.NewMember("ann@example.com", "")
	p := &person{t: t, ctx: newBrowser(t)}
	p.open(ws.URL + "/login")
	p.signIn(m.Email, xerochattest.MemberPassword)
	p.click(link("Pages"))
	p.sees(withText("You have no connected page yet."))
	p.click(button("Connect with Facebook"))
	p.sees(withText("XeroChat is requesting access to your Facebook account"))
	p.click(button("Continue"))
	p.sees(heading("Connect with Facebook"))
	p.click(byLabel("Ann's Bakery (301)"))
	p.click(byLabel("Ann's Cafe (302)"))
	p.click(button("Connect the ticked pages"))
	p.sees(withText("Connected, bot on; imported 2 labels (2 new, 0 renamed, 0 unchanged) for page 301."))
	p.sees(withText("Connected, bot on; imported 0 labels (0 new, 0 renamed, 0 unchanged) for page 302."))

	p.click(link("Back to your pages"))
	p.sees(withText("Ann's Cafe"))
	p.open(ws.URL + "/app/labels?page=301")
	p.sees(withText("Wholesale"))

	m.PageID = "301"
	m.Page = findPage(t, ws, m.ID, "301")
	ff := xerochat.FlowFile{FlowName: "Survey", Questions: []xerochat.FlowFileQuestion{{Question: "Your e-mail?"}}}
	ff.Triggers.Keywords = []string{"survey"}
	ws.CreateFlow(m, ff)
	zoe := ws.Person(m, "9100000000000001", fakegraph.Profile{FirstName: "Zoe", LastName: "Z"})
	if _, err := zoe.Say("survey"); err != nil {
		t.Fatal(err)
	}
	ws.Settle()
	if sent := zoe.Sent(); len(sent) != 1 || sent[0].Text != "Your e-mail?" {
		t.Fatalf("the person got %+v", sent)
	}
	p.open(ws.URL + "/app/subscribers?page=301")
	p.sees(withText("Zoe"))
}

// In the browser: a cancelled dialog is explained with the button to try
// again; turning the bot off unsubscribes the app; a page whose token
// Facebook ended says "Reconnect needed", and reconnecting repairs it.
func TestBrowserConnectCancelBotOffReconnect(t *testing.T) {
	ws := xerochattest.NewWebServer(t)
	newFacebookManager(t, ws)
	m := ws.NewMember("ann@example.com", "")
	p := &person{t: t, ctx: newBrowser(t)}
	p.open(ws.URL + "/login")
	p.signIn(m.Email, xerochattest.MemberPassword)
	p.click(link("Pages"))
	p.click(button("Connect with Facebook"))
	p.click(button("Cancel"))
	p.sees(withText(app.MsgLoginDeclined))
	p.click(button("Connect with Facebook"))
	p.click(button("Continue"))
	p.click(byLabel("Ann's Bakery (301)"))
	p.click(button("Connect the ticked pages"))
	p.sees(withText("Connected, bot on"))
	p.click(link("Back to your pages"))
	p.sees(heading("Pages"))
	p.click(button("Turn the bot off for Ann's Bakery"))
	p.sees(withText("The bot of Ann's Bakery is now off."))
	p.sees(button("Turn the bot on for Ann's Bakery"))
	if _, on := ws.Fake.Subscription("301"); on {
		t.Errorf("bot off in the browser, app still subscribed")
	}
	p.click(button("Turn the bot on for Ann's Bakery"))
	p.sees(withText("The bot of Ann's Bakery is now on."))
	if _, on := ws.Fake.Subscription("301"); !on {
		t.Errorf("bot on in the browser, app not subscribed")
	}

	m.PageID = "301"
	m.Page = findPage(t, ws, m.ID, "301")
	ff := xerochat.FlowFile{FlowName: "Survey", Questions: []xerochat.FlowFileQuestion{{Question: "Your e-mail?"}}}
	ff.Triggers.Keywords = []string{"survey"}
	ws.CreateFlow(m, ff)
	ws.Fake.ExpireToken(ws.Fake.PageToken(facebookManager, "301"))
	zoe := ws.Person(m, "9100000000000001", fakegraph.Profile{FirstName: "Zoe"})
	if _, err := zoe.Say("survey"); err != nil {
		t.Fatal(err)
	}
	ws.Settle()
	p.open(ws.URL + "/app/pages")
	p.sees(withText("Reconnect needed"))
	p.click(button("Reconnect Ann's Bakery with Facebook"))
	p.click(button("Continue"))
	p.sees(withText("Connected already: connecting it again refreshes its token."))
	p.click(byLabel("Ann's Bakery (301)"))
	p.click(button("Connect the ticked pages"))
	p.sees(withText("Connected, bot on"))
	if _, err := zoe.Say("survey"); err != nil {
		t.Fatal(err)
	}
	ws.Settle()
	if sent := zoe.Sent(); len(sent) != 1 || sent[0].Text != "Your e-mail?" {
		t.Errorf("after reconnecting, the person got %+v", sent)
	}
}
