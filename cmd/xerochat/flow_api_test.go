package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xerochat/xerochat"
	"github.com/xerochat/xerochat/sqlstore"
)

// flowID is a stored id as the API shows it.
func flowID(id int64) string { return strconv.FormatInt(id, 10) }

// flowSave stores an answer as the Messenger engine would.
func flowSave(t *testing.T, ts *testServer, fc *xerochat.FlowCampaign, q int, s *xerochat.Subscriber, answer string) {
	t.Helper()
	if err := ts.DB.SaveAnswer(context.Background(), fc.ID, fc.Questions[q].ID, s.ID, answer); err != nil {
		t.Fatal(err)
	}
}

// flowJSON quotes s as a JSON string.
func flowJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// flowItems renders answers of fc as JSON items: q is the question index,
// answer the text. With both set, items carry question_id and id as
// get_all_subscriber_flow_info does.
func flowItems(fc *xerochat.FlowCampaign, both bool, qa ...any) string {
	var items []string
	for i := 0; i+1 < len(qa); i += 2 {
		q := fc.Questions[qa[i].(int)]
		id := flowJSON(flowID(q.ID))
		idPart := `"question_id":` + id
		if both {
			idPart += `,"id":` + id
		}
		items = append(items, `{`+idPart+`,"question":`+flowJSON(q.Question)+`,"answer":`+flowJSON(qa[i+1].(string))+`}`)
	}
	return "[" + strings.Join(items, ",") + "]"
}

// flowHead is the start of the bare campaign objects: {"id":..,"flow_name":..
func flowHead(fc *xerochat.FlowCampaign) string {
	return `{"id":` + flowJSON(flowID(fc.ID)) + `,"flow_name":` + flowJSON(fc.Name)
}

// flowBadIDs are flow_campaign_id values that name no campaign of anyone.
var flowBadIDs = []string{"999999", "abc", "0", "-1", "1.5", "1e2", "0x1", "+1",
	"123456789012345678901234567890", "9223372036854775808"}

func TestFlowCampaigns(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("flows-a@example.com", "1500000000000001")
	b := ts.newMember("flows-b@example.com", "2500000000000001")
	c := ts.newMember("flows-c@example.com", "")
	a1 := ts.addFlow(a, "First flow", "Q?")
	b1 := ts.addFlow(b, "Bee flow", "Q?")
	a2 := ts.addFlow(a, "Second \"flow\" <&>", "Q?")

	item := func(fc *xerochat.FlowCampaign) string {
		return `{"id":` + flowJSON(flowID(fc.ID)) + `,"flow_name":` + flowJSON(fc.Name) + `}`
	}
	tests := []struct {
		name   string
		post   bool
		params url.Values
		want   string
		err    string
	}{
		{name: "by id", params: vals("api_key", a.Key), want: "[" + item(a1) + "," + item(a2) + "]"},
		{name: "by POST", post: true, params: vals("api_key", a.Key), want: "[" + item(a1) + "," + item(a2) + "]"},
		{name: "only the caller's", params: vals("api_key", b.Key), want: "[" + item(b1) + "]"},
		{name: "none", params: vals("api_key", c.Key), want: "[]"},
		{name: "no key", err: "API Key is required"},
		{name: "bad key", params: vals("api_key", "nope"), err: "Either API Key Invalid or Member Validity Expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.post {
				r = ts.post("get_flow_campaigns", tc.params)
			} else {
				r = ts.get("get_flow_campaigns", tc.params)
			}
			if tc.err != "" {
				labelWantError(t, tc.name, r, tc.err)
			} else {
				labelWant(t, tc.name, r, tc.want)
			}
		})
	}
}

