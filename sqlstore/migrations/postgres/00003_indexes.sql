-- +goose Up
-- The Messenger worker reads a page's campaigns for every event; without
-- this index each read went through the whole campaigns table.
CREATE INDEX flow_campaigns_page ON flow_campaigns (page_ref, id);

-- +goose Down
DROP INDEX flow_campaigns_page;
