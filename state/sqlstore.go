package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// sqlStore implements Store with SQL that SQLite and PostgreSQL both accept: $n placeholders,
// ON CONFLICT upserts, RETURNING, and times as Unix microseconds in integer columns.
type sqlStore struct {
	w   *sql.DB // writes and transactions
	r   *sql.DB // reads; the same pool as w where the database needs no split
	now func() time.Time
}

var _ Store = (*sqlStore)(nil)

// Close closes the connection pools.
func (s *sqlStore) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// inTx runs fn in a write transaction and commits it; what names the operation in errors.
func (s *sqlStore) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// dbTime encodes a time for an integer column; the zero time is NULL.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// goTime decodes an integer time column; NULL is the zero time.
func goTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// mustAffect turns an UPDATE or DELETE that touched no row into ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
