-- Following topic moves and new tags (DESIGN §13). topic_states is what the bot last knew of
-- each topic's category and tags, so a change is told from the state before it, also after a
-- restart; seen_at bounds which topics the MessageBus session follows. topic_notices records each
-- announcement a channel was given about a topic (a move into a category, a tag gained), so each
-- is made at most once. The outbox's topic index finds the channels notified of a topic.

-- +goose Up
CREATE TABLE topic_states (
    topic_id    BIGINT PRIMARY KEY,
    category_id BIGINT NOT NULL DEFAULT 0,
    tags        TEXT NOT NULL DEFAULT '', -- NormalizeTags, joined by single spaces
    seen_at     BIGINT NOT NULL
);
CREATE INDEX topic_states_seen ON topic_states (seen_at);

CREATE TABLE topic_notices (
    channel    TEXT NOT NULL,
    topic_id   BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('category', 'tag')),
    value      TEXT NOT NULL, -- the category id, or the tag's name
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel, topic_id, kind, value)
);
CREATE INDEX topic_notices_created ON topic_notices (created_at);

CREATE INDEX outbox_topic ON outbox (topic_id, channel);

-- +goose Down
DROP INDEX outbox_topic;
DROP TABLE topic_notices;
DROP TABLE topic_states;
