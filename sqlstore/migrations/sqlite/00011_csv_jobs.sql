-- +goose Up
-- CSV imports of contacts run as jobs in the database: the file is kept
-- with the job, so any process can run it and a restart resumes it.
CREATE TABLE csv_jobs (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    group_id      INTEGER NOT NULL,
    file_name     TEXT    NOT NULL DEFAULT '',
    header        TEXT    NOT NULL DEFAULT '',
    content       TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending',
    total         INTEGER NOT NULL DEFAULT 0,
    done          INTEGER NOT NULL DEFAULT 0,
    added         INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    error         TEXT    NOT NULL DEFAULT '',
    locked_until  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX csv_jobs_open ON csv_jobs (state, locked_until, id);
CREATE INDEX csv_jobs_group ON csv_jobs (user_id, group_id, id);

CREATE TABLE csv_job_rejects (
    job_id  INTEGER NOT NULL REFERENCES csv_jobs (id),
    line    INTEGER NOT NULL,
    reason  TEXT    NOT NULL,
    raw     TEXT    NOT NULL,
    PRIMARY KEY (job_id, line)
);

-- The contact screens page through a group by id.
CREATE INDEX contacts_user_group_id ON contacts (user_id, contact_type_id, id);

-- +goose Down
DROP INDEX contacts_user_group_id;
DROP TABLE csv_job_rejects;
DROP TABLE csv_jobs;
