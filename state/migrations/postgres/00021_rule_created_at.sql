-- When a rule was created, so that a stream a rule starts (private messages to a group) begins
-- at that moment: nothing posted after a rule's creation is missed, nothing before it replayed.
-- Rules older than this migration get 0, "long ago".

-- +goose Up
ALTER TABLE rules ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE rules DROP COLUMN created_at;
