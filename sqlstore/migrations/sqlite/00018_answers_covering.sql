-- +goose Up
-- get_all_subscriber_flow_info reads every answer of a campaign, subscriber
-- by subscriber. With the question and the answer in the index, each
-- answer is read from the index alone, not looked up again in the table.
DROP INDEX flow_answers_campaign;
CREATE INDEX flow_answers_campaign ON flow_answers (campaign_id, subscriber_id, id, question_id, answer);

-- +goose Down
DROP INDEX flow_answers_campaign;
CREATE INDEX flow_answers_campaign ON flow_answers (campaign_id, subscriber_id, id);
