-- +goose Up
-- Retention: processed batches, processed-event keys and finished outbox
-- rows are pruned by age, oldest first; these indexes find them without a
-- scan as the tables grow.
CREATE INDEX webhook_batches_done ON webhook_batches (done_at) WHERE done_at > 0;
CREATE INDEX processed_events_age ON processed_events (processed_at);
CREATE INDEX outbox_finished ON outbox (created_at) WHERE state <> 'pending';

-- +goose Down
DROP INDEX outbox_finished;
DROP INDEX processed_events_age;
DROP INDEX webhook_batches_done;
