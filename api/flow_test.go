package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
	"github.com/xerochat/xerochat/xerochattest"
)

// saveAnswer stores an answer through the store's own write path, as the
// Messenger engine does when a subscriber answers.
func saveAnswer(t testing.TB, ts *xerochattest.Server, fc *xerochat.FlowCampaign, q int, s *xerochat.Subscriber, answer string) {
	t.Helper()
	if err := ts.DB.SaveAnswer(context.Background(), fc.ID, fc.Questions[q].ID, s.ID, answer); err != nil {
		t.Fatal(err)
	}
}

// answerItems renders answers of fc as JSON items: q is the question index,
// answer the text. With both set, items carry question_id and id as
// get_all_subscriber_flow_info does.
func answerItems(fc *xerochat.FlowCampaign, both bool, qa ...any) string {
	var items []string
	for i := 0; i+1 < len(qa); i += 2 {
		q := fc.Questions[qa[i].(int)]
		id := quote(fmt.Sprint(q.ID))
		idPart := `"question_id":` + id
		if both {
			idPart += `,"id":` + id
		}
		items = append(items, `{`+idPart+`,"question":`+quote(q.Question)+`,"answer":`+quote(qa[i+1].(string))+`}`)
	}
	return "[" + strings.Join(items, ",") + "]"
}

// campaignHead is the start of the bare campaign objects: {"id":..,"flow_name":..
func campaignHead(fc *xerochat.FlowCampaign) string {
	return `{"id":` + quote(fmt.Sprint(fc.ID)) + `,"flow_name":` + quote(fc.Name)
}

// badCampaignIDs are flow_campaign_id values that name no campaign of
// anyone. (0 counts as missing: see TestZeroIDIsMissing.)
var badCampaignIDs = []string{"999999", "abc", "-1", "1.5", "1e2", "0x1", "+1",
	"123456789012345678901234567890", "9223372036854775808"}

func TestFlowCampaigns(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("flows-a@example.com", "1500000000000001")
	b := ts.NewMember("flows-b@example.com", "2500000000000001")
	c := ts.NewMember("flows-c@example.com", "")
	a1 := ts.AddFlow(a, "First flow", "Q?")
	b1 := ts.AddFlow(b, "Bee flow", "Q?")
	a2 := ts.AddFlow(a, "Second \"flow\" <&>", "Q?")

	item := func(fc *xerochat.FlowCampaign) string {
		return `{"id":` + quote(fmt.Sprint(fc.ID)) + `,"flow_name":` + quote(fc.Name) + `}`
	}
	wantAnswers(t, ts, "get_flow_campaigns", []answerCase{
		{name: "by id", params: vals("api_key", a.Key), want: "[" + item(a1) + "," + item(a2) + "]"},
		{name: "by POST", post: true, params: vals("api_key", a.Key), want: "[" + item(a1) + "," + item(a2) + "]"},
		{name: "only the caller's", params: vals("api_key", b.Key), want: "[" + item(b1) + "]"},
		{name: "none", params: vals("api_key", c.Key), want: "[]"},
		{name: "no key", err: xerochat.MsgKeyRequired},
		{name: "bad key", params: vals("api_key", "nope"), err: xerochat.MsgKeyInvalid},
	})
}

