package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// TestEachAnswerOrder stores answers in a shuffled order, some of them
// twice (a replaced answer keeps its place), drops a question and swaps the
// others, and checks after each step that EachAnswer lists subscribers in
// order of their first answer still stored, each subscriber's answers in
// question order, and that flow_respondents, which gives that order, is
// what the answers say it is.
func TestEachAnswerOrder(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.Open(t)
	uid := newMember(t, db, "order@example.com")
	page, err := db.ConnectPage(ctx, &xerochat.Page{UserID: uid, PageID: "123456789012345678", Name: "P", AccessToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	fc, err := (&xerochat.FlowFile{FlowName: "F", Questions: []xerochat.FlowFileQuestion{
		{Question: "Q1"}, {Question: "Q2"}, {Question: "Q3"}}}).Campaign(uid, page.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateFlowCampaign(ctx, fc); err != nil {
		t.Fatal(err)
	}
	var subs []*xerochat.Subscriber
	for i := range 40 {
		subs = append(subs, insertSubscriber(t, db, uid, page.ID, fmt.Sprint(7000000000000000+i), "S"))
	}

	// first[subscriber][question] is when an answer was first stored;
	// answer holds its text.
	type key struct{ sub, question int }
	first := map[key]int{}
	answer := map[key]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 150 {
		k := key{rng.IntN(len(subs)), rng.IntN(len(fc.Questions))}
		text := fmt.Sprintf("answer %d", step)
		if err := db.SaveAnswer(ctx, fc.ID, fc.Questions[k.question].ID, subs[k.sub].ID, text); err != nil {
			t.Fatal(err)
		}
		if _, ok := first[k]; !ok {
			first[k] = step
		}
		answer[k] = text
	}

	check := func(stage string, questions []*xerochat.FlowQuestion) {
		t.Helper()
		var order []int // subscribers by their earliest answer still stored
		since := map[int]int{}
		for k, at := range first {
			if !slices.ContainsFunc(questions, func(q *xerochat.FlowQuestion) bool { return q.ID == fc.Questions[k.question].ID }) {
				continue
			}
			if s, ok := since[k.sub]; !ok || at < s {
				since[k.sub] = at
			}
		}
		for sub := range since {
			order = append(order, sub)
		}
		slices.SortFunc(order, func(a, b int) int { return since[a] - since[b] })
		var want []xerochat.FlowAnswer
		for _, sub := range order {
			for _, q := range questions {
				qi := slices.IndexFunc(fc.Questions, func(o *xerochat.FlowQuestion) bool { return o.ID == q.ID })
				if text, ok := answer[key{sub, qi}]; ok {
					want = append(want, xerochat.FlowAnswer{PSID: subs[sub].PSID, QuestionID: q.ID, Question: q.Question, Answer: text})
				}
			}
		}
		var got []xerochat.FlowAnswer
		found, err := db.FindFlowCampaign(ctx, uid, fc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EachAnswer(ctx, found, func(a xerochat.FlowAnswer) error { got = append(got, a); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: EachAnswer gave\n%v\nwant\n%v", stage, got, want)
		}
		var wrong int
		if err := db.SQL().QueryRow(rebind(db, `SELECT COUNT(*) FROM (
			SELECT campaign_id, subscriber_id, first_answer_id FROM flow_respondents
			EXCEPT SELECT campaign_id, subscriber_id, MIN(id) FROM flow_answers GROUP BY campaign_id, subscriber_id) d`)).Scan(&wrong); err != nil {
			t.Fatal(err)
		}
		var respondents int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM flow_respondents`).Scan(&respondents); err != nil {
			t.Fatal(err)
		}
		if wrong != 0 || respondents != len(order) {
			t.Errorf("%s: flow_respondents has %d rows, %d of them wrong; want %d rows", stage, respondents, wrong, len(order))
		}
	}
	check("after answering", fc.Questions)

	// Drop Q1, whose answers were many subscribers' first, and swap the
	// other two.
	edited := *fc
	edited.Questions = []*xerochat.FlowQuestion{fc.Questions[2], fc.Questions[1]}
	if err := db.UpdateFlowCampaign(ctx, &edited); err != nil {
		t.Fatal(err)
	}
	check("after dropping a question", edited.Questions)

	// Dropping every question empties the list.
	edited.Questions = []*xerochat.FlowQuestion{{Question: "new"}}
	if err := db.UpdateFlowCampaign(ctx, &edited); err != nil {
		t.Fatal(err)
	}
	check("after replacing every question", edited.Questions)
}
