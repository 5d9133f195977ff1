package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/xerochat/xerochat"
)

// CreateFlowCampaign stores a campaign and its questions in one transaction.
func (db *DB) CreateFlowCampaign(ctx context.Context, fc *xerochat.FlowCampaign) (int64, error) {
	keywords, _ := json.Marshal(nonNil(fc.Keywords))
	payloads, _ := json.Marshal(nonNil(fc.Payloads))
	var id int64
	err := db.inTx(ctx, func(c conn) error {
		var err error
		id, err = c.insert(ctx, `INSERT INTO flow_campaigns (user_id, page_ref, name, keywords, payloads, completion_message, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, fc.UserID, fc.PageRef, fc.Name, string(keywords), string(payloads),
			fc.CompletionMessage, db.now())
		if err != nil {
			return err
		}
		for i, q := range fc.Questions {
			options, _ := json.Marshal(nonNil(q.Options))
			qid, err := c.insert(ctx, `INSERT INTO flow_questions (campaign_id, position, question, type, options, reprompt)
				VALUES (?, ?, ?, ?, ?, ?)`, id, i+1, q.Question, q.Type, string(options), q.Reprompt)
			if err != nil {
				return err
			}
			q.ID, q.Position = qid, i+1
		}
		return nil
	})
	if err == nil {
		fc.ID = id
	}
	return id, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ListFlowCampaigns returns the user's campaigns by id, without questions.
func (db *DB) ListFlowCampaigns(ctx context.Context, userID int64) ([]*xerochat.FlowCampaign, error) {
	rows, err := db.read().query(ctx, `SELECT id, name FROM flow_campaigns WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*xerochat.FlowCampaign{}
	for rows.Next() {
		fc := &xerochat.FlowCampaign{UserID: userID}
		if err := rows.Scan(&fc.ID, &fc.Name); err != nil {
			return nil, err
		}
		out = append(out, fc)
	}
	return out, rows.Err()
}

// FindFlowCampaign returns the user's campaign with its questions in order.
func (db *DB) FindFlowCampaign(ctx context.Context, userID, id int64) (*xerochat.FlowCampaign, error) {
	return loadCampaign(ctx, db.read(), `c.id = ? AND c.user_id = ?`, id, userID)
}

// loadCampaign reads the campaign matching where (on flow_campaigns c),
// with its questions.
func loadCampaign(ctx context.Context, c conn, where string, args ...any) (*xerochat.FlowCampaign, error) {
	fcs, err := loadCampaigns(ctx, c, where, args...)
	if err == nil && len(fcs) == 0 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return nil, notFound(err, xerochat.MsgFlowNotFound)
	}
	return fcs[0], nil
}

// loadCampaigns reads the campaigns matching where (on flow_campaigns c)
// in id order, each with its questions in order, in one statement: on the
// lane of a page, the round trips of a campaign and of its questions
// would be paid by every batch.
func loadCampaigns(ctx context.Context, c conn, where string, args ...any) ([]*xerochat.FlowCampaign, error) {
	rows, err := c.query(ctx, `SELECT c.id, c.user_id, c.page_ref, c.name, c.keywords, c.payloads, c.completion_message,
		c.created_at, q.id, q.position, q.question, q.type, q.options, q.reprompt
		FROM flow_campaigns c LEFT JOIN flow_questions q ON q.campaign_id = c.id
		WHERE `+where+` ORDER BY c.id, q.position`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*xerochat.FlowCampaign
	for rows.Next() {
		var fc xerochat.FlowCampaign
		var keywords, payloads string
		var created int64
		var qid, position sql.NullInt64
		var question, typ, options, reprompt sql.NullString
		if err := rows.Scan(&fc.ID, &fc.UserID, &fc.PageRef, &fc.Name, &keywords, &payloads, &fc.CompletionMessage, &created,
			&qid, &position, &question, &typ, &options, &reprompt); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != fc.ID {
			fc.CreatedAt = unix(created)
			if err := errors.Join(unmarshalList(keywords, &fc.Keywords), unmarshalList(payloads, &fc.Payloads)); err != nil {
				return nil, fmt.Errorf("flow campaign %d triggers: %w", fc.ID, err)
			}
			out = append(out, &fc)
		}
		if !qid.Valid { // a campaign without questions
			continue
		}
		q := &xerochat.FlowQuestion{ID: qid.Int64, Position: int(position.Int64), Question: question.String, Type: typ.String,
			Reprompt: reprompt.String}
		if err := unmarshalList(options.String, &q.Options); err != nil {
			return nil, fmt.Errorf("flow question %d options: %w", q.ID, err)
		}
		last := out[len(out)-1]
		last.Questions = append(last.Questions, q)
	}
	return out, rows.Err()
}

// unmarshalList reads a stored JSON list; "" is an empty one.
func unmarshalList(raw string, out *[]string) error {
	if raw == "" {
		return nil
	}
	return json.Unmarshal([]byte(raw), out)
}

// SaveAnswer stores an answer, replacing an earlier one to the same question.
// The row keeps its id, so the subscriber keeps its place in the order of
// first answers.
func (db *DB) SaveAnswer(ctx context.Context, campaignID, questionID, subscriberID int64, answer string) error {
	return saveAnswer(ctx, db.write(), campaignID, questionID, subscriberID, answer)
}

func saveAnswer(ctx context.Context, c conn, campaignID, questionID, subscriberID int64, answer string) error {
	return c.execLater(ctx, `INSERT INTO flow_answers (campaign_id, question_id, subscriber_id, answer, answered_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (subscriber_id, question_id) DO UPDATE SET answer = excluded.answer,
		answered_at = excluded.answered_at`, campaignID, questionID, subscriberID, answer, c.db.now())
}

// SubscriberAnswers returns one subscriber's answers in question order.
func (db *DB) SubscriberAnswers(ctx context.Context, campaignID int64, psid string) ([]xerochat.FlowAnswer, error) {
	out := []xerochat.FlowAnswer{}
	err := db.eachAnswer(ctx, `SELECT s.psid, q.id, q.question, a.answer FROM flow_answers a
		JOIN flow_questions q ON q.id = a.question_id
		JOIN subscribers s ON s.id = a.subscriber_id
		WHERE a.campaign_id = ? AND s.psid = ? ORDER BY q.position`, []any{campaignID, psid},
		func(a xerochat.FlowAnswer) error { out = append(out, a); return nil })
	return out, err
}

// EachAnswer streams every answer of the campaign, subscribers in order of
// their first answer, each subscriber's answers in question order. The
// subscribers come in order from flow_respondents, so the database never
// sorts the answers; each subscriber's few answers are put in the order of
// fc.Questions here. Rows are handed to fn as they arrive, one subscriber
// held at a time.
func (db *DB) EachAnswer(ctx context.Context, fc *xerochat.FlowCampaign, fn func(xerochat.FlowAnswer) error) error {
	position := make(map[int64]int, len(fc.Questions))
	for i, q := range fc.Questions {
		position[q.ID] = i
	}
	rows, err := db.read().query(ctx, db.eachAnswerQuery(), fc.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	// one subscriber's answers, by question position; QuestionID 0 (no
	// question has it) marks an unanswered one
	held := make([]xerochat.FlowAnswer, len(fc.Questions))
	flush := func() error {
		for i := range held {
			if held[i].QuestionID == 0 {
				continue
			}
			a := held[i]
			held[i].QuestionID = 0
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	}
	// The PSID is read as bytes and made a string once per subscriber,
	// not once per answer.
	var psid sql.RawBytes
	current := ""
	for rows.Next() {
		var questionID int64
		var answer string
		if err := rows.Scan(&psid, &questionID, &answer); err != nil {
			return err
		}
		pos, ok := position[questionID]
		if !ok {
			continue
		}
		if string(psid) != current {
			if err := flush(); err != nil {
				return err
			}
			current = string(psid)
		}
		held[pos] = xerochat.FlowAnswer{PSID: current, QuestionID: questionID, Question: fc.Questions[pos].Question, Answer: answer}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// eachAnswerQuery reads a campaign's answers, subscribers in order of their
// first answer. The two databases need different words to take that order
// from flow_respondents' index rather than sort every answer: CROSS JOIN
// is SQLite's way to fix the join order (without statistics it would start
// from the answers); PostgreSQL, which would hash both tables and sort,
// gets a LATERAL subquery that it cannot flatten (OFFSET 0), so it reads
// the respondents in order and starts sending at once.
func (db *DB) eachAnswerQuery() string {
	if db.dialect == Postgres {
		return `SELECT r.psid, a.question_id, a.answer FROM flow_respondents r
		CROSS JOIN LATERAL (SELECT question_id, answer FROM flow_answers
			WHERE campaign_id = r.campaign_id AND subscriber_id = r.subscriber_id OFFSET 0) a
		WHERE r.campaign_id = ? ORDER BY r.first_answer_id`
	}
	return `SELECT r.psid, a.question_id, a.answer FROM flow_respondents r CROSS JOIN flow_answers a
		WHERE r.campaign_id = ? AND a.campaign_id = r.campaign_id AND a.subscriber_id = r.subscriber_id
		ORDER BY r.first_answer_id`
}

func (db *DB) eachAnswer(ctx context.Context, query string, args []any, fn func(xerochat.FlowAnswer) error) error {
	rows, err := db.read().query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a xerochat.FlowAnswer
		if err := rows.Scan(&a.PSID, &a.QuestionID, &a.Question, &a.Answer); err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}
