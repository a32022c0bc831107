package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const insertOutbox = `INSERT INTO outbox (channel, topic_id, post_id, thread, payload, created_at, status, kind)
	VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)`

// Enqueue stores items as pending rows and sets the cursor in one transaction. An empty cursor
// name sets no cursor. An item's zero CreatedAt means now.
func (s *sqlStore) Enqueue(ctx context.Context, items []OutboxItem, cursor string, value int64) error {
	now := s.now()
	return s.inTx(ctx, "enqueue notifications", func(tx *sql.Tx) error {
		if err := s.fence(ctx, tx); err != nil {
			return err
		}
		for _, it := range items {
			if _, err := s.insertItem(ctx, tx, it, now); err != nil {
				return err
			}
		}
		if cursor == "" {
			return nil
		}
		if _, err := s.txExec(ctx, tx, upsertCursor, cursor, value); err != nil {
			return fmt.Errorf("set cursor %q: %w", cursor, err)
		}
		return nil
	})
}

// insertItem stores it as a pending row in tx and returns it as stored: a zero CreatedAt is now,
// an empty Kind Notify.
func (s *sqlStore) insertItem(ctx context.Context, tx *sql.Tx, it OutboxItem, now time.Time) (OutboxItem, error) {
	if it.CreatedAt.IsZero() {
		it.CreatedAt = now
	}
	if it.Kind == "" {
		it.Kind = Notify
	}
	payload := it.Payload
	if payload == nil {
		payload = []byte{}
	}
	if _, err := s.txExec(ctx, tx, insertOutbox, it.Channel, it.TopicID, it.PostID, it.Thread,
		payload, it.CreatedAt.UnixMicro(), string(it.Kind)); err != nil {
		return it, fmt.Errorf("insert row for %q: %w", it.Channel, err)
	}
	return it, nil
}

// PendingChannels returns the channels with pending rows, by ref.
func (s *sqlStore) PendingChannels(ctx context.Context) ([]string, error) {
	return queryRows(ctx, s.r, "list pending channels", scanColumn[string],
		`SELECT DISTINCT channel FROM outbox WHERE status = 'pending' ORDER BY channel`)
}

// Pending returns up to limit pending rows of a channel, oldest first; limit <= 0 means all.
func (s *sqlStore) Pending(ctx context.Context, channel string, limit int) ([]OutboxItem, error) {
	return queryRows(ctx, s.r, fmt.Sprintf("pending rows of %q", channel), func(rows *sql.Rows) (OutboxItem, error) {
		var it OutboxItem
		var created sql.NullInt64
		err := rows.Scan(&it.ID, &it.Channel, &it.TopicID, &it.PostID, &it.Thread, &it.Payload,
			&created, &it.Attempts, &it.LastError, &it.Status, &it.MessageRef, &it.Kind)
		it.CreatedAt = goTime(created)
		return it, err
	}, `SELECT id, channel, topic_id, post_id, thread, payload, created_at, attempts, last_error,
		        status, message_ref, kind
		 FROM outbox WHERE status = 'pending' AND channel = $1 ORDER BY id LIMIT $2`,
		channel, sqlLimit(limit))
}

// MarkSent records a delivery (which counts as an attempt) and the chat message it became. It is
// fenced by the row's claim rather than the lease: the send happened, so it is recorded even when
// the lead was lost meanwhile, unless another lead took the row over (its claim expired).
func (s *sqlStore) MarkSent(ctx context.Context, id int64, messageRef string, at time.Time) error {
	e := s.epoch.Load()
	err := mustAffect(s.w.ExecContext(ctx,
		`UPDATE outbox SET status = 'sent', message_ref = $2, sent_at = $3, last_attempt_at = $3,
		        attempts = attempts + 1
		 WHERE id = $1 AND claim_epoch IN (0, $4)`, id, messageRef, dbTime(at), e))
	if errors.Is(err, ErrNotFound) {
		var claim int64
		switch qerr := s.w.QueryRowContext(ctx, `SELECT claim_epoch FROM outbox WHERE id = $1`, id).Scan(&claim); {
		case qerr == nil:
			err = ErrLeaseLost // claimed by another lead
		case !errors.Is(qerr, sql.ErrNoRows):
			err = qerr
		}
	}
	if err != nil {
		return fmt.Errorf("mark outbox row %d sent: %w", id, err)
	}
	return nil
}

// MarkFailed counts a failed attempt and keeps its error; the row stays pending, and this lead's
// claim on it ends, so that a new leader need not wait it out.
func (s *sqlStore) MarkFailed(ctx context.Context, id int64, msg string, at time.Time) error {
	err := mustAffect(s.w.ExecContext(ctx,
		`UPDATE outbox SET attempts = attempts + 1, last_error = $2, last_attempt_at = $3,
		        claim_epoch = CASE WHEN claim_epoch = $4 THEN 0 ELSE claim_epoch END
		 WHERE id = $1 AND status = 'pending'`, id, msg, dbTime(at), s.epoch.Load()))
	if err != nil {
		return fmt.Errorf("mark outbox row %d failed: %w", id, err)
	}
	return nil
}

