package state

import (
	"context"
	"fmt"
)

// Text returns a named string and whether it is set.
func (s *sqlStore) Text(ctx context.Context, name string) (string, bool, error) {
	return queryValue[string](ctx, s.r, fmt.Sprintf("read text %q", name), `SELECT value FROM texts WHERE name = $1`, name)
}

// SetText sets a named string.
func (s *sqlStore) SetText(ctx context.Context, name, value string) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO texts (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
		return fmt.Errorf("set text %q: %w", name, err)
	}
	return nil
}
