package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// execer is what *sql.DB and *sql.Tx share.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func ensureChannel(ctx context.Context, db execer, ref string, now time.Time) error {
	if ref == "" {
		return fmt.Errorf("empty channel ref")
	}
	_, err := db.ExecContext(ctx,
		`INSERT INTO channels (ref, created_at) VALUES ($1, $2) ON CONFLICT (ref) DO NOTHING`,
		ref, now.UnixMicro())
	return err
}

// Channels lists every known channel, by ref.
func (s *sqlStore) Channels(ctx context.Context) ([]Channel, error) {
	return queryRows(ctx, s.r, "list channels", func(rows *sql.Rows) (Channel, error) { return scanChannel(rows) },
		`SELECT ref, created_at, last_error, error_at FROM channels ORDER BY ref`)
}

// Channel returns one channel.
func (s *sqlStore) Channel(ctx context.Context, ref string) (Channel, error) {
	c, err := scanChannel(s.r.QueryRowContext(ctx,
		`SELECT ref, created_at, last_error, error_at FROM channels WHERE ref = $1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Channel{}, fmt.Errorf("channel %q: %w", ref, err)
	}
	return c, nil
}

func scanChannel(row interface{ Scan(...any) error }) (Channel, error) {
	var c Channel
	var created, errAt sql.NullInt64
	if err := row.Scan(&c.Ref, &created, &c.LastError, &errAt); err != nil {
		return Channel{}, err
	}
	c.CreatedAt, c.ErrorAt = goTime(created), goTime(errAt)
	return c, nil
}

// EnsureChannel creates a channel unless it exists.
func (s *sqlStore) EnsureChannel(ctx context.Context, ref string) error {
	if err := ensureChannel(ctx, s.w, ref, s.now()); err != nil {
		return fmt.Errorf("ensure channel %q: %w", ref, err)
	}
	return nil
}

// SetChannelError records or clears a channel's last delivery error, creating the channel if
// needed.
func (s *sqlStore) SetChannelError(ctx context.Context, ref, msg string, at time.Time) error {
	errAt := dbTime(at)
	if msg == "" {
		errAt = nil
	}
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO channels (ref, created_at, last_error, error_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (ref) DO UPDATE SET last_error = excluded.last_error, error_at = excluded.error_at`,
		ref, s.now().UnixMicro(), msg, errAt)
	if err != nil {
		return fmt.Errorf("set error of channel %q: %w", ref, err)
	}
	return nil
}

// MoveChannel renames a channel in one transaction. Rules that `to` already has identically are
// dropped rather than duplicated; only pending outbox rows move (sent and parked rows are
// history); `to`'s own thread refs win over from's for the same topic.
func (s *sqlStore) MoveChannel(ctx context.Context, from, to string) error {
	if from == to {
		return nil
	}
	if to == "" {
		return fmt.Errorf("move channel %q: empty target", from)
	}
	return s.inTx(ctx, fmt.Sprintf("move channel %q to %q", from, to), func(tx *sql.Tx) error {
		steps := []struct {
			query string
			args  []any
		}{
			// The target keeps from's creation time when it is new.
			{`INSERT INTO channels (ref, created_at, last_error, error_at)
			  SELECT CAST($2 AS TEXT), created_at, last_error, error_at FROM channels WHERE ref = $1
			  ON CONFLICT (ref) DO NOTHING`, []any{from, to}},
			{`INSERT INTO channels (ref, created_at) VALUES ($1, $2) ON CONFLICT (ref) DO NOTHING`,
				[]any{to, s.now().UnixMicro()}},
			{`DELETE FROM rules WHERE channel = $1 AND EXISTS (
			    SELECT 1 FROM rules t WHERE t.channel = $2 AND t.type = rules.type
			    AND t.filter = rules.filter AND t.category_id = rules.category_id
			    AND t.tags = rules.tags AND t.group_name = rules.group_name)`, []any{from, to}},
			{`UPDATE rules SET channel = $2 WHERE channel = $1`, []any{from, to}},
			{`UPDATE outbox SET channel = $2 WHERE channel = $1 AND status = 'pending'`, []any{from, to}},
			{`INSERT INTO threads (channel, topic_id, message_ref)
			  SELECT CAST($2 AS TEXT), topic_id, message_ref FROM threads WHERE channel = $1
			  ON CONFLICT (channel, topic_id) DO NOTHING`, []any{from, to}},
			{`DELETE FROM threads WHERE channel = $1`, []any{from}},
			{`INSERT INTO topic_notices (channel, topic_id, kind, value, created_at)
			  SELECT CAST($2 AS TEXT), topic_id, kind, value, created_at FROM topic_notices WHERE channel = $1
			  ON CONFLICT (channel, topic_id, kind, value) DO NOTHING`, []any{from, to}},
			{`DELETE FROM topic_notices WHERE channel = $1`, []any{from}},
			{`UPDATE chat_log SET channel = $2 WHERE channel = $1`, []any{from, to}},
			{`DELETE FROM chat_log_sizes WHERE channel = $1 OR channel = $2`, []any{from, to}},
			{`INSERT INTO chat_log_sizes (channel, n, last_at)
			  SELECT channel, COUNT(*), MAX(time) FROM chat_log WHERE channel = $1 GROUP BY channel`, []any{to}},
			{`DELETE FROM channels WHERE ref = $1`, []any{from}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
				return err
			}
		}
		return nil
	})
}