func TestFlowCampaignInfo(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("info-a@example.com", "1600000000000001")
	b := ts.newMember("info-b@example.com", "2600000000000001")
	fc := ts.addFlow(a, "Survey", "What do you like to do?", "Café or tea?", "Say \"<hi>\" & go")
	other := ts.addFlow(b, "B's", "Q?")

	want := flowHead(fc) + `,"questions":["What do you like to do?","Café or tea?","Say \"<hi>\" & go"]}`
	labelWant(t, "GET", ts.get("get_flow_campaign_info", vals("api_key", a.Key, "flow_campaign_id", flowID(fc.ID))), want)
	labelWant(t, "POST", ts.post("get_flow_campaign_info", vals("api_key", a.Key, "flow_campaign_id", flowID(fc.ID))), want)

	const (
		required = "The flow_campaign_id field is required"
		missing  = "The flow campaign ID does not exist"
	)
	cases := []struct {
		name   string
		params url.Values
		err    string
	}{
		{"no key", vals("flow_campaign_id", flowID(fc.ID)), "API Key is required"},
		{"bad key before missing id", vals("api_key", "nope"), "Either API Key Invalid or Member Validity Expired"},
		{"no id", vals("api_key", a.Key), required},
		{"blank id", vals("api_key", a.Key, "flow_campaign_id", "  "), required},
		{"another member's campaign", vals("api_key", a.Key, "flow_campaign_id", flowID(other.ID)), missing},
		{"own campaign with another member's key", vals("api_key", b.Key, "flow_campaign_id", flowID(fc.ID)), missing},
	}
	for _, id := range flowBadIDs {
		cases = append(cases, struct {
			name   string
			params url.Values
			err    string
		}{"id " + id, vals("api_key", a.Key, "flow_campaign_id", id), missing})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			labelWantError(t, tc.name, ts.get("get_flow_campaign_info", tc.params), tc.err)
		})
	}
}

func TestFlowSingleSubscriber(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("single-a@example.com", "1700000000000001")
	b := ts.newMember("single-b@example.com", "2700000000000001")
	fc := ts.addFlow(a, "Survey", "Q1?", "Q2?", "Q3?", "Q4?")
	second := ts.addFlow(a, "Second", "Other?")
	other := ts.addFlow(b, "B's", "Q?")
	s := ts.addSubscriber(a, "5700000000000001", "Sam", "S")
	quiet := ts.addSubscriber(a, "5700000000000002", "Quinn", "Q")
	elsewhere := ts.addSubscriber(a, "5700000000000003", "Ella", "E")
	flowSave(t, ts, fc, 2, s, "three")
	flowSave(t, ts, fc, 0, s, "one \"1\" <&> é\n")
	flowSave(t, ts, fc, 2, s, "THREE") // replaces "three"
	flowSave(t, ts, second, 0, elsewhere, "not in Survey")
	flowSave(t, ts, second, 0, s, "not in Survey either")

	id := flowID(fc.ID)
	empty := flowHead(fc) + `,"data":[]}`
	for _, tc := range []struct {
		name, psid, want string
	}{
		{"answered questions in question order", s.PSID, flowHead(fc) + `,"data":` + flowItems(fc, false, 0, "one \"1\" <&> é\n", 2, "THREE") + `}`},
		{"no answers", quiet.PSID, empty},
		{"answers to another campaign only", elsewhere.PSID, empty},
		{"unknown PSID", "5799999999999999", empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labelWant(t, tc.name, ts.get("get_single_subscriber_flow_info",
				vals("api_key", a.Key, "flow_campaign_id", id, "subscriber_id", tc.psid)), tc.want)
		})
	}

	const (
		subRequired = "The subscriber_id field is required"
		idRequired  = "The flow_campaign_id field is required"
		missing     = "The flow campaign ID does not exist"
	)
	cases := []struct {
		name   string
		params url.Values
		err    string
	}{
		{"no key", vals("flow_campaign_id", id, "subscriber_id", s.PSID), "API Key is required"},
		{"bad key before missing fields", vals("api_key", "nope"), "Either API Key Invalid or Member Validity Expired"},
		{"nothing", vals("api_key", a.Key), subRequired},
		{"no subscriber_id", vals("api_key", a.Key, "flow_campaign_id", id), subRequired},
		{"no subscriber_id, bad campaign", vals("api_key", a.Key, "flow_campaign_id", "abc"), subRequired},
		{"no flow_campaign_id", vals("api_key", a.Key, "subscriber_id", s.PSID), idRequired},
		{"another member's campaign", vals("api_key", a.Key, "flow_campaign_id", flowID(other.ID), "subscriber_id", s.PSID), missing},
		{"campaign with another member's key", vals("api_key", b.Key, "flow_campaign_id", id, "subscriber_id", s.PSID), missing},
	}
	for _, bad := range flowBadIDs {
		cases = append(cases, struct {
			name   string
			params url.Values
			err    string
		}{"id " + bad, vals("api_key", a.Key, "flow_campaign_id", bad, "subscriber_id", s.PSID), missing})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			labelWantError(t, tc.name, ts.post("get_single_subscriber_flow_info", tc.params), tc.err)
		})
	}
}

