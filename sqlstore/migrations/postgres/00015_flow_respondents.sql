-- +goose Up
-- Each subscriber who answered a campaign, with the id of their first
-- answer still stored: get_all_subscriber_flow_info lists subscribers in
-- that order, and with it in an index the database reads them in order
-- instead of sorting every answer of the campaign. The PSID, which never
-- changes, is kept here too, sparing the listing a lookup per subscriber.
-- Triggers on flow_answers keep first_answer_id equal to MIN(id) per
-- (campaign, subscriber), so no code path has to remember it.
CREATE TABLE flow_respondents (
    campaign_id      BIGINT NOT NULL REFERENCES flow_campaigns (id),
    subscriber_id    BIGINT NOT NULL REFERENCES subscribers (id),
    first_answer_id  BIGINT NOT NULL,
    psid             TEXT   NOT NULL,
    PRIMARY KEY (campaign_id, subscriber_id)
);
CREATE INDEX flow_respondents_order ON flow_respondents (campaign_id, first_answer_id, psid);

INSERT INTO flow_respondents (campaign_id, subscriber_id, first_answer_id, psid)
    SELECT a.campaign_id, a.subscriber_id, MIN(a.id), s.psid FROM flow_answers a JOIN subscribers s ON s.id = a.subscriber_id
    GROUP BY a.campaign_id, a.subscriber_id, s.psid;

-- LEAST: two transactions may store a subscriber's first answers at once,
-- and the one with the higher id may commit first.
-- +goose StatementBegin
CREATE FUNCTION flow_respondent_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO flow_respondents (campaign_id, subscriber_id, first_answer_id, psid)
        VALUES (NEW.campaign_id, NEW.subscriber_id, NEW.id, (SELECT psid FROM subscribers WHERE id = NEW.subscriber_id))
        ON CONFLICT (campaign_id, subscriber_id) DO UPDATE
        SET first_answer_id = LEAST(flow_respondents.first_answer_id, excluded.first_answer_id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A dropped question takes its answers along; the subscriber then moves
-- to their next answer's place, or leaves the list with their last one.
-- +goose StatementBegin
CREATE FUNCTION flow_respondent_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM flow_respondents WHERE campaign_id = OLD.campaign_id AND subscriber_id = OLD.subscriber_id
        AND NOT EXISTS (SELECT 1 FROM flow_answers WHERE campaign_id = OLD.campaign_id AND subscriber_id = OLD.subscriber_id);
    UPDATE flow_respondents SET first_answer_id = (SELECT MIN(id) FROM flow_answers
            WHERE campaign_id = OLD.campaign_id AND subscriber_id = OLD.subscriber_id)
        WHERE campaign_id = OLD.campaign_id AND subscriber_id = OLD.subscriber_id AND first_answer_id = OLD.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER flow_answers_respondent_insert AFTER INSERT ON flow_answers
    FOR EACH ROW EXECUTE FUNCTION flow_respondent_insert();
CREATE TRIGGER flow_answers_respondent_delete AFTER DELETE ON flow_answers
    FOR EACH ROW EXECUTE FUNCTION flow_respondent_delete();

-- +goose Down
DROP TRIGGER flow_answers_respondent_delete ON flow_answers;
DROP TRIGGER flow_answers_respondent_insert ON flow_answers;
DROP FUNCTION flow_respondent_delete();
DROP FUNCTION flow_respondent_insert();
DROP TABLE flow_respondents;
