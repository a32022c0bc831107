package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// sqlStore implements Store with SQL that SQLite and PostgreSQL both accept: $n placeholders,
// ON CONFLICT upserts, RETURNING, and times as Unix microseconds in integer columns.
type sqlStore struct {
	w   *sql.DB // writes and transactions
	r   *sql.DB // reads; the same pool as w where the database needs no split
	now func() time.Time

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared on w, for the hot write paths

	lock     leadLock // the driver's lead lock (Lead)
	leads    leads
	lost     chan struct{} // closed when a held lead is lost (LeadLost)
	lostOnce sync.Once

	// The lease (lease.go): the epoch this store's lead got (0: never led, writes unfenced),
	// the query that reads the current one inside a transaction, and how long another epoch's
	// claim on an outbox row holds (0: not at all, its process is known to be gone).
	epoch      atomic.Int64
	leaseQuery string
	claimTTL   time.Duration
}

// LeadLost implements Store.
func (s *sqlStore) LeadLost() <-chan struct{} { return s.lost }

// leadLost closes LeadLost's channel, once.
func (s *sqlStore) leadLost() { s.lostOnce.Do(func() { close(s.lost) }) }

var _ Store = (*sqlStore)(nil)

// Close gives up the leads held, then closes the prepared statements and the connection pools.
func (s *sqlStore) Close() error {
	s.leads.close()
	s.mu.Lock()
	var err error
	for _, st := range s.stmts {
		err = errors.Join(err, st.Close())
	}
	s.stmts = nil
	s.mu.Unlock()
	err = errors.Join(err, s.w.Close())
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

// hotStatements are the statements prepared once at open.
var hotStatements = []string{insertChatLog, growChatLog, shrinkChatLog, dropOldestLogs, dropLogsBefore,
	insertOutbox, upsertCursor}

// prepare compiles the hot write statements once, on the writer pool, before any transaction
// holds its connection: SQLite spends as long compiling a small statement as running it.
func (s *sqlStore) prepare(ctx context.Context) error {
	s.stmts = map[string]*sql.Stmt{}
	for _, q := range hotStatements {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// prepared returns query's prepared statement, nil when it has none.
func (s *sqlStore) prepared(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stmts[query]
}

// txExec runs query in tx, through its prepared statement when it has one.
func (s *sqlStore) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st := s.prepared(query)
	if st == nil {
		return tx.ExecContext(ctx, query, args...)
	}
	// Same connection (the writer has one): reused as is; otherwise re-prepared on tx's.
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// txQueryRow runs a one-row query in tx, through its prepared statement when it has one.
func (s *sqlStore) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st := s.prepared(query)
	if st == nil {
		return tx.QueryRowContext(ctx, query, args...)
	}
	return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
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