func TestFlowAllSubscribers(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.newMember("all-a@example.com", "1800000000000001")
	b := ts.newMember("all-b@example.com", "2800000000000001")
	fc := ts.addFlow(a, "Survey", "Q1?", "Q2?", "Q3?")
	second := ts.addFlow(a, "Second", "Other?")
	unanswered := ts.addFlow(a, "Nobody answered", "Q?")
	other := ts.addFlow(b, "B's", "Q?")
	// Ids go s1 < s2 < s3, PSIDs s2 < s3 < s1, first answers s3, s1, s2:
	// three different orders, and only the last is right.
	s1 := ts.addSubscriber(a, "5800000000000300", "One", "S")
	s2 := ts.addSubscriber(a, "5800000000000100", "Two", "S")
	s3 := ts.addSubscriber(a, "5800000000000200", "Three", "S")
	s4 := ts.addSubscriber(a, "5800000000000050", "Four", "S")
	flowSave(t, ts, second, 0, s4, "in Second only")
	flowSave(t, ts, fc, 1, s3, "s3 q2")
	flowSave(t, ts, fc, 0, s1, "s1 q1")
	flowSave(t, ts, fc, 2, s2, "s2 q3")
	flowSave(t, ts, fc, 0, s3, "s3 q1")
	flowSave(t, ts, fc, 2, s1, "s1 q3 \"quoted\" <&> é\n")
	flowSave(t, ts, fc, 1, s2, "s2 q2")
	// Answering again replaces the answer; s3 keeps its place in front.
	flowSave(t, ts, fc, 1, s3, "s3 q2 again")

	id := flowID(fc.ID)
	want := flowHead(fc) + `,"data":{` +
		flowJSON(s3.PSID) + `:` + flowItems(fc, true, 0, "s3 q1", 1, "s3 q2 again") + `,` +
		flowJSON(s1.PSID) + `:` + flowItems(fc, true, 0, "s1 q1", 2, "s1 q3 \"quoted\" <&> é\n") + `,` +
		flowJSON(s2.PSID) + `:` + flowItems(fc, true, 1, "s2 q2", 2, "s2 q3") + `}}`
	labelWant(t, "GET", ts.get("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id", id)), want)
	labelWant(t, "POST", ts.post("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id", id)), want)
	labelWant(t, "no answers", ts.get("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id",
		flowID(unanswered.ID))), flowHead(unanswered)+`,"data":{}}`)

	const (
		required = "The flow_campaign_id field is required"
		missing  = "The flow campaign ID does not exist"
	)
	cases := []struct {
		name   string
		params url.Values
		err    string
	}{
		{"no key", vals("flow_campaign_id", id), "API Key is required"},
		{"bad key before missing id", vals("api_key", "nope"), "Either API Key Invalid or Member Validity Expired"},
		{"no id", vals("api_key", a.Key), required},
		{"another member's campaign", vals("api_key", a.Key, "flow_campaign_id", flowID(other.ID)), missing},
		{"campaign with another member's key", vals("api_key", b.Key, "flow_campaign_id", id), missing},
	}
	for _, bad := range flowBadIDs {
		cases = append(cases, struct {
			name   string
			params url.Values
			err    string
		}{"id " + bad, vals("api_key", a.Key, "flow_campaign_id", bad), missing})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			labelWantError(t, tc.name, ts.get("get_all_subscriber_flow_info", tc.params), tc.err)
		})
	}
}

