package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// queryer runs a query: the store's pools and a transaction alike.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryRows runs query on db and returns what scan makes of each row, in order. Its errors say
// what was being done (what: "list channels").
func queryRows[T any](ctx context.Context, db queryer, what string, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// scanColumn scans a row of one column.
func scanColumn[T any](rows *sql.Rows) (T, error) {
	var v T
	err := rows.Scan(&v)
	return v, err
}

// queryValue reads the one column of query's first row from db; ok is false when there is no
// row. Its errors say what was being read (what: "read cursor \"posts\"").
func queryValue[T any](ctx context.Context, db *sql.DB, what, query string, args ...any) (v T, ok bool, err error) {
	err = db.QueryRowContext(ctx, query, args...).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return v, false, nil
	case err != nil:
		return v, false, fmt.Errorf("%s: %w", what, err)
	}
	return v, true, nil
}
