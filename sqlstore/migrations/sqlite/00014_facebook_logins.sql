-- +goose Up
-- Facebook Login in progress: the state of a dialog a member opened, then
-- the pages (with their page tokens) Facebook listed until the member picks
-- which to connect. Bound to the web session that started it (and gone with
-- it), short-lived, and deleted once used, so that page tokens never travel
-- to the browser and never linger here.
CREATE TABLE facebook_logins (
    key_hash     TEXT    PRIMARY KEY,
    session_hash TEXT    NOT NULL REFERENCES web_sessions (token_hash) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage        TEXT    NOT NULL,
    pages        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX facebook_logins_session ON facebook_logins (session_hash);
CREATE INDEX facebook_logins_created ON facebook_logins (created_at);

-- +goose Down
DROP TABLE facebook_logins;
