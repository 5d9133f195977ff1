package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
)

// planFixture is what exerciseStore made for the web app's screens to
// read: a member, one of its pages with subscribers and a label, and a
// flow campaign with answers.
type planFixture struct {
	uid   int64
	page  *xerochat.Page
	label *xerochat.Label
	fc    *xerochat.FlowCampaign
}

// exerciseWeb calls every store method the web app's requests and its CSV
// import worker use, as a person's steps would: sign in, the overview,
// subscribers and contacts page by page, a CSV import, a flow edit, the
// admin screens, and sign out.
func exerciseWeb(t *testing.T, ctx context.Context, db *sqlstore.DB, f planFixture) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	called = append(called, exerciseSignIn(t, ctx, db, f.uid)...)

	now := time.Now()
	_, err := db.Counts(ctx, f.uid)
	must("Counts", err)
	_, err = db.NewSubscribers(ctx, f.uid, now.AddDate(0, 0, -30))
	must("NewSubscribers", err)
	_, err = db.Answers(ctx, f.uid, now.AddDate(0, 0, -30))
	must("Answers", err)
	_, err = db.ListPages(ctx, f.uid)
	must("ListPages", err)
	_, _, err = db.APIKeyCreatedAt(ctx, f.uid)
	must("APIKeyCreatedAt", err)

	called = append(called, exerciseSubscriberList(t, ctx, db, f)...)
	called = append(called, exerciseContacts(t, ctx, db, f.uid)...)
	called = append(called, exerciseFlowEdit(t, ctx, db, f)...)
	called = append(called, exerciseAdmin(t, ctx, db)...)
	return called
}

// exerciseSignIn signs the member in as app.Sessions.Login does, checks
// and touches the session, changes the password and signs out.
func exerciseSignIn(t *testing.T, ctx context.Context, db *sqlstore.DB, uid int64) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	now := time.Now()
	acct, addr := "email:plan@example.com", "ip:127.0.0.1"
	_, err := db.LoginFailures(ctx, acct, now.Add(-15*time.Minute))
	must("LoginFailures", err)
	if _, err := db.Authenticate(ctx, "plan@example.com", "wrong"); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Fatalf("Authenticate with a wrong password: %v, want ENOTFOUND", err)
	}
	must("RecordLoginFailure", db.RecordLoginFailure(ctx, []string{acct, addr}, now))
	_, err = db.Authenticate(ctx, "plan@example.com", "pw")
	must("Authenticate", err)
	must("ForgetLoginFailures", db.ForgetLoginFailures(ctx, acct, now.Add(-15*time.Minute)))
	_, err = db.DeleteStaleSessions(ctx, now.Add(-24*time.Hour), now.AddDate(0, 0, -30))
	must("DeleteStaleSessions", err)
	must("CreateSession", db.CreateSession(ctx, &xerochat.Session{TokenHash: "plan-token", UserID: uid,
		CreatedAt: now, LastSeenAt: now, IP: "127.0.0.1"}))
	_, _, err = db.FindSession(ctx, "plan-token")
	must("FindSession", err)
	must("TouchSession", db.TouchSession(ctx, "plan-token", now.Add(time.Minute)))
	must("DeleteSession", db.DeleteSession(ctx, "plan-token"))
	// A changed password ends the user's sessions through the users
	// trigger; the browser that changed it gets a new one.
	must("CreateSession", db.CreateSession(ctx, &xerochat.Session{TokenHash: "plan-token-2", UserID: uid,
		CreatedAt: now, LastSeenAt: now}))
	must("SetPassword", db.SetPassword(ctx, uid, "pw"))
	if _, _, err := db.FindSession(ctx, "plan-token-2"); xerochat.ErrorCode(err) != xerochat.ENOTFOUND {
		t.Fatalf("FindSession after SetPassword: %v, want ENOTFOUND", err)
	}
	return called
}

// exerciseSubscriberList reads the subscriber screens: a page's first
// page of subscribers and the next through its cursor, a search, a label
// filter, and one subscriber's answers.
func exerciseSubscriberList(t *testing.T, ctx context.Context, db *sqlstore.DB, f planFixture) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	sub := insertSubscriber(t, db, f.uid, f.page.ID, "plan-psid-3", "Plan Person")
	must("AssignLabel", db.AssignLabel(ctx, sub.ID, f.label.ID))
	q := xerochat.SubscriberQuery{PageRef: f.page.ID, Limit: 2}
	first, more, err := db.ListSubscribers(ctx, f.uid, q)
	must("ListSubscribers", err)
	if len(first) != 2 || !more {
		t.Fatalf("ListSubscribers = %d, more %v; want 2 and more", len(first), more)
	}
	q.After = first[len(first)-1].ID
	_, _, err = db.ListSubscribers(ctx, f.uid, q)
	must("ListSubscribers", err)
	for _, q := range []xerochat.SubscriberQuery{
		{PageRef: f.page.ID, Search: "person", Limit: 50},
		{PageRef: f.page.ID, LabelRef: f.label.ID, Limit: 50},
	} {
		got, _, err := db.ListSubscribers(ctx, f.uid, q)
		must("ListSubscribers", err)
		if len(got) != 1 || got[0].ID != sub.ID {
			t.Fatalf("ListSubscribers(%+v) = %d subscribers; want %d", q, len(got), sub.ID)
		}
	}
	_, err = db.AnswersOfSubscriber(ctx, f.uid, sub.ID)
	must("AnswersOfSubscriber", err)
	return called
}

