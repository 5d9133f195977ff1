-- +goose Up
-- The web app: sessions in the database (shared by every process), failed
-- sign-ins for throttling, when the API key was made, and a credential
-- generation that ends every session of a user at once.
ALTER TABLE users ADD COLUMN api_key_created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN credential_gen INTEGER NOT NULL DEFAULT 0;

CREATE TABLE web_sessions (
    token_hash      TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_gen  INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    ip              TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_seen ON web_sessions (last_seen_at);

CREATE TABLE login_failures (
    id          INTEGER PRIMARY KEY,
    failure_key TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (failure_key, at);

-- The overview's per-day charts read the last 30 days of these.
CREATE INDEX subscribers_user_subscribed ON subscribers (user_id, subscribed_at);
CREATE INDEX flow_answers_campaign_answered ON flow_answers (campaign_id, answered_at);

-- Triggers, so that every door (API, CLI, web) that rotates a key, changes
-- a password or deactivates a user has the effect without knowing of it.
-- +goose StatementBegin
CREATE TRIGGER users_api_key_made AFTER UPDATE OF api_key_hash ON users
WHEN NEW.api_key_hash IS NOT OLD.api_key_hash
BEGIN
    UPDATE users SET api_key_created_at = CAST(strftime('%s', 'now') AS INTEGER) WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_credentials_changed AFTER UPDATE OF password_hash, status, deleted ON users
WHEN NEW.password_hash <> OLD.password_hash OR (NEW.status <> 1 AND OLD.status = 1) OR (NEW.deleted = 1 AND OLD.deleted = 0)
BEGIN
    UPDATE users SET credential_gen = credential_gen + 1 WHERE id = NEW.id;
    DELETE FROM web_sessions WHERE user_id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP INDEX flow_answers_campaign_answered;
DROP INDEX subscribers_user_subscribed;
DROP TABLE login_failures;
DROP TABLE web_sessions;
DROP TRIGGER users_credentials_changed;
DROP TRIGGER users_api_key_made;
ALTER TABLE users DROP COLUMN credential_gen;
ALTER TABLE users DROP COLUMN api_key_created_at;
