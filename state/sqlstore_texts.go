package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Text returns a named string and whether it is set.
func (s *sqlStore) Text(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM texts WHERE name = $1`, name).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read text %q: %w", name, err)
	}
	return v, true, nil
}

// SetText sets a named string.
func (s *sqlStore) SetText(ctx context.Context, name, value string) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO texts (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
		return fmt.Errorf("set text %q: %w", name, err)
	}
	return nil
}