// flowInsert inserts rows into table in multi-row INSERTs inside tx, with
// the placeholders of the database at hand.
func flowInsert(t *testing.T, tx *sql.Tx, pg bool, table string, cols []string, rows [][]any) {
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
	ts := startServer(t)
	a := ts.newMember("stream-a@example.com", "1900000000000001")
	fc := ts.addFlow(a, "Big", "Q1?", "Q2?", "Q3?", "Q4?", "Q5?")
	const n, nq = 20000, 5

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
	flowInsert(t, tx, pg, "subscribers", []string{"id", "user_id", "page_ref", "psid", "first_name", "full_name"}, subs)
	flowInsert(t, tx, pg, "flow_answers", []string{"id", "campaign_id", "question_id", "subscriber_id", "answer", "answered_at"}, answers)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	res, err := http.Get(ts.URL() + "/api/get_all_subscriber_flow_info?" + vals("api_key", a.Key, "flow_campaign_id", flowID(fc.ID)).Encode())
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
	for _, want := range []any{json.Delim('{'), "id", flowID(fc.ID), "flow_name", "Big", "data", json.Delim('{')} {
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
			qid := flowID(fc.Questions[q].ID)
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
	ts := startServer(t)
	a := ts.newMember("flowten-a@example.com", "1950000000000001")
	b := ts.newMember("flowten-b@example.com", "2950000000000001")
	aFlow := ts.addFlow(a, "A's", "Secret?")
	bFlow := ts.addFlow(b, "B's", "Open?")
	aSub := ts.addSubscriber(a, "5950000000000001", "Ann", "A")
	flowSave(t, ts, aFlow, 0, aSub, "a's secret")
	before := ts.snapshot()

	aID, nowhere := flowID(aFlow.ID), "999999"
	const missing = "The flow campaign ID does not exist"
	labelWant(t, "get_flow_campaigns", ts.get("get_flow_campaigns", vals("api_key", b.Key)),
		`[{"id":`+flowJSON(flowID(bFlow.ID))+`,"flow_name":"B's"}]`)
	for _, id := range []string{aID, nowhere} {
		labelWantError(t, "get_flow_campaign_info "+id, ts.get("get_flow_campaign_info",
			vals("api_key", b.Key, "flow_campaign_id", id)), missing)
		labelWantError(t, "get_single_subscriber_flow_info "+id, ts.get("get_single_subscriber_flow_info",
			vals("api_key", b.Key, "flow_campaign_id", id, "subscriber_id", aSub.PSID)), missing)
		labelWantError(t, "get_all_subscriber_flow_info "+id, ts.get("get_all_subscriber_flow_info",
			vals("api_key", b.Key, "flow_campaign_id", id)), missing)
	}
	// a's PSID on b's own campaign is like any PSID without answers.
	for _, psid := range []string{aSub.PSID, "5959999999999999"} {
		labelWant(t, "b's campaign, PSID "+psid, ts.get("get_single_subscriber_flow_info",
			vals("api_key", b.Key, "flow_campaign_id", flowID(bFlow.ID), "subscriber_id", psid)), flowHead(bFlow)+`,"data":[]}`)
	}
	if after := ts.snapshot(); after != before {
		t.Errorf("another member's calls changed the database:\nbefore %s\nafter  %s", before, after)
	}
	labelWant(t, "a's own answers", ts.get("get_all_subscriber_flow_info", vals("api_key", a.Key, "flow_campaign_id", aID)),
		flowHead(aFlow)+`,"data":{`+flowJSON(aSub.PSID)+`:`+flowItems(aFlow, true, 0, "a's secret")+`}}`)
}
