-- +goose Up
-- Indexes the web app's queries need as tables grow (each found by the
-- plan test, sqlstore/plan_test.go):
-- the overview counts a user's labels;
CREATE INDEX labels_user ON labels (user_id);
-- a flow edit deletes a dropped question's answers (and deleting the
-- question checks flow_answers' foreign key to it);
CREATE INDEX flow_answers_question ON flow_answers (question_id);
-- the sign-in sweep deletes sessions past their absolute limit (the idle
-- limit has web_sessions_seen);
CREATE INDEX web_sessions_created ON web_sessions (created_at);
-- and a good sign-in forgets failures older than the window, of any key.
CREATE INDEX login_failures_at ON login_failures (at);

-- +goose Down
DROP INDEX login_failures_at;
DROP INDEX web_sessions_created;
DROP INDEX flow_answers_question;
DROP INDEX labels_user;
