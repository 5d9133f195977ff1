-- +goose Up
-- A worker claims the oldest batch that heads its lane. It finds the
-- heads by stepping from lane to lane in this index, which holds only
-- pending batches: one probe per lane with work waiting. Before, it read
-- the pending batches in id order and checked each for an earlier one of
-- its lane; while the heads were leased that walked the whole backlog,
-- 3.5–17 ms a claim with 800 batches waiting on one page.
CREATE INDEX webhook_batches_heads ON webhook_batches (lane, id) WHERE done_at = 0;
DROP INDEX webhook_batches_lane;
DROP INDEX webhook_batches_pending;

-- +goose Down
CREATE INDEX webhook_batches_pending ON webhook_batches (done_at, id);
CREATE INDEX webhook_batches_lane ON webhook_batches (lane, done_at, id);
DROP INDEX webhook_batches_heads;