func TestFlowCampaignInfo(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("info-a@example.com", "1600000000000001")
	b := ts.NewMember("info-b@example.com", "2600000000000001")
	fc := ts.AddFlow(a, "Survey", "What do you like to do?", "Café or tea?", "Say \"<hi>\" & go")
	other := ts.AddFlow(b, "B's", "Q?")

	want := campaignHead(fc) + `,"questions":["What do you like to do?","Café or tea?","Say \"<hi>\" & go"]}`
	wantJSON(t, ts.Get("get_flow_campaign_info", vals("api_key", a.Key, "flow_campaign_id", fmt.Sprint(fc.ID))), want)
	wantJSON(t, ts.Post("get_flow_campaign_info", vals("api_key", a.Key, "flow_campaign_id", fmt.Sprint(fc.ID))), want)

	const (
		required = xerochat.MsgFlowIDRequired
		missing  = xerochat.MsgFlowNotFound
	)
	cases := []answerCase{
		{name: "no key", params: vals("flow_campaign_id", fmt.Sprint(fc.ID)), err: xerochat.MsgKeyRequired},
		{name: "bad key before missing id", params: vals("api_key", "nope"), err: xerochat.MsgKeyInvalid},
		{name: "no id", params: vals("api_key", a.Key), err: required},
		{name: "blank id", params: vals("api_key", a.Key, "flow_campaign_id", "  "), err: required},
		{name: "another member's campaign", params: vals("api_key", a.Key, "flow_campaign_id", fmt.Sprint(other.ID)), err: missing},
		{name: "own campaign with another member's key", params: vals("api_key", b.Key, "flow_campaign_id", fmt.Sprint(fc.ID)), err: missing},
	}
	for _, id := range badCampaignIDs {
		cases = append(cases, answerCase{name: "id " + id, params: vals("api_key", a.Key, "flow_campaign_id", id), err: missing})
	}
	wantAnswers(t, ts, "get_flow_campaign_info", cases)
}

func TestFlowSingleSubscriber(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("single-a@example.com", "1700000000000001")
	b := ts.NewMember("single-b@example.com", "2700000000000001")
	fc := ts.AddFlow(a, "Survey", "Q1?", "Q2?", "Q3?", "Q4?")
	second := ts.AddFlow(a, "Second", "Other?")
	other := ts.AddFlow(b, "B's", "Q?")
	s := ts.AddSubscriber(a, "5700000000000001", "Sam", "S")
	quiet := ts.AddSubscriber(a, "5700000000000002", "Quinn", "Q")
	elsewhere := ts.AddSubscriber(a, "5700000000000003", "Ella", "E")
	saveAnswer(t, ts, fc, 2, s, "three")
	saveAnswer(t, ts, fc, 0, s, "one \"1\" <&> é\n")
	saveAnswer(t, ts, fc, 2, s, "THREE") // replaces "three"
	saveAnswer(t, ts, second, 0, elsewhere, "not in Survey")
	saveAnswer(t, ts, second, 0, s, "not in Survey either")

	id := fmt.Sprint(fc.ID)
	empty := campaignHead(fc) + `,"data":[]}`
	for _, tc := range []struct {
		name, psid, want string
	}{
		{"answered questions in question order", s.PSID, campaignHead(fc) + `,"data":` + answerItems(fc, false, 0, "one \"1\" <&> é\n", 2, "THREE") + `}`},
		{"no answers", quiet.PSID, empty},
		{"answers to another campaign only", elsewhere.PSID, empty},
		{"unknown PSID", "5799999999999999", empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.For(t)
			wantJSON(t, ts.Get("get_single_subscriber_flow_info",
				vals("api_key", a.Key, "flow_campaign_id", id, "subscriber_id", tc.psid)), tc.want)
		})
	}

	const (
		subRequired = xerochat.MsgFlowSubscriberIDRequired
		idRequired  = xerochat.MsgFlowIDRequired
		missing     = xerochat.MsgFlowNotFound
	)
	cases := []answerCase{
		{name: "no key", post: true, params: vals("flow_campaign_id", id, "subscriber_id", s.PSID), err: xerochat.MsgKeyRequired},
		{name: "bad key before missing fields", post: true, params: vals("api_key", "nope"), err: xerochat.MsgKeyInvalid},
		{name: "nothing", post: true, params: vals("api_key", a.Key), err: subRequired},
		{name: "no subscriber_id", post: true, params: vals("api_key", a.Key, "flow_campaign_id", id), err: subRequired},
		{name: "no subscriber_id, bad campaign", post: true, params: vals("api_key", a.Key, "flow_campaign_id", "abc"), err: subRequired},
		{name: "no flow_campaign_id", post: true, params: vals("api_key", a.Key, "subscriber_id", s.PSID), err: idRequired},
		{name: "another member's campaign", post: true, params: vals("api_key", a.Key, "flow_campaign_id", fmt.Sprint(other.ID), "subscriber_id", s.PSID), err: missing},
		{name: "campaign with another member's key", post: true, params: vals("api_key", b.Key, "flow_campaign_id", id, "subscriber_id", s.PSID), err: missing},
	}
	for _, bad := range badCampaignIDs {
		cases = append(cases, answerCase{name: "id " + bad, post: true, params: vals("api_key", a.Key, "flow_campaign_id", bad, "subscriber_id", s.PSID), err: missing})
	}
	wantAnswers(t, ts, "get_single_subscriber_flow_info", cases)
}

