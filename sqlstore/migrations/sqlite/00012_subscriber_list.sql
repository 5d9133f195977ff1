-- +goose Up
-- The subscriber screens page through one page's subscribers by id, and
-- filter them by label.
CREATE INDEX subscribers_page_id ON subscribers (page_ref, id);
CREATE INDEX subscriber_labels_label ON subscriber_labels (label_ref, subscriber_id);

-- +goose Down
DROP INDEX subscriber_labels_label;
DROP INDEX subscribers_page_id;
