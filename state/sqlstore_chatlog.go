package state

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// LogMessage records a message and prunes the channel's log by count and age, in one
// transaction. A zero m.Time means now.
func (s *sqlStore) LogMessage(ctx context.Context, m LoggedMessage, maxMessages int, maxAge time.Duration) error {
	now := s.now()
	if m.Time.IsZero() {
		m.Time = now
	}
	return s.inTx(ctx, fmt.Sprintf("log message in %q", m.Channel), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO chat_log (channel, message_id, thread_id, reply_to, user_id, username, name,
			                       avatar_url, text, is_bot, time)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			m.Channel, m.MessageID, m.ThreadID, m.ReplyTo, m.UserID, m.Username, m.Name,
			m.AvatarURL, m.Text, m.IsBot, m.Time.UnixMicro()); err != nil {
			return err
		}
		if maxMessages > 0 {
			// Everything at or below the id of the (maxMessages+1)-th newest row goes; the
			// (channel, id) index makes that a walk of maxMessages index entries.
			if _, err := tx.ExecContext(ctx,
				`DELETE FROM chat_log WHERE channel = $1 AND id <= (
				   SELECT id FROM chat_log WHERE channel = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
				m.Channel, int64(maxMessages)); err != nil {
				return fmt.Errorf("prune by count: %w", err)
			}
		}
		if maxAge > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM chat_log WHERE channel = $1 AND time < $2`,
				m.Channel, now.Add(-maxAge).UnixMicro()); err != nil {
				return fmt.Errorf("prune by age: %w", err)
			}
		}
		return nil
	})
}

// ChatLog returns a channel's newest `limit` messages (all when limit <= 0), oldest first.
func (s *sqlStore) ChatLog(ctx context.Context, channel string, limit int) ([]LoggedMessage, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT channel, message_id, thread_id, reply_to, user_id, username, name, avatar_url, text,
		        is_bot, time
		 FROM chat_log WHERE channel = $1 ORDER BY id DESC LIMIT $2`, channel, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("chat log of %q: %w", channel, err)
	}
	defer rows.Close()
	var out []LoggedMessage
	for rows.Next() {
		var m LoggedMessage
		var t sql.NullInt64
		if err := rows.Scan(&m.Channel, &m.MessageID, &m.ThreadID, &m.ReplyTo, &m.UserID,
			&m.Username, &m.Name, &m.AvatarURL, &m.Text, &m.IsBot, &t); err != nil {
			return nil, fmt.Errorf("chat log of %q: %w", channel, err)
		}
		m.Time = goTime(t)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat log of %q: %w", channel, err)
	}
	slices.Reverse(out)
	return out, nil
}

// ChatLogCount counts a channel's logged messages.
func (s *sqlStore) ChatLogCount(ctx context.Context, channel string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM chat_log WHERE channel = $1`, channel).Scan(&n); err != nil {
		return 0, fmt.Errorf("count chat log of %q: %w", channel, err)
	}
	return n, nil
}
