package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

const (
	insertChatLog = `INSERT INTO chat_log (channel, message_id, thread_id, reply_to, user_id,
		username, name, avatar_url, text, is_bot, time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	// chat_log_sizes counts each channel's log, so the count bound is a key lookup, not a walk
	// of the channel's maxMessages newest index entries.
	growChatLog = `INSERT INTO chat_log_sizes (channel, n, last_at) VALUES ($1, 1, $2)
		ON CONFLICT (channel) DO UPDATE SET n = chat_log_sizes.n + 1,
		  last_at = CASE WHEN chat_log_sizes.last_at > $2 THEN chat_log_sizes.last_at ELSE $2 END
		RETURNING n`
	shrinkChatLog  = `UPDATE chat_log_sizes SET n = n - $2 WHERE channel = $1`
	dropOldestLogs = `DELETE FROM chat_log WHERE id IN (
		SELECT id FROM chat_log WHERE channel = $1 ORDER BY id LIMIT $2)`
	dropLogsBefore = `DELETE FROM chat_log WHERE channel = $1 AND time < $2`
)

// LogMessage records a message and prunes the log by count, age and overall size, in one
// transaction. A zero m.Time means now.
func (s *sqlStore) LogMessage(ctx context.Context, m LoggedMessage, b LogBounds) error {
	maxMessages, maxAge := b.PerChat, b.MaxAge
	now := s.now()
	if m.Time.IsZero() {
		m.Time = now
	}
	return s.inTx(ctx, fmt.Sprintf("log message in %q", m.Channel), func(tx *sql.Tx) error {
		if _, err := s.txExec(ctx, tx, insertChatLog, m.Channel, m.MessageID, m.ThreadID, m.ReplyTo,
			m.UserID, m.Username, m.Name, m.AvatarURL, m.Text, m.IsBot, m.Time.UnixMicro()); err != nil {
			return err
		}
		var n int64
		if err := s.txQueryRow(ctx, tx, growChatLog, m.Channel, m.Time.UnixMicro()).Scan(&n); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		if maxMessages > 0 && n > int64(maxMessages) {
			if err := s.dropLogs(ctx, tx, m.Channel, dropOldestLogs, n-int64(maxMessages)); err != nil {
				return fmt.Errorf("prune by count: %w", err)
			}
		}
		if maxAge > 0 {
			if err := s.dropLogs(ctx, tx, m.Channel, dropLogsBefore, now.Add(-maxAge).UnixMicro()); err != nil {
				return fmt.Errorf("prune by age: %w", err)
			}
		}
		if b.Total > 0 {
			if err := s.boundTotal(ctx, tx, m.Channel, int64(b.Total)); err != nil {
				return fmt.Errorf("prune to the overall bound: %w", err)
			}
		}
		return nil
	})
}

// maxChatsDropped bounds the chats one LogMessage drops whole; a log far over a newly lowered
// bound shrinks over the next messages.
const maxChatsDropped = 100

// boundTotal keeps the whole log within total messages: it drops the least recently active other
// chats whole, then, if that is not enough, the oldest messages of channel.
func (s *sqlStore) boundTotal(ctx context.Context, tx *sql.Tx, channel string, total int64) error {
	for range maxChatsDropped {
		var sum int64
		if err := s.txQueryRow(ctx, tx, `SELECT COALESCE(SUM(n), 0) FROM chat_log_sizes`).Scan(&sum); err != nil {
			return fmt.Errorf("total: %w", err)
		}
		excess := sum - total
		if excess <= 0 {
			return nil
		}
		// The least recently active chat goes whole: a stale chat's remnant serves no
		// transcript, and dropping it whole leaves room for many messages to come.
		var oldest string
		err := s.txQueryRow(ctx, tx, `SELECT channel FROM chat_log_sizes WHERE channel <> $1
			ORDER BY last_at, channel LIMIT 1`, channel).Scan(&oldest)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return s.dropLogs(ctx, tx, channel, dropOldestLogs, excess)
		case err != nil:
			return fmt.Errorf("least active chat: %w", err)
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM chat_log WHERE channel = $1`, oldest); err != nil {
			return fmt.Errorf("drop %q: %w", oldest, err)
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM chat_log_sizes WHERE channel = $1`, oldest); err != nil {
			return fmt.Errorf("drop %q: %w", oldest, err)
		}
	}
	return nil
}

// dropLogs deletes log rows of a channel with query and keeps the channel's size in step.
func (s *sqlStore) dropLogs(ctx context.Context, tx *sql.Tx, channel, query string, arg int64) error {
	_, err := s.dropLogsCount(ctx, tx, channel, query, arg)
	return err
}

// dropLogsCount is dropLogs that also returns how many rows went.
func (s *sqlStore) dropLogsCount(ctx context.Context, tx *sql.Tx, channel, query string, arg int64) (int64, error) {
	res, err := s.txExec(ctx, tx, query, channel, arg)
	if err != nil {
		return 0, err
	}
	k, err := res.RowsAffected()
	if err != nil || k == 0 {
		return 0, err
	}
	if _, err := s.txExec(ctx, tx, shrinkChatLog, channel, k); err != nil {
		return 0, err
	}
	return k, nil
}

// ChatLog returns a channel's newest `limit` messages (all when limit <= 0), oldest first.
func (s *sqlStore) ChatLog(ctx context.Context, channel string, limit int) ([]LoggedMessage, error) {
	out, err := queryRows(ctx, s.r, fmt.Sprintf("chat log of %q", channel), func(rows *sql.Rows) (LoggedMessage, error) {
		var m LoggedMessage
		var t sql.NullInt64
		err := rows.Scan(&m.Channel, &m.MessageID, &m.ThreadID, &m.ReplyTo, &m.UserID,
			&m.Username, &m.Name, &m.AvatarURL, &m.Text, &m.IsBot, &t)
		m.Time = goTime(t)
		return m, err
	}, `SELECT channel, message_id, thread_id, reply_to, user_id, username, name, avatar_url, text,
		        is_bot, time
		 FROM chat_log WHERE channel = $1 ORDER BY id DESC LIMIT $2`, channel, sqlLimit(limit))
	slices.Reverse(out)
	return out, err
}

// ChatLogCount counts a channel's logged messages.
func (s *sqlStore) ChatLogCount(ctx context.Context, channel string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM chat_log WHERE channel = $1`, channel).Scan(&n); err != nil {
		return 0, fmt.Errorf("count chat log of %q: %w", channel, err)
	}
	return n, nil
}

