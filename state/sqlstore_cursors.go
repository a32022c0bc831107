package state

import (
	"context"
	"database/sql"
	"fmt"
)

// upsertCursor sets a cursor; Enqueue runs it in its transaction too.
const upsertCursor = `INSERT INTO cursors (name, value) VALUES ($1, $2)
	ON CONFLICT (name) DO UPDATE SET value = excluded.value`

// Cursor returns a named cursor and whether it is set.
func (s *sqlStore) Cursor(ctx context.Context, name string) (int64, bool, error) {
	return queryValue[int64](ctx, s.r, fmt.Sprintf("read cursor %q", name), `SELECT value FROM cursors WHERE name = $1`, name)
}

// SetCursor sets a named cursor, fenced by the lease.
func (s *sqlStore) SetCursor(ctx context.Context, name string, value int64) error {
	if s.epoch.Load() == 0 {
		if _, err := s.w.ExecContext(ctx, upsertCursor, name, value); err != nil {
			return fmt.Errorf("set cursor %q: %w", name, err)
		}
		return nil
	}
	return s.inTx(ctx, fmt.Sprintf("set cursor %q", name), func(tx *sql.Tx) error {
		if err := s.fence(ctx, tx); err != nil {
			return err
		}
		_, err := s.txExec(ctx, tx, upsertCursor, name, value)
		return err
	})
}

// DeleteCursor implements Store, fenced by the lease.
func (s *sqlStore) DeleteCursor(ctx context.Context, name string) error {
	return s.inTx(ctx, fmt.Sprintf("delete cursor %q", name), func(tx *sql.Tx) error {
		if err := s.fence(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM cursors WHERE name = $1`, name)
		return err
	})
}

// Cursors implements Store.
func (s *sqlStore) Cursors(ctx context.Context, prefix string) (map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, value FROM cursors WHERE substr(name, 1, $1) = $2`,
		len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("list cursors %q…: %w", prefix, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, fmt.Errorf("list cursors %q…: %w", prefix, err)
		}
		out[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cursors %q…: %w", prefix, err)
	}
	return out, nil
}