func TestFlowAllSubscribers(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("all-a@example.com", "1800000000000001")
	b := ts.NewMember("all-b@example.com", "2800000000000001")
	fc := ts.AddFlow(a, "Survey", "Q1?", "Q2?", "Q3?")
	second := ts.AddFlow(a, "Second", "Other?")
	unanswered := ts.AddFlow(a, "Nobody answered", "Q?")
	other := ts.AddFlow(b, "B's", "Q?")
	// Ids go s1 < s2 < s3, PSIDs s2 < s3 < s1, first answers s3, s1, s2:
	// three different orders, and only the last is right.
	s1 := ts.AddSubscriber(a, "5800000000000300", "One", "S")
	s2 := ts.AddSubscriber(a, "5800000000000100", "Two", "S")
	s3 := ts.AddSubscriber(a, "5800000000000200", "Three", "S")
	s4 := ts.AddSubscriber(a, "5800000000000050", "Four", "S")
	saveAnswer(t, ts, second, 0, s4, "in Second only")
	saveAnswer(t, ts, fc, 1, s3, "s3 q2")
	saveAnswer(t, ts, fc, 0, s1, "s1 q1")
	saveAnswer(t, ts, fc, 2, s2, "s2 q3")
	saveAnswer(t, ts, fc, 0, s3, "s3 q1")
	saveAnswer(t, ts, fc, 2, s1, "s1 q3 \"quoted\" <&> é\n")
	saveAnswer(t, ts, fc, 1, s2, "s2 q2")
	// Answering again replaces the answer; s3 keeps its place in front.
	saveAnswer(t, ts, fc, 1, s3, "s3 q2 again")

	id := fmt.Sprint(fc.ID)
	want := campaignHead(fc) + `,"data":{` +
		quote(s3.PSID) + `:` + answerItems(fc, true, 0, "s3 q1", 1, "s3 q2 again") + `,` +
		quote(s1.PSID) + `:` + answerItems(fc, true, 0, "s1 q1", 2, "s1 q3 \"quoted\" <&> é\n") + `,` +
		quote(s2.PSID) + `:` + answerItems(fc, true, 1, "s2 q2", 2, "s2 q3") + `}}`
	wantJSON(t, ts.Get("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id", id)), want)
	wantJSON(t, ts.Post("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id", id)), want)
	wantJSON(t, ts.Get("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id",
		fmt.Sprint(unanswered.ID))), campaignHead(unanswered)+`,"data":{}}`)

	const (
		required = xerochat.MsgFlowIDRequired
		missing  = xerochat.MsgFlowNotFound
	)
	cases := []answerCase{
		{name: "no key", params: vals("flow_campaign_id", id), err: xerochat.MsgKeyRequired},
		{name: "bad key before missing id", params: vals("api_key", "nope"), err: xerochat.MsgKeyInvalid},
		{name: "no id", params: vals("api_key", a.Key), err: required},
		{name: "another member's campaign", params: vals("api_key", a.Key, "flow_campaign_id", fmt.Sprint(other.ID)), err: missing},
		{name: "campaign with another member's key", params: vals("api_key", b.Key, "flow_campaign_id", id), err: missing},
	}
	for _, bad := range badCampaignIDs {
		cases = append(cases, answerCase{name: "id " + bad, params: vals("api_key", a.Key, "flow_campaign_id", bad), err: missing})
	}
	wantAnswers(t, ts, "get_all_subscriber_flow_info", cases)
}