// Park gives up on a row, keeping the reason as its last error.
func (s *sqlStore) Park(ctx context.Context, id int64, reason string, at time.Time) error {
	err := mustAffect(s.w.ExecContext(ctx,
		`UPDATE outbox SET status = 'parked', last_error = $2, last_attempt_at = $3 WHERE id = $1`,
		id, reason, dbTime(at)))
	if err != nil {
		return fmt.Errorf("park outbox row %d: %w", id, err)
	}
	return nil
}

// withheld is what Withhold and WithholdTopic set: $1 the reason, $2 the time.
const withheld = `UPDATE outbox SET status = 'sent', message_ref = '', last_error = $1, last_attempt_at = $2
	 WHERE status = 'pending' AND kind <> 'delete' AND `

// Withhold marks a pending row sent without a chat message, keeping the reason.
func (s *sqlStore) Withhold(ctx context.Context, id int64, reason string, at time.Time) error {
	err := mustAffect(s.w.ExecContext(ctx, withheld+`id = $3`, reason, dbTime(at), id))
	if err != nil {
		return fmt.Errorf("withhold outbox row %d: %w", id, err)
	}
	return nil
}

// WithholdTopic withholds a topic's pending rows in channels, in one transaction.
func (s *sqlStore) WithholdTopic(ctx context.Context, topicID int64, channels []string, reason string, at time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, fmt.Sprintf("withhold the pending rows of topic %d", topicID), func(tx *sql.Tx) error {
		n = 0
		for _, ch := range channels {
			res, err := tx.ExecContext(ctx, withheld+`topic_id = $3 AND channel = $4`, reason, dbTime(at), topicID, ch)
			if err != nil {
				return fmt.Errorf("in %q: %w", ch, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("in %q: %w", ch, err)
			}
			n += k
		}
		return nil
	})
	return n, err
}

// OutboxStats counts rows by status.
func (s *sqlStore) OutboxStats(ctx context.Context) (OutboxStats, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT status, COUNT(*), MIN(created_at) FROM outbox GROUP BY status`)
	if err != nil {
		return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	defer rows.Close()
	var st OutboxStats
	for rows.Next() {
		var status OutboxStatus
		var n int
		var oldest sql.NullInt64
		if err := rows.Scan(&status, &n, &oldest); err != nil {
			return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
		}
		switch status {
		case Pending:
			st.Pending, st.OldestPending = n, goTime(oldest)
		case Sent:
			st.Sent = n
		case Parked:
			st.Parked = n
		}
	}
	if err := rows.Err(); err != nil {
		return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	return st, nil
}

// sqlLimit maps "no limit" (<= 0) to a LIMIT both dialects accept.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return 1<<63 - 1
	}
	return int64(limit)
}

// PruneOutbox deletes the sent and parked rows created before `before`. The predicate is the
// partial index's (00002), word for word, so SQLite's planner uses it too.
func (s *sqlStore) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx,
		`DELETE FROM outbox WHERE status <> 'pending' AND created_at < $1`, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	return n, nil
}

// NotifiedChannels returns the channels with a pending or sent notification of the post.
func (s *sqlStore) NotifiedChannels(ctx context.Context, postID int64) ([]string, error) {
	return queryRows(ctx, s.r, fmt.Sprintf("channels notified of post %d", postID), scanColumn[string],
		`SELECT DISTINCT channel FROM outbox
		 WHERE post_id = $1 AND kind = 'notify' AND status <> 'parked' ORDER BY channel`, postID)
}

// SentRef returns the message ref of the post's newest sent notification or recovery in channel.
func (s *sqlStore) SentRef(ctx context.Context, channel string, postID int64) (string, bool, error) {
	return queryValue[string](ctx, s.r, fmt.Sprintf("chat message of post %d in %q", postID, channel),
		`SELECT message_ref FROM outbox
		 WHERE post_id = $1 AND channel = $2 AND kind IN ('notify', 'recover') AND status = 'sent'
		   AND message_ref <> ''
		 ORDER BY id DESC LIMIT 1`, postID, channel)
}

// RecentTopics returns the topics notified since `since`, most recently notified first.
func (s *sqlStore) RecentTopics(ctx context.Context, since time.Time, limit int) ([]int64, error) {
	return queryRows(ctx, s.r, "recently notified topics", scanColumn[int64],
		`SELECT topic_id FROM outbox WHERE kind = 'notify' AND created_at >= $1
		 GROUP BY topic_id ORDER BY MAX(id) DESC LIMIT $2`, since.UnixMicro(), sqlLimit(limit))
}