// PruneChatLog deletes every channel's messages older than `before` in one transaction, so a
// channel that has gone quiet (LogMessage prunes only the channel it logs in) is bounded too.
func (s *sqlStore) PruneChatLog(ctx context.Context, before time.Time) (int64, error) {
	cutoff := before.UnixMicro()
	var total int64
	err := s.inTx(ctx, "prune chat log", func(tx *sql.Tx) error {
		// Walking chat_log_sizes (one row per logged channel) probes the (channel, time) index
		// once per channel instead of scanning the whole log.
		rows, err := tx.QueryContext(ctx, `SELECT channel FROM chat_log_sizes s WHERE EXISTS (
			SELECT 1 FROM chat_log c WHERE c.channel = s.channel AND c.time < $1) ORDER BY channel`, cutoff)
		if err != nil {
			return fmt.Errorf("find channels: %w", err)
		}
		var channels []string
		for rows.Next() {
			var ch string
			if err := rows.Scan(&ch); err != nil {
				rows.Close()
				return fmt.Errorf("find channels: %w", err)
			}
			channels = append(channels, ch)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("find channels: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find channels: %w", err)
		}
		for _, ch := range channels {
			// Lock the channel's size row before deleting its messages, the order LogMessage takes
			// them in, so that on PostgreSQL a concurrent LogMessage waits instead of deadlocking.
			if _, err := tx.ExecContext(ctx, `UPDATE chat_log_sizes SET n = n WHERE channel = $1`, ch); err != nil {
				return fmt.Errorf("lock size of %q: %w", ch, err)
			}
			k, err := s.dropLogsCount(ctx, tx, ch, dropLogsBefore, cutoff)
			if err != nil {
				return fmt.Errorf("prune %q: %w", ch, err)
			}
			total += k
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
