-- +goose Up
-- A counter bumped in the same transaction as any change to a user that
-- an API key check reads (all but the last sign-in): processes keep the
-- users of recent keys in memory and read only this row per request, so a
-- rotated or deactivated key is refused by every process at the next
-- request.
CREATE TABLE auth_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   BIGINT  NOT NULL
);
INSERT INTO auth_generation (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION auth_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_generation SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_auth_insert_delete AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER users_auth_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER users_auth_update AFTER UPDATE ON users FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_login_at' - 'last_login_ip') IS DISTINCT FROM (to_jsonb(NEW) - 'last_login_at' - 'last_login_ip'))
    EXECUTE FUNCTION auth_generation_bump();

-- +goose Down
DROP TRIGGER users_auth_update ON users;
DROP TRIGGER users_auth_truncate ON users;
DROP TRIGGER users_auth_insert_delete ON users;
DROP FUNCTION auth_generation_bump();
DROP TABLE auth_generation;
