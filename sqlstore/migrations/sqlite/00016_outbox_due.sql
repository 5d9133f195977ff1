-- +goose Up
-- A worker claims the oldest pending messages, in id order: with only
-- outbox_pending (state, subscriber_id, id) the database read every
-- pending message and sorted them, 35 ms per claim with a few thousand
-- queued (pg_stat_statements, BenchmarkWebhook); in outbox_due it reads
-- them in order and stops at the claim's limit. Both indexes now hold only
-- pending messages, so that the claim's check for an earlier message to
-- the same person finds it by (subscriber_id, id), never by walking the
-- queue.
CREATE INDEX outbox_due ON outbox (id) WHERE state = 'pending';
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (subscriber_id, id) WHERE state = 'pending';

-- +goose Down
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (state, subscriber_id, id);
DROP INDEX outbox_due;
