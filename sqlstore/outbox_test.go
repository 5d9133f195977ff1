package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// subscribe makes the person a subscriber of the page, as their first
// event does, and returns them.
func subscribe(t *testing.T, db *sqlstore.DB, page *xerochat.Page, psid string) *xerochat.Subscriber {
	t.Helper()
	var sub *xerochat.Subscriber
	err := inBatch(t, db, func(tx xerochat.BatchTx) error {
		_, err := tx.ApplyEvent(context.Background(), "m:subscribe:"+psid, func(etx xerochat.EventTx) error {
			id, err := etx.Subscriber(context.Background(), page, psid, db.Now(), true)
			sub = &xerochat.Subscriber{ID: id, PSID: psid}
			return err
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

var enqueued atomic.Int64

// enqueue queues messages to the subscriber, in order, in one batch.
func enqueue(t *testing.T, db *sqlstore.DB, page *xerochat.Page, sub *xerochat.Subscriber, msgs ...xerochat.Outgoing) {
	t.Helper()
	err := inBatch(t, db, func(tx xerochat.BatchTx) error {
		_, err := tx.ApplyEvent(context.Background(), fmt.Sprintf("m:enqueue:%d", enqueued.Add(1)), func(etx xerochat.EventTx) error {
			for _, m := range msgs {
				if err := etx.Send(context.Background(), page, sub.ID, m); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// claimTexts claims due messages and returns their texts.
func claimTexts(t *testing.T, db *sqlstore.DB) ([]*xerochat.OutboxMessage, []string) {
	t.Helper()
	msgs, err := db.ClaimMessages(context.Background(), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{}
	for _, m := range msgs {
		texts = append(texts, m.Message.Text)
	}
	return msgs, texts
}

// expectQueued claims every queued message, marking each sent, and fails
// unless their texts are want, in order.
func expectQueued(t *testing.T, db *sqlstore.DB, want ...string) {
	t.Helper()
	got := []string{}
	for {
		msgs, texts := claimTexts(t, db)
		if len(msgs) == 0 {
			break
		}
		got = append(got, texts...)
		for _, m := range msgs {
			if err := db.MessagesSent(context.Background(), map[int64]string{m.ID: "m_sent"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("queued %q, want %q", got, want)
	}
}

// TestClaimMessagesInOrder: a subscriber's messages are claimed together,
// in order, and a message is claimed only once each before it left the
// queue (sent or failed) or is claimed with it: one waiting for a retry, or
// leased, holds the later ones back. Claimed messages carry what the Send
// API needs.
func TestClaimMessagesInOrder(t *testing.T) {
	t.Parallel()
	c := newClock()
	db := openClocked(t, c)
	ctx := context.Background()
	page := connectPage(t, db, "890000000000001")
	ann := subscribe(t, db, page, "2890000000000001")
	bob := subscribe(t, db, page, "2890000000000002")
	colour := xerochat.Outgoing{Text: "A1", QuickReplies: []xerochat.QuickReply{{Title: "Red", Payload: "RED"}}, Tag: "ACCOUNT_UPDATE"}
	enqueue(t, db, page, ann, colour, xerochat.Outgoing{Text: "A2"}, xerochat.Outgoing{Text: "A3"})
	enqueue(t, db, page, bob, xerochat.Outgoing{Text: "B1"})

	msgs, texts := claimTexts(t, db)
	if !slices.Equal(texts, []string{"A1", "A2", "A3", "B1"}) {
		t.Fatalf("first claim %q, want each subscriber's messages in order", texts)
	}
	a1, a2, a3 := msgs[0], msgs[1], msgs[2]
	want := xerochat.OutboxMessage{ID: a1.ID, PageRef: page.ID, PageToken: page.AccessToken, SubscriberID: ann.ID,
		PSID: ann.PSID, Message: colour, Attempts: 1}
	if a1.PageRef != want.PageRef || a1.PageToken != want.PageToken || a1.SubscriberID != want.SubscriberID ||
		a1.PSID != want.PSID || a1.Attempts != want.Attempts || a1.Message.Text != colour.Text || a1.Message.Tag != colour.Tag ||
		!slices.Equal(a1.Message.QuickReplies, colour.QuickReplies) {
		t.Fatalf("claimed %+v, want %+v", *a1, want)
	}
	if _, texts := claimTexts(t, db); len(texts) != 0 {
		t.Fatalf("claimed %q while the messages are leased", texts)
	}
	// A1 is to be retried in 10 s: A2 and A3, given back, wait for it.
	if err := db.RetryMessage(ctx, a1.ID, c.Now().Add(10*time.Second), "later"); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseMessages(ctx, []*xerochat.OutboxMessage{a2, a3}); err != nil {
		t.Fatal(err)
	}
	if _, texts := claimTexts(t, db); len(texts) != 0 {
		t.Fatalf("claimed %q while A1 waits for its retry", texts)
	}
	c.Add(11 * time.Second)
	msgs, texts = claimTexts(t, db)
	if !slices.Equal(texts, []string{"A1", "A2", "A3"}) || msgs[0].Attempts != 2 || msgs[1].Attempts != 1 {
		t.Fatalf("after A1's retry time: claimed %q (attempts %d, %d), want A1 (attempt 2), A2 and A3 (attempt 1: "+
			"given back unsent)", texts, msgs[0].Attempts, msgs[1].Attempts)
	}
	// A1 goes out, A2 fails for good, A3 is given back: A3 is next.
	if err := db.MessagesSent(ctx, map[int64]string{a1.ID: "m_a1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.MessageFailed(ctx, a2.ID, "refused"); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseMessages(ctx, []*xerochat.OutboxMessage{msgs[2]}); err != nil {
		t.Fatal(err)
	}
	stale, texts := claimTexts(t, db)
	if !slices.Equal(texts, []string{"A3"}) {
		t.Fatalf("after A2 failed: claimed %q, want A3", texts)
	}
	// The leases run out (the worker crashed): A3 and B1 are claimed again.
	c.Add(time.Minute + time.Second)
	msgs, texts = claimTexts(t, db)
	if !slices.Equal(texts, []string{"A3", "B1"}) || msgs[1].Attempts != 2 {
		t.Fatalf("after the leases ran out: claimed %q, want A3 and B1 (attempt 2)", texts)
	}
	// The first claimer, late, gives A3 back: it is no longer its to give.
	if err := db.ReleaseMessages(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if _, texts := claimTexts(t, db); len(texts) != 0 {
		t.Fatalf("a stale give-back freed %q, claimed by another", texts)
	}
}

// TestMessageOutcomes: sent and failed messages leave the queue for good,
// with Facebook's id or the reason; a retried one comes back at its time.
func TestMessageOutcomes(t *testing.T) {
	t.Parallel()
	c := newClock()
	db := openClocked(t, c)
	ctx := context.Background()
	page := connectPage(t, db, "890000000000011")
	for i, text := range []string{"sent", "failed", "retried"} {
		enqueue(t, db, page, subscribe(t, db, page, fmt.Sprint(2890000000000011+i)), xerochat.Outgoing{Text: text})
	}
	msgs, _ := claimTexts(t, db)
	if len(msgs) != 3 {
		t.Fatalf("claimed %d messages, want 3", len(msgs))
	}
	retryAt := c.Now().Add(5 * time.Minute)
	for _, err := range []error{
		db.MessagesSent(ctx, map[int64]string{msgs[0].ID: "m_facebook"}),
		db.MessageFailed(ctx, msgs[1].ID, "(#100) No matching user found"),
		db.RetryMessage(ctx, msgs[2].ID, retryAt, "(#4) Application request limit reached"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.SQL().Query(`SELECT state, message_id, last_error, run_at FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var state, messageID, lastError string
		var runAt int64
		if err := rows.Scan(&state, &messageID, &lastError, &runAt); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s|%s|%s|%d", state, messageID, lastError, runAt))
	}
	now := c.Now().Unix()
	want := []string{
		fmt.Sprintf("sent|m_facebook||%d", now),
		fmt.Sprintf("failed||(#100) No matching user found|%d", now),
		fmt.Sprintf("pending||(#4) Application request limit reached|%d", retryAt.Unix()),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("outbox rows:\n got %q\nwant %q", got, want)
	}
	c.Add(5*time.Minute - time.Second)
	if _, texts := claimTexts(t, db); len(texts) != 0 {
		t.Fatalf("claimed %q before the retry is due", texts)
	}
	c.Add(time.Second)
	if msgs, texts := claimTexts(t, db); !slices.Equal(texts, []string{"retried"}) || msgs[0].Attempts != 2 {
		t.Fatalf("at the retry: claimed %q, want the retried message on attempt 2", texts)
	}
}

// TestClaimMessagesTwoClaimers: two processes claiming at once never get
// the same message (claims take turns: an advisory lock on PostgreSQL, the
// one writer on SQLite), every message is claimed, and a subscriber's
// message is claimed only after, or together with, each before it.
func TestClaimMessagesTwoClaimers(t *testing.T) {
	t.Parallel()
	a, b := openTwice(t, newClock())
	page := connectPage(t, a, "890000000000021")
	const people, each = 8, 3
	order := map[int64][]int64{} // subscriber → message ids, oldest first
	for i := range people {
		sub := subscribe(t, a, page, fmt.Sprint(2890000000000021+i))
		for j := range each {
			enqueue(t, a, page, sub, xerochat.Outgoing{Text: fmt.Sprintf("%d-%d", i, j)})
		}
		rows, err := a.SQL().Query(fmt.Sprintf(`SELECT id FROM outbox WHERE subscriber_id = %d ORDER BY id`, sub.ID))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			order[sub.ID] = append(order[sub.ID], id)
		}
		rows.Close()
	}

	var mu sync.Mutex
	claimedBy := map[int64]string{}
	sent := map[int64]bool{}
	var wg sync.WaitGroup
	for name, db := range map[string]*sqlstore.DB{"a": a, "b": b} {
		wg.Go(func() {
			for idle := 0; idle < 3; {
				msgs, err := db.ClaimMessages(context.Background(), time.Minute, 2)
				if err != nil {
					t.Error(err)
					return
				}
				if len(msgs) == 0 {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				idle = 0
				for _, m := range msgs {
					mu.Lock()
					if other, ok := claimedBy[m.ID]; ok {
						t.Errorf("message %d claimed by %s and %s", m.ID, other, name)
					}
					claimedBy[m.ID] = name
					ids := order[m.SubscriberID]
					for _, earlier := range ids[:slices.Index(ids, m.ID)] {
						if !sent[earlier] {
							t.Errorf("message %d claimed before the earlier %d was sent", m.ID, earlier)
						}
					}
					// Recorded before the database knows, so that the set
					// holds every message another claimer can see as sent.
					sent[m.ID] = true
					mu.Unlock()
					if err := db.MessagesSent(context.Background(), map[int64]string{m.ID: "m_sent"}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(claimedBy) != people*each {
		t.Fatalf("%d messages claimed, want %d", len(claimedBy), people*each)
	}
}

// TestOutboxStoredForms: messages queued before quick replies had payloads
// of their own hold plain strings, each both title and payload; they are
// read as well as today's form.
func TestOutboxStoredForms(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	page := connectPage(t, db, "890000000000031")
	tests := []struct {
		name   string
		stored string
		want   xerochat.Outgoing
	}{
		{"plain text", `{"text":"Hello"}`, xerochat.Outgoing{Text: "Hello"}},
		{"old quick replies", `{"text":"Colour?","quick_replies":["Red","Dark Blue"]}`,
			xerochat.Outgoing{Text: "Colour?", QuickReplies: []xerochat.QuickReply{{Title: "Red", Payload: "Red"}, {Title: "Dark Blue", Payload: "Dark Blue"}}}},
		{"quick replies with payloads and a tag", `{"text":"Colour?","quick_replies":[{"title":"Red","payload":"RED"}],"tag":"ACCOUNT_UPDATE"}`,
			xerochat.Outgoing{Text: "Colour?", QuickReplies: []xerochat.QuickReply{{Title: "Red", Payload: "RED"}}, Tag: "ACCOUNT_UPDATE"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := subscribe(t, db, page, fmt.Sprint(2890000000000031+i))
			if _, err := db.SQL().Exec(fmt.Sprintf(`INSERT INTO outbox (page_ref, subscriber_id, message, run_at, created_at)
				VALUES (%d, %d, '%s', 0, 0)`, page.ID, sub.ID, tt.stored)); err != nil {
				t.Fatal(err)
			}
			msgs, _ := claimTexts(t, db)
			if len(msgs) != 1 {
				t.Fatalf("claimed %d messages, want 1", len(msgs))
			}
			got := msgs[0].Message
			if got.Text != tt.want.Text || got.Tag != tt.want.Tag || !slices.Equal(got.QuickReplies, tt.want.QuickReplies) {
				t.Fatalf("read %+v, want %+v", got, tt.want)
			}
			if err := db.MessagesSent(context.Background(), map[int64]string{msgs[0].ID: "m_sent"}); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Today's form round-trips through Send.
	sub := subscribe(t, db, page, "2890000000000039")
	for _, tt := range tests {
		enqueue(t, db, page, sub, tt.want)
		msgs, _ := claimTexts(t, db)
		if len(msgs) != 1 || !slices.Equal(msgs[0].Message.QuickReplies, tt.want.QuickReplies) || msgs[0].Message.Tag != tt.want.Tag {
			t.Fatalf("%s: queued %+v, claimed %+v", tt.name, tt.want, msgs)
		}
		if err := db.MessagesSent(context.Background(), map[int64]string{msgs[0].ID: "m_sent"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestClaimProfiles: a new subscriber's profile is due at once, claimed
// with the page's token, and leased: claimed again only when the lease
// runs out or the retry is due, never once saved.
func TestClaimProfiles(t *testing.T) {
	t.Parallel()
	c := newClock()
	db := openClocked(t, c)
	ctx := context.Background()
	page := connectPage(t, db, "890000000000041")
	sub := subscribe(t, db, page, "2890000000000041")
	claimProfiles := func() []*xerochat.ProfileJob {
		t.Helper()
		jobs, err := db.ClaimProfiles(ctx, 30*time.Second, 10)
		if err != nil {
			t.Fatal(err)
		}
		return jobs
	}
	expectJob := func(what string, attempts int) {
		t.Helper()
		jobs := claimProfiles()
		want := xerochat.ProfileJob{SubscriberID: sub.ID, PSID: sub.PSID, PageToken: page.AccessToken, Attempts: attempts}
		if len(jobs) != 1 || *jobs[0] != want {
			t.Fatalf("%s: claimed %v, want %+v", what, jobs, want)
		}
	}
	expectNone := func(what string) {
		t.Helper()
		if jobs := claimProfiles(); len(jobs) != 0 {
			t.Fatalf("%s: claimed %+v, want none", what, *jobs[0])
		}
	}
	expectJob("a new subscriber", 1)
	expectNone("while the lease runs")
	c.Add(31 * time.Second)
	expectJob("after the lease ran out", 2)
	if err := db.RetryProfile(ctx, sub.ID, c.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.Add(59 * time.Second)
	expectNone("before the retry is due")
	c.Add(time.Second)
	expectJob("when the retry is due", 3)
	if err := db.SaveProfile(ctx, sub.ID, xerochat.Profile{FirstName: "Zoë"}); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	expectNone("once the profile is saved")
	if _, _, profiles, err := db.Backlog(ctx); err != nil || profiles != 0 {
		t.Fatalf("backlog: %d profiles, %v; want none", profiles, err)
	}
}

// TestSaveProfileKeepsFields: a profile saved again keeps every field the
// new one does not give.
func TestSaveProfileKeepsFields(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.Open(t)
	ctx := context.Background()
	page := connectPage(t, db, "890000000000051")
	sub := subscribe(t, db, page, "2890000000000051")
	full := xerochat.Profile{FirstName: "Zoë", LastName: "Ng", FullName: "Zoë Ng", ProfilePic: "https://example.com/zoe.jpg",
		Locale: "en_GB", Gender: "female", Timezone: "5.5"}
	for _, p := range []xerochat.Profile{full, {FirstName: "Zoe"}, {}} {
		if err := db.SaveProfile(ctx, sub.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.FindSubscriber(ctx, page.UserID, sub.PSID, page.PageID)
	if err != nil {
		t.Fatal(err)
	}
	want := full
	want.FirstName = "Zoe"
	if g := (xerochat.Profile{FirstName: got.FirstName, LastName: got.LastName, FullName: got.FullName, ProfilePic: got.ProfilePic,
		Locale: got.Locale, Gender: got.Gender, Timezone: got.Timezone}); g != want {
		t.Fatalf("profile %+v, want %+v", g, want)
	}
}

// TestLeaseLastsItsLength: times are whole seconds, and a lease taken late
// in a second still lasts its whole length: another claimer cannot take
// the message over while the first may still be sending it.
func TestLeaseLastsItsLength(t *testing.T) {
	t.Parallel()
	c := newClock()
	db := openClocked(t, c)
	page := connectPage(t, db, "890000000000041")
	ann := subscribe(t, db, page, "2890000000000041")
	enqueue(t, db, page, ann, xerochat.Outgoing{Text: "hi"})
	c.Add(999 * time.Millisecond) // late in the second
	if msgs, err := db.ClaimMessages(context.Background(), 2*time.Second, 10); err != nil || len(msgs) != 1 {
		t.Fatalf("claim: %d messages, %v", len(msgs), err)
	}
	c.Add(1900 * time.Millisecond)
	if msgs, err := db.ClaimMessages(context.Background(), 2*time.Second, 10); err != nil || len(msgs) != 0 {
		t.Fatalf("1.9 s into a 2 s lease: claimed %d messages again (%v)", len(msgs), err)
	}
	c.Add(1200 * time.Millisecond)
	if msgs, err := db.ClaimMessages(context.Background(), 2*time.Second, 10); err != nil || len(msgs) != 1 {
		t.Fatalf("after the lease: claimed %d messages, want the message again (%v)", len(msgs), err)
	}
}