// insertRows inserts rows into table in multi-row INSERTs inside tx, with
// the placeholders of the database at hand.
func insertRows(t *testing.T, tx *sql.Tx, pg bool, table string, cols []string, rows [][]any) {
	t.Helper()
	const batch = 1000
	for start := 0; start < len(rows); start += batch {
		chunk := rows[start:min(start+batch, len(rows))]
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, len(chunk)*len(cols))
		for i, row := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				args = append(args, v)
				if pg {
					fmt.Fprintf(&q, "$%d", len(args))
				} else {
					q.WriteByte('?')
				}
			}
			q.WriteByte(')')
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
	}
}

// TestFlowAllSubscribersStreams reads 20,000 subscribers' answers as a
// stream: the answer must be one valid JSON object with everyone in order
// of their first answer.
func TestFlowAllSubscribersStreams(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("stream-a@example.com", "1900000000000001")
	fc := ts.AddFlow(a, "Big", "Q1?", "Q2?", "Q3?", "Q4?", "Q5?")
	const n, nq = 20000, 5

	// 20,000 people writing through the webhook would take minutes: the
	// subscribers and answers are rows inserted straight into the test's
	// own database, as many as the stream needs.
	db := ts.DB.SQL()
	var subBase, ansBase int64
	if err := db.QueryRow("SELECT COALESCE(MAX(id), 0) FROM subscribers").Scan(&subBase); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COALESCE(MAX(id), 0) FROM flow_answers").Scan(&ansBase); err != nil {
		t.Fatal(err)
	}
	// Subscriber k has id subBase+1+k and a PSID in an order of its own
	// (7877 and 20011 are coprime, k < 20011).
	psid := func(k int) string { return strconv.Itoa(5_900_000_000_000_000 + (k*7877)%20011) }
	subs := make([][]any, n)
	for k := range subs {
		subs[k] = []any{subBase + 1 + int64(k), a.ID, a.Page.ID, psid(k), "Sub", "Sub"}
	}
	// First answers come in the order of perm, each to a different
	// question; the other answers then come in the reverse order, so that
	// the last answer of a subscriber says nothing of its place.
	perm := make([]int, n)
	for p := range perm {
		perm[p] = (p * 7919) % n
	}
	answer := func(k, q int) string { return fmt.Sprintf("s%d q%d", k, q+1) }
	var answers [][]any
	add := func(k, q int) {
		answers = append(answers, []any{ansBase + 1 + int64(len(answers)), fc.ID, fc.Questions[q].ID,
			subBase + 1 + int64(k), answer(k, q), int64(1_700_000_000)})
	}
	for _, k := range perm {
		add(k, k%nq)
	}
	for p := n - 1; p >= 0; p-- {
		k := perm[p]
		for q := range nq {
			if q != k%nq {
				add(k, q)
			}
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	pg := ts.DB.Dialect() == sqlstore.Postgres
	insertRows(t, tx, pg, "subscribers", []string{"id", "user_id", "page_ref", "psid", "first_name", "full_name"}, subs)
	insertRows(t, tx, pg, "flow_answers", []string{"id", "campaign_id", "question_id", "subscriber_id", "answer", "answered_at"}, answers)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// statistics, as autovacuum keeps them on a database in use
	if _, err := db.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}

	res, err := http.Get(ts.URL + "/api/get_all_subscriber_flow_info?" + vals("api_key", a.Key, "flow_campaign_id", fmt.Sprint(fc.ID)).Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("HTTP %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(res.Body)
	next := func() any {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("answer cut short or malformed: %v", err)
		}
		return tok
	}
	for _, want := range []any{json.Delim('{'), "id", fmt.Sprint(fc.ID), "flow_name", "Big", "data", json.Delim('{')} {
		if got := next(); got != want {
			t.Fatalf("got token %v, want %v", got, want)
		}
	}
	seen := 0
	for ; dec.More(); seen++ {
		key := next()
		if seen >= n {
			t.Fatalf("more than %d subscribers; extra %v", n, key)
		}
		k := perm[seen]
		if key != psid(k) {
			t.Fatalf("subscriber %d is %v, want %s (order of first answers)", seen, key, psid(k))
		}
		var items []struct {
			QuestionID string `json:"question_id"`
			ID         string `json:"id"`
			Question   string `json:"question"`
			Answer     string `json:"answer"`
		}
		if err := dec.Decode(&items); err != nil {
			t.Fatalf("subscriber %v: %v", key, err)
		}
		if len(items) != nq {
			t.Fatalf("subscriber %v has %d answers, want %d", key, len(items), nq)
		}
		for q, it := range items {
			qid := fmt.Sprint(fc.Questions[q].ID)
			if it.QuestionID != qid || it.ID != qid || it.Question != fc.Questions[q].Question || it.Answer != answer(k, q) {
				t.Fatalf("subscriber %v item %d = %+v, want question %s %q answer %q", key, q, it, qid,
					fc.Questions[q].Question, answer(k, q))
			}
		}
	}
	if seen != n {
		t.Fatalf("%d subscribers, want %d", seen, n)
	}
	for _, want := range []json.Delim{'}', '}'} {
		if got := next(); got != want {
			t.Fatalf("got token %v, want %v", got, want)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("data after the answer: %v", err)
	}
}

// TestFlowTenancy proves that member b learns nothing of member a's flow
// campaigns and answers, and changes nothing of them.
func TestFlowTenancy(t *testing.T) {
	t.Parallel()
	ts := xerochattest.NewServer(t)
	a := ts.NewMember("flowten-a@example.com", "1950000000000001")
	b := ts.NewMember("flowten-b@example.com", "2950000000000001")
	aFlow := ts.AddFlow(a, "A's", "Secret?")
	bFlow := ts.AddFlow(b, "B's", "Open?")
	aSub := ts.AddSubscriber(a, "5950000000000001", "Ann", "A")
	saveAnswer(t, ts, aFlow, 0, aSub, "a's secret")
	before := ts.Snapshot()

	aID, nowhere := fmt.Sprint(aFlow.ID), "999999"
	const missing = xerochat.MsgFlowNotFound
	wantJSON(t, ts.Get("get_flow_campaigns", vals("api_key", b.Key)),
		`[{"id":`+quote(fmt.Sprint(bFlow.ID))+`,"flow_name":"B's"}]`)
	for _, id := range []string{aID, nowhere} {
		wantError(t, ts.Get("get_flow_campaign_info",
			vals("api_key", b.Key, "flow_campaign_id", id)), missing)
		wantError(t, ts.Get("get_single_subscriber_flow_info",
			vals("api_key", b.Key, "flow_campaign_id", id, "subscriber_id", aSub.PSID)), missing)
		wantError(t, ts.Get("get_all_subscriber_flow_info",
			vals("api_key", b.Key, "flow_campaign_id", id)), missing)
	}
	// a's PSID on b's own campaign is like any PSID without answers.
	for _, psid := range []string{aSub.PSID, "5959999999999999"} {
		wantJSON(t, ts.Get("get_single_subscriber_flow_info",
			vals("api_key", b.Key, "flow_campaign_id", fmt.Sprint(bFlow.ID), "subscriber_id", psid)), campaignHead(bFlow)+`,"data":[]}`)
	}
	if after := ts.Snapshot(); after != before {
		t.Errorf("another member's calls changed the database:\nbefore %s\nafter  %s", before, after)
	}
	wantJSON(t, ts.Get("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id", aID)),
		campaignHead(aFlow)+`,"data":{`+quote(aSub.PSID)+`:`+answerItems(aFlow, true, 0, "a's secret")+`}}`)
}
