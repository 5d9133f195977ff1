-- +goose Up
-- Times are Unix seconds (0 = never set); flags are 0/1 integers; texts are
-- never NULL. The same shape as the PostgreSQL schema, so rows copy across.
CREATE TABLE packages (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    module_ids  TEXT    NOT NULL DEFAULT '',
    price       TEXT    NOT NULL DEFAULT '0',
    validity    INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    visible     INTEGER NOT NULL DEFAULT 0,
    highlight   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO packages (id, name, module_ids, price, validity) VALUES (1, 'Trial', '', '0', 0);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    email_key      TEXT    NOT NULL UNIQUE,
    mobile         TEXT    NOT NULL DEFAULT '',
    address        TEXT    NOT NULL DEFAULT '',
    password_hash  TEXT    NOT NULL,
    user_type      TEXT    NOT NULL CHECK (user_type IN ('Admin', 'Member')),
    status         INTEGER NOT NULL DEFAULT 1,
    deleted        INTEGER NOT NULL DEFAULT 0,
    add_date       INTEGER NOT NULL,
    last_login_at  INTEGER NOT NULL DEFAULT 0,
    last_login_ip  TEXT    NOT NULL DEFAULT '',
    expired_date   TEXT    NOT NULL DEFAULT '',
    package_id     INTEGER NOT NULL REFERENCES packages (id),
    api_key_hash   TEXT    UNIQUE
);

CREATE TABLE pages (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    page_id       TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL DEFAULT '',
    access_token  TEXT    NOT NULL DEFAULT '',
    bot_enabled   INTEGER NOT NULL DEFAULT 1,
    error_message TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE INDEX pages_user ON pages (user_id);

CREATE TABLE subscribers (
    id                    INTEGER PRIMARY KEY,
    user_id               INTEGER NOT NULL REFERENCES users (id),
    page_ref              INTEGER NOT NULL REFERENCES pages (id),
    psid                  TEXT    NOT NULL,
    first_name            TEXT    NOT NULL DEFAULT '',
    last_name             TEXT    NOT NULL DEFAULT '',
    full_name             TEXT    NOT NULL DEFAULT '',
    gender                TEXT    NOT NULL DEFAULT '',
    locale                TEXT    NOT NULL DEFAULT '',
    timezone              TEXT    NOT NULL DEFAULT '',
    profile_pic           TEXT    NOT NULL DEFAULT '',
    unavailable           INTEGER NOT NULL DEFAULT 0,
    last_error_message    TEXT    NOT NULL DEFAULT '',
    last_error_broadcast  TEXT    NOT NULL DEFAULT '',
    referer_source        TEXT    NOT NULL DEFAULT '',
    subscribed_at         INTEGER NOT NULL DEFAULT 0,
    email                 TEXT    NOT NULL DEFAULT '',
    phone_number          TEXT    NOT NULL DEFAULT '',
    birthdate             TEXT    NOT NULL DEFAULT '',
    last_interaction_at   INTEGER NOT NULL DEFAULT 0,
    profile_fetched       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (page_ref, psid)
);
CREATE INDEX subscribers_user_psid ON subscribers (user_id, psid);

CREATE TABLE labels (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    page_ref    INTEGER NOT NULL REFERENCES pages (id),
    label_id    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (page_ref, label_id)
);
CREATE INDEX labels_page_name ON labels (page_ref, name);

CREATE TABLE subscriber_labels (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    label_ref     INTEGER NOT NULL REFERENCES labels (id),
    PRIMARY KEY (subscriber_id, label_ref)
);

CREATE TABLE contact_groups (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contact_groups_user ON contact_groups (user_id);

-- contact_type_id is deliberately not a foreign key: deleting a group keeps
-- its contacts and their group id, as the original did.
CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    contact_type_id  INTEGER NOT NULL,
    first_name       TEXT    NOT NULL DEFAULT '',
    last_name        TEXT    NOT NULL DEFAULT '',
    phone_number     TEXT    NOT NULL DEFAULT '',
    email            TEXT    NOT NULL DEFAULT '',
    email_key        TEXT    NOT NULL DEFAULT '',
    notes            TEXT    NOT NULL DEFAULT '',
    unsubscribed     INTEGER NOT NULL DEFAULT 0,
    deleted          INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX contacts_email_key_unique ON contacts (user_id, email_key) WHERE email_key <> '' AND deleted = 0;
CREATE UNIQUE INDEX contacts_phone_number_unique ON contacts (user_id, phone_number) WHERE phone_number <> '' AND deleted = 0;

CREATE TABLE flow_campaigns (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES users (id),
    page_ref            INTEGER NOT NULL REFERENCES pages (id),
    name                TEXT    NOT NULL,
    keywords            TEXT    NOT NULL DEFAULT '[]',
    payloads            TEXT    NOT NULL DEFAULT '[]',
    completion_message  TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL
);
CREATE INDEX flow_campaigns_user ON flow_campaigns (user_id);

CREATE TABLE flow_questions (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES flow_campaigns (id),
    position     INTEGER NOT NULL,
    question     TEXT    NOT NULL,
    type         TEXT    NOT NULL DEFAULT 'text',
    options      TEXT    NOT NULL DEFAULT '[]',
    reprompt     TEXT    NOT NULL DEFAULT '',
    UNIQUE (campaign_id, position)
);

CREATE TABLE flow_answers (
    id             INTEGER PRIMARY KEY,
    campaign_id    INTEGER NOT NULL REFERENCES flow_campaigns (id),
    question_id    INTEGER NOT NULL REFERENCES flow_questions (id),
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id),
    answer         TEXT    NOT NULL,
    answered_at    INTEGER NOT NULL,
    UNIQUE (subscriber_id, question_id)
);
CREATE INDEX flow_answers_campaign ON flow_answers (campaign_id, subscriber_id, id);

-- +goose Down
DROP TABLE flow_answers;
DROP TABLE flow_questions;
DROP TABLE flow_campaigns;
DROP TABLE contacts;
DROP TABLE contact_groups;
DROP TABLE subscriber_labels;
DROP TABLE labels;
DROP TABLE subscribers;
DROP TABLE pages;
DROP TABLE users;
DROP TABLE packages;
