package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// outboxColumns are the columns scanOutbox reads, in its order.
const outboxColumns = `id, channel, topic_id, post_id, thread, payload, created_at, attempts, last_error,
	status, message_ref, last_attempt_at, sent_at, kind`

func scanOutbox(rows *sql.Rows) (OutboxItem, error) {
	var it OutboxItem
	var created, attempt, sent sql.NullInt64
	err := rows.Scan(&it.ID, &it.Channel, &it.TopicID, &it.PostID, &it.Thread, &it.Payload,
		&created, &it.Attempts, &it.LastError, &it.Status, &it.MessageRef, &attempt, &sent, &it.Kind)
	it.CreatedAt, it.LastAttemptAt, it.SentAt = goTime(created), goTime(attempt), goTime(sent)
	return it, err
}

// Backlogs counts the pending rows of each channel that has some, and finds the oldest.
func (s *sqlStore) Backlogs(ctx context.Context) ([]Backlog, error) {
	return queryRows(ctx, s.r, "outbox backlogs", func(rows *sql.Rows) (Backlog, error) {
		var b Backlog
		var oldest sql.NullInt64
		err := rows.Scan(&b.Channel, &b.Pending, &oldest)
		b.OldestPending = goTime(oldest)
		return b, err
	}, `SELECT channel, COUNT(*), MIN(created_at) FROM outbox WHERE status = 'pending'
		 GROUP BY channel ORDER BY channel`)
}

// RecentOutbox returns the newest rows of any status, newest first.
func (s *sqlStore) RecentOutbox(ctx context.Context, limit int) ([]OutboxItem, error) {
	return queryRows(ctx, s.r, "recent outbox rows", scanOutbox, `SELECT `+outboxColumns+` FROM outbox ORDER BY id DESC LIMIT $1`, sqlLimit(limit))
}

// ParkedOutbox returns parked rows, newest first.
func (s *sqlStore) ParkedOutbox(ctx context.Context, limit int) ([]OutboxItem, error) {
	return queryRows(ctx, s.r, "parked outbox rows", scanOutbox, `SELECT `+outboxColumns+` FROM outbox WHERE status = 'parked' ORDER BY id DESC LIMIT $1`, sqlLimit(limit))
}

// Unpark queues a parked row again as if it had been queued at `at`, so that delivery.max_age
// counts from the retry and not from the first try. Its old claim goes: no sender holds a
// parked row, so whichever lead sends it next claims it afresh.
func (s *sqlStore) Unpark(ctx context.Context, id int64, at time.Time) error {
	err := mustAffect(s.w.ExecContext(ctx,
		`UPDATE outbox SET status = 'pending', attempts = 0, last_error = '', created_at = $2,
		        claim_epoch = 0, claimed_at = NULL
		 WHERE id = $1 AND status = 'parked'`, id, at.UnixMicro()))
	if err != nil {
		return fmt.Errorf("unpark outbox row %d: %w", id, err)
	}
	return nil
}

// DiscardParked deletes a parked row.
func (s *sqlStore) DiscardParked(ctx context.Context, id int64) error {
	err := mustAffect(s.w.ExecContext(ctx,
		`DELETE FROM outbox WHERE id = $1 AND status = 'parked'`, id))
	if err != nil {
		return fmt.Errorf("discard outbox row %d: %w", id, err)
	}
	return nil
}
