-- Outbox rows that follow a forum change of a notified post (DESIGN §13): "edit" updates the
-- post's chat message, "delete" removes it, "recover" brings it back. They go through the same
-- per-channel senders as notifications, in order. Rows older than this migration are "notify".
-- The post index finds a post's notifications when it changes.

-- +goose Up
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'notify'
    CHECK (kind IN ('notify', 'edit', 'delete', 'recover'));
CREATE INDEX outbox_post ON outbox (post_id, channel);

-- +goose Down
DROP INDEX outbox_post;
ALTER TABLE outbox DROP COLUMN kind;
