-- +goose Up
-- A counter bumped in the same transaction as any change to a user that
-- an API key check reads (all but the last sign-in): processes keep the
-- users of recent keys in memory and read only this row per request, so a
-- rotated or deactivated key is refused by every process at the next
-- request. A new column of users that the key check reads must be added
-- to users_auth_update's condition.
CREATE TABLE auth_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO auth_generation (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER users_auth_insert AFTER INSERT ON users BEGIN
    UPDATE auth_generation SET n = n + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_auth_delete AFTER DELETE ON users BEGIN
    UPDATE auth_generation SET n = n + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_auth_update AFTER UPDATE ON users
WHEN OLD.id IS NOT NEW.id OR OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email
    OR OLD.email_key IS NOT NEW.email_key OR OLD.mobile IS NOT NEW.mobile OR OLD.address IS NOT NEW.address
    OR OLD.password_hash IS NOT NEW.password_hash OR OLD.user_type IS NOT NEW.user_type
    OR OLD.status IS NOT NEW.status OR OLD.deleted IS NOT NEW.deleted OR OLD.add_date IS NOT NEW.add_date
    OR OLD.expired_date IS NOT NEW.expired_date OR OLD.package_id IS NOT NEW.package_id
    OR OLD.api_key_hash IS NOT NEW.api_key_hash
BEGIN
    UPDATE auth_generation SET n = n + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_auth_update;
DROP TRIGGER users_auth_delete;
DROP TRIGGER users_auth_insert;
DROP TABLE auth_generation;
