-- When each chat last logged a message, so that the chat log's overall bound (telegram.log
-- max_total) prunes the least recently active chats first. Chats logged before this migration
-- get their newest message's time.

-- +goose Up
ALTER TABLE chat_log_sizes ADD COLUMN last_at BIGINT NOT NULL DEFAULT 0;
UPDATE chat_log_sizes SET last_at = COALESCE(
    (SELECT MAX(c.time) FROM chat_log c WHERE c.channel = chat_log_sizes.channel), 0);
CREATE INDEX chat_log_sizes_last_at ON chat_log_sizes (last_at);

-- +goose Down
DROP INDEX chat_log_sizes_last_at;
ALTER TABLE chat_log_sizes DROP COLUMN last_at;
