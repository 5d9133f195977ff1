package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/xerochat/xerochat"
)

var _ xerochat.FlowEditService = (*DB)(nil)

// UpdateFlowCampaign rewrites a campaign in one transaction. Positions are
// first moved out of the way (negative), since (campaign, position) is
// unique and questions may swap places.
func (db *DB) UpdateFlowCampaign(ctx context.Context, fc *xerochat.FlowCampaign) error {
	keywords, _ := json.Marshal(nonNil(fc.Keywords))
	payloads, _ := json.Marshal(nonNil(fc.Payloads))
	return db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE flow_campaigns SET name = ?, keywords = ?, payloads = ?, completion_message = ?
			WHERE id = ? AND user_id = ?`, fc.Name, string(keywords), string(payloads), fc.CompletionMessage, fc.ID, fc.UserID)
		if err := affectedOne(res, err, xerochat.MsgFlowNotFound); err != nil {
			return err
		}
		rows, err := c.query(ctx, `SELECT id FROM flow_questions WHERE campaign_id = ?`, fc.ID)
		if err != nil {
			return err
		}
		existing := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			existing[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `UPDATE flow_questions SET position = -position WHERE campaign_id = ?`, fc.ID); err != nil {
			return err
		}
		kept := map[int64]bool{}
		for i, q := range fc.Questions {
			options, _ := json.Marshal(nonNil(q.Options))
			q.Position = i + 1
			if existing[q.ID] && !kept[q.ID] {
				kept[q.ID] = true
				if _, err := c.exec(ctx, `UPDATE flow_questions SET position = ?, question = ?, type = ?, options = ?, reprompt = ?
					WHERE id = ?`, q.Position, q.Question, q.Type, string(options), q.Reprompt, q.ID); err != nil {
					return err
				}
				continue
			}
			if q.ID, err = c.insert(ctx, `INSERT INTO flow_questions (campaign_id, position, question, type, options, reprompt)
				VALUES (?, ?, ?, ?, ?, ?)`, fc.ID, q.Position, q.Question, q.Type, string(options), q.Reprompt); err != nil {
				return err
			}
		}
		for id := range existing {
			if kept[id] {
				continue
			}
			if _, err := c.exec(ctx, `DELETE FROM flow_answers WHERE question_id = ?`, id); err != nil {
				return err
			}
			if _, err := c.exec(ctx, `DELETE FROM flow_questions WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListAnswerRows pages through a campaign's answering subscribers by id.
func (db *DB) ListAnswerRows(ctx context.Context, userID, campaignID, after int64, limit int) ([]xerochat.AnswerRow, bool, error) {
	c := db.read()
	rows, err := c.query(ctx, `SELECT DISTINCT s.id, s.psid, s.full_name FROM flow_answers a
		JOIN subscribers s ON s.id = a.subscriber_id JOIN flow_campaigns f ON f.id = a.campaign_id
		WHERE a.campaign_id = ? AND f.user_id = ? AND s.id > ? ORDER BY s.id LIMIT ?`, campaignID, userID, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	var out []xerochat.AnswerRow
	for rows.Next() {
		r := xerochat.AnswerRow{Answers: map[int64]string{}}
		if err := rows.Scan(&r.SubscriberID, &r.PSID, &r.Name); err != nil {
			rows.Close()
			return nil, false, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	if len(out) == 0 {
		return out, false, nil
	}
	idx := map[int64]int{}
	for i, r := range out {
		idx[r.SubscriberID] = i
	}
	arows, err := c.query(ctx, `SELECT subscriber_id, question_id, answer FROM flow_answers
		WHERE campaign_id = ? AND subscriber_id >= ? AND subscriber_id <= ?`, campaignID, out[0].SubscriberID, out[len(out)-1].SubscriberID)
	if err != nil {
		return nil, false, err
	}
	defer arows.Close()
	for arows.Next() {
		var sid, qid int64
		var ans string
		if err := arows.Scan(&sid, &qid, &ans); err != nil {
			return nil, false, err
		}
		if i, ok := idx[sid]; ok {
			out[i].Answers[qid] = ans
		}
	}
	return out, more, arows.Err()
}
