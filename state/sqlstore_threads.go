package state

import (
	"context"
	"fmt"
)

// ThreadRef returns the chat message of a topic's first notification in a channel.
func (s *sqlStore) ThreadRef(ctx context.Context, channel string, topicID int64) (string, bool, error) {
	return queryValue[string](ctx, s.r, fmt.Sprintf("thread of topic %d in %q", topicID, channel),
		`SELECT message_ref FROM threads WHERE channel = $1 AND topic_id = $2`, channel, topicID)
}

// SetThreadRef records (or replaces) a topic's thread in a channel.
func (s *sqlStore) SetThreadRef(ctx context.Context, channel string, topicID int64, messageRef string) error {
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO threads (channel, topic_id, message_ref) VALUES ($1, $2, $3)
		 ON CONFLICT (channel, topic_id) DO UPDATE SET message_ref = excluded.message_ref`,
		channel, topicID, messageRef)
	if err != nil {
		return fmt.Errorf("set thread of topic %d in %q: %w", topicID, channel, err)
	}
	return nil
}
