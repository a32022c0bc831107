-- The whole schema of the first release. Times are Unix microseconds (INTEGER), so the
-- SQLite and PostgreSQL stores share their queries; NULL means "no time".

-- +goose Up
CREATE TABLE channels (
    ref        TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    error_at   INTEGER
) STRICT;

CREATE TABLE rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT NOT NULL REFERENCES channels (ref) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    filter      TEXT NOT NULL,
    category_id INTEGER NOT NULL DEFAULT 0,
    tags        TEXT NOT NULL DEFAULT '', -- NormalizeTags, joined by single spaces
    group_name  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX rules_channel ON rules (channel);

CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT NOT NULL,
    topic_id        INTEGER NOT NULL,
    post_id         INTEGER NOT NULL,
    thread          INTEGER NOT NULL DEFAULT 0 CHECK (thread IN (0, 1)),
    payload         BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_attempt_at INTEGER,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'parked')),
    message_ref     TEXT NOT NULL DEFAULT '',
    sent_at         INTEGER
) STRICT;
CREATE INDEX outbox_status_channel ON outbox (status, channel, id);

CREATE TABLE threads (
    channel     TEXT NOT NULL,
    topic_id    INTEGER NOT NULL,
    message_ref TEXT NOT NULL,
    PRIMARY KEY (channel, topic_id)
) STRICT;

CREATE TABLE chat_log (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    thread_id  TEXT NOT NULL DEFAULT '',
    reply_to   TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL DEFAULT '',
    username   TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL DEFAULT '',
    is_bot     INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1)),
    time       INTEGER NOT NULL
) STRICT;
CREATE INDEX chat_log_channel ON chat_log (channel, id);
-- The age bound deletes by time; without this index it would scan the channel's whole log.
CREATE INDEX chat_log_channel_time ON chat_log (channel, time);
-- How many messages each channel's log holds, so the count bound costs no walk of the log.
CREATE TABLE chat_log_sizes (
    channel TEXT PRIMARY KEY,
    n       INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE chat_log_sizes;
DROP TABLE chat_log;
DROP TABLE threads;
DROP TABLE outbox;
DROP TABLE cursors;
DROP TABLE rules;
DROP TABLE channels;
