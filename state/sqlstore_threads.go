package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ThreadRef returns the chat message of a topic's first notification in a channel.
func (s *sqlStore) ThreadRef(ctx context.Context, channel string, topicID int64) (string, bool, error) {
	var ref string
	err := s.r.QueryRowContext(ctx,
		`SELECT message_ref FROM threads WHERE channel = $1 AND topic_id = $2`, channel, topicID).Scan(&ref)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("thread of topic %d in %q: %w", topicID, channel, err)
	}
	return ref, true, nil
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
