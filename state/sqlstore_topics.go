package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

const upsertTopicState = `INSERT INTO topic_states (topic_id, category_id, tags, seen_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (topic_id) DO UPDATE SET category_id = excluded.category_id, tags = excluded.tags,
	seen_at = excluded.seen_at`

// seeTopic records a topic unknown so far; a known one keeps its state (only following its
// changes moves it on) and its seen time advances.
const seeTopic = `INSERT INTO topic_states (topic_id, category_id, tags, seen_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (topic_id) DO UPDATE SET seen_at = CASE WHEN excluded.seen_at > topic_states.seen_at
	THEN excluded.seen_at ELSE topic_states.seen_at END`

const insertTopicNotice = `INSERT INTO topic_notices (channel, topic_id, kind, value, created_at)
	VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, topic_id, kind, value) DO NOTHING`

// SeeTopics implements Store.
func (s *sqlStore) SeeTopics(ctx context.Context, states []TopicState) error {
	if len(states) == 0 {
		return nil
	}
	now := s.now()
	return s.inTx(ctx, "record seen topics", func(tx *sql.Tx) error {
		for _, st := range states {
			at := st.SeenAt
			if at.IsZero() {
				at = now
			}
			if _, err := tx.ExecContext(ctx, seeTopic, st.TopicID, st.CategoryID, encodeTags(st.Tags), at.UnixMicro()); err != nil {
				return fmt.Errorf("topic %d: %w", st.TopicID, err)
			}
		}
		return nil
	})
}

// TopicState implements Store.
func (s *sqlStore) TopicState(ctx context.Context, topicID int64) (TopicState, bool, error) {
	st := TopicState{TopicID: topicID}
	var tags string
	var seen int64
	err := s.r.QueryRowContext(ctx, `SELECT category_id, tags, seen_at FROM topic_states WHERE topic_id = $1`,
		topicID).Scan(&st.CategoryID, &tags, &seen)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return TopicState{}, false, nil
	case err != nil:
		return TopicState{}, false, fmt.Errorf("state of topic %d: %w", topicID, err)
	}
	st.Tags, st.SeenAt = decodeTags(tags), time.UnixMicro(seen)
	return st, true, nil
}

// SeenTopics implements Store.
func (s *sqlStore) SeenTopics(ctx context.Context, since time.Time, limit int) ([]int64, error) {
	return queryRows(ctx, s.r, "recently seen topics", scanColumn[int64],
		`SELECT topic_id FROM topic_states WHERE seen_at >= $1 ORDER BY seen_at DESC, topic_id DESC LIMIT $2`,
		since.UnixMicro(), sqlLimit(limit))
}

// ChangeTopic implements Store.
func (s *sqlStore) ChangeTopic(ctx context.Context, st TopicState, heardIn int64, anns []TopicAnnouncement) ([]OutboxItem, error) {
	now := s.now()
	seen := st.SeenAt
	if seen.IsZero() {
		seen = now
	}
	var queued []OutboxItem
	err := s.inTx(ctx, fmt.Sprintf("follow the change of topic %d", st.TopicID), func(tx *sql.Tx) error {
		queued = queued[:0]
		if err := s.fence(ctx, tx); err != nil {
			return err
		}
		if heardIn != 0 {
			// The channels notified of the topic so far heard of it in the category it leaves.
			if _, err := tx.ExecContext(ctx, `INSERT INTO topic_notices (channel, topic_id, kind, value, created_at)
				SELECT DISTINCT channel, topic_id, 'category', CAST($2 AS TEXT), CAST($3 AS BIGINT) FROM outbox
				WHERE topic_id = $1 AND kind = 'notify' AND status <> 'parked'
				ON CONFLICT (channel, topic_id, kind, value) DO NOTHING`,
				st.TopicID, strconv.FormatInt(heardIn, 10), now.UnixMicro()); err != nil {
				return fmt.Errorf("record the channels notified so far: %w", err)
			}
		}
		for _, a := range anns {
			fresh := false
			for _, n := range a.Notices {
				res, err := tx.ExecContext(ctx, insertTopicNotice, a.Item.Channel, st.TopicID, string(n.Kind), n.Value, now.UnixMicro())
				if err != nil {
					return fmt.Errorf("record a notice for %q: %w", a.Item.Channel, err)
				}
				if k, err := res.RowsAffected(); err != nil {
					return fmt.Errorf("record a notice for %q: %w", a.Item.Channel, err)
				} else if k > 0 {
					fresh = true
				}
			}
			if !fresh {
				continue // told before: a move back and forth, a tag removed and added again, a replay
			}
			it, err := s.insertItem(ctx, tx, a.Item, now)
			if err != nil {
				return err
			}
			queued = append(queued, it)
		}
		if _, err := tx.ExecContext(ctx, upsertTopicState, st.TopicID, st.CategoryID, encodeTags(st.Tags), seen.UnixMicro()); err != nil {
			return fmt.Errorf("record its state: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queued, nil
}

// PruneTopics implements Store.
func (s *sqlStore) PruneTopics(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, "prune topic states", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM topic_states WHERE seen_at < $1`, before.UnixMicro())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM topic_notices WHERE created_at < $1
			AND NOT EXISTS (SELECT 1 FROM topic_states t WHERE t.topic_id = topic_notices.topic_id)`, before.UnixMicro())
		return err
	})
	return n, err
}