// exerciseContacts reads the contact screens page by page and runs a CSV
// import as the import worker does: created, claimed, a chunk of rows
// (one added, one refused by the file, one a duplicate), finished, and its
// rejected rows read back.
func exerciseContacts(t *testing.T, ctx context.Context, db *sqlstore.DB, uid int64) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	group, err := db.CreateContactGroup(ctx, uid, "Web")
	must("CreateContactGroup", err)
	for _, e := range []string{"w1@example.com", "w2@example.com", "w3@example.com"} {
		_, err := db.CreateContact(ctx, &xerochat.Contact{UserID: uid, ContactTypeID: group, Email: e})
		must("CreateContact", err)
	}
	_, _, err = db.ListContactGroups(ctx, uid)
	must("ListContactGroups", err)
	q := xerochat.ContactQuery{GroupID: group, Limit: 2}
	first, more, err := db.ListContacts(ctx, uid, q)
	must("ListContacts", err)
	if len(first) != 2 || !more {
		t.Fatalf("ListContacts = %d, more %v; want 2 and more", len(first), more)
	}
	q.After = first[len(first)-1].ID
	_, _, err = db.ListContacts(ctx, uid, q)
	must("ListContacts", err)
	found, _, err := db.ListContacts(ctx, uid, xerochat.ContactQuery{GroupID: group, Search: "W2"})
	must("ListContacts", err)
	if len(found) != 1 {
		t.Fatalf("ListContacts search = %d contacts, want 1", len(found))
	}
	must("EachContact", db.EachContact(ctx, uid, group, func(*xerochat.Contact) error { return nil }))

	id, err := db.CreateCSVJob(ctx, &xerochat.CSVJob{UserID: uid, GroupID: group, FileName: "c.csv",
		Header: []string{"email"}, Total: 3}, []byte("email\nw4@example.com\nbad\nw1@example.com\n"))
	must("CreateCSVJob", err)
	_, err = db.FindCSVJob(ctx, uid, id)
	must("FindCSVJob", err)
	_, err = db.ListCSVJobs(ctx, uid, group, 10)
	must("ListCSVJobs", err)
	job, _, err := db.ClaimCSVJob(ctx, time.Minute)
	must("ClaimCSVJob", err)
	if job.ID != id {
		t.Fatalf("ClaimCSVJob = job %d, want %d", job.ID, id)
	}
	must("ImportCSVRows", db.ImportCSVRows(ctx, job, []xerochat.CSVRow{
		{Line: 2, Contact: xerochat.Contact{Email: "w4@example.com"}, Raw: []string{"w4@example.com"}},
		{Line: 3, Reject: "bad e-mail", Raw: []string{"bad"}},
		{Line: 4, Contact: xerochat.Contact{Email: "w1@example.com"}, Raw: []string{"w1@example.com"}},
	}, time.Minute))
	if job.Added != 1 || job.Rejected != 2 {
		t.Fatalf("ImportCSVRows added %d, rejected %d; want 1 and 2", job.Added, job.Rejected)
	}
	must("FinishCSVJob", db.FinishCSVJob(ctx, id, ""))
	n := 0
	must("EachCSVReject", db.EachCSVReject(ctx, uid, id, func(xerochat.CSVReject) error { n++; return nil }))
	if n != 2 {
		t.Fatalf("EachCSVReject = %d rows, want 2", n)
	}
	return called
}

// exerciseFlowEdit pages through a campaign's answers, then edits the
// campaign: the first question kept, the second dropped with its answers,
// a new one added.
func exerciseFlowEdit(t *testing.T, ctx context.Context, db *sqlstore.DB, f planFixture) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	first, more, err := db.ListAnswerRows(ctx, f.uid, f.fc.ID, 0, 1)
	must("ListAnswerRows", err)
	if len(first) != 1 || !more {
		t.Fatalf("ListAnswerRows = %d rows, more %v; want 1 and more", len(first), more)
	}
	_, _, err = db.ListAnswerRows(ctx, f.uid, f.fc.ID, first[0].SubscriberID, 1)
	must("ListAnswerRows", err)
	fc, err := db.FindFlowCampaign(ctx, f.uid, f.fc.ID)
	must("FindFlowCampaign", err)
	fc.Name = "F2"
	fc.Questions = []*xerochat.FlowQuestion{fc.Questions[0], {Question: "Q3?", Type: "text"}}
	must("UpdateFlowCampaign", db.UpdateFlowCampaign(ctx, fc))
	return called
}

// exerciseAdmin reads the admin's screens: users page by page and by a
// search, and a package made, read, changed and deleted.
func exerciseAdmin(t *testing.T, ctx context.Context, db *sqlstore.DB) []string {
	t.Helper()
	var called []string
	must := recorder(t, &called)
	first, more, err := db.ListUsers(ctx, xerochat.UserQuery{Limit: 50})
	must("ListUsers", err)
	if len(first) != 50 || !more {
		t.Fatalf("ListUsers = %d users, more %v; want 50 and more", len(first), more)
	}
	_, _, err = db.ListUsers(ctx, xerochat.UserQuery{After: first[len(first)-1].ID, Limit: 50})
	must("ListUsers", err)
	found, _, err := db.ListUsers(ctx, xerochat.UserQuery{Search: "plan@", Limit: 50})
	must("ListUsers", err)
	if len(found) != 1 {
		t.Fatalf("ListUsers search = %d users, want 1", len(found))
	}
	id, err := db.CreatePackage(ctx, xerochat.NewPackage{Name: "Pro", Price: "10", Validity: 30, Visible: true})
	must("CreatePackage", err)
	_, err = db.FindPackage(ctx, id)
	must("FindPackage", err)
	must("UpdatePackage", db.UpdatePackage(ctx, id, xerochat.NewPackage{Name: "Pro+", Price: "12", Validity: 30}))
	must("DeletePackage", db.DeletePackage(ctx, id))
	return called
}
