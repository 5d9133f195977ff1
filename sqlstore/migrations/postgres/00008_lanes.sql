-- +goose Up
-- Webhook batches run in lanes, one per page: each lane strictly in order,
-- the lanes side by side, so that a busy page does not hold up the others
-- and workers of every process share the load.
ALTER TABLE webhook_batches ADD COLUMN lane TEXT NOT NULL DEFAULT '';
CREATE INDEX webhook_batches_lane ON webhook_batches (lane, done_at, id);

-- +goose Down
DROP INDEX webhook_batches_lane;
ALTER TABLE webhook_batches DROP COLUMN lane;
