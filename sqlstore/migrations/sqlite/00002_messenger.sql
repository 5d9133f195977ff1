-- +goose Up
-- Webhook batches as Facebook posted them, kept until processed. A worker
-- leases one (locked_until) and processes batches strictly in id order.
CREATE TABLE webhook_batches (
    id            INTEGER PRIMARY KEY,
    body          TEXT    NOT NULL,
    received_at   INTEGER NOT NULL,
    locked_until  INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    done_at       INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX webhook_batches_pending ON webhook_batches (done_at, id);

-- One row per event that took effect: its effects commit in the same
-- transaction, so a re-delivered or re-processed event does nothing.
CREATE TABLE processed_events (
    event_key     TEXT    PRIMARY KEY,
    processed_at  INTEGER NOT NULL
);

-- Messages to send through the Send API, in order per subscriber.
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    page_ref       INTEGER NOT NULL REFERENCES pages (id),
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id),
    message        TEXT    NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'pending',
    run_at         INTEGER NOT NULL,
    locked_until   INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    message_id     TEXT    NOT NULL DEFAULT '',
    last_error     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, subscriber_id, id);

-- Where each subscriber is in a running flow campaign.
CREATE TABLE flow_sessions (
    subscriber_id  INTEGER PRIMARY KEY REFERENCES subscribers (id),
    campaign_id    INTEGER NOT NULL REFERENCES flow_campaigns (id),
    position       INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Profiles are fetched from Graph after the subscriber is stored; a failed
-- fetch is retried later.
ALTER TABLE subscribers ADD COLUMN profile_next_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN profile_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX subscribers_profile_pending ON subscribers (profile_fetched, profile_next_at);

-- +goose Down
DROP INDEX subscribers_profile_pending;
ALTER TABLE subscribers DROP COLUMN profile_attempts;
ALTER TABLE subscribers DROP COLUMN profile_next_at;
DROP TABLE flow_sessions;
DROP TABLE outbox;
DROP TABLE processed_events;
DROP TABLE webhook_batches;
