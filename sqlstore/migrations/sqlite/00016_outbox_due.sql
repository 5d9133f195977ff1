-- +goose Up
-- A worker claims the oldest pending messages, in id order: with only
-- outbox_pending (state, subscriber_id, id) the database read every
-- pending message and sorted them, 35 ms per claim with a few thousand
-- queued (pg_stat_statements, BenchmarkWebhook); in this index it reads
-- them in order and stops at the claim's limit.
CREATE INDEX outbox_due ON outbox (id) WHERE state = 'pending';

-- +goose Down
DROP INDEX outbox_due;
