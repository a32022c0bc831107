package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrLeaseLost is returned by a fenced write (Enqueue, SetCursor, Claim, MarkSent) of a store
// whose lead another process has taken since: that process leads now, so this one must stop.
// LeadLost closes at the same time.
var ErrLeaseLost = errors.New("the lead of the state store was lost: another process leads it now")

// ClaimTTL is how long a PostgreSQL claim on an outbox row (Claim) keeps a new leader from
// sending the row: the old leader may still be sending it, and it records the send (MarkSent)
// within this time or never. A sender must finish a send well within it.
const ClaimTTL = 45 * time.Second

// ClaimedError is returned by Claim for a row another lead claimed and may be sending: it is
// to be tried again at Until, when that claim expires unless the row was marked sent meanwhile.
type ClaimedError struct {
	ID    int64
	Until time.Time
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("outbox row %d is being sent by another lead (claim expires %s)", e.ID, e.Until.Format(time.RFC3339))
}

// bumpEpoch starts a new lease epoch for a lead just taken: from now on, the fenced writes of
// every store that had an older epoch fail. On PostgreSQL the update waits for the transactions
// that checked the old epoch (they hold the lease row FOR SHARE), so none of them commits after.
func (s *sqlStore) bumpEpoch(ctx context.Context) error {
	var e int64
	if err := s.w.QueryRowContext(ctx,
		`UPDATE lease SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch`).Scan(&e); err != nil {
		return fmt.Errorf("start a lease epoch: %w", err)
	}
	s.epoch.Store(e)
	return nil
}

// fence checks, inside tx, that this store's lead still holds the lease. A store that never
// took a lead (tools, tests) writes unfenced.
func (s *sqlStore) fence(ctx context.Context, tx *sql.Tx) error {
	e := s.epoch.Load()
	if e == 0 {
		return nil
	}
	var cur int64
	if err := tx.QueryRowContext(ctx, s.leaseQuery).Scan(&cur); err != nil {
		return fmt.Errorf("check the lease: %w", err)
	}
	if cur != e {
		s.leadLost()
		return ErrLeaseLost
	}
	return nil
}

// Claim implements Store.
func (s *sqlStore) Claim(ctx context.Context, id int64, at time.Time) error {
	e := s.epoch.Load()
	return s.inTx(ctx, fmt.Sprintf("claim outbox row %d", id), func(tx *sql.Tx) error {
		if err := s.fence(ctx, tx); err != nil {
			return err
		}
		var status OutboxStatus
		var claimEpoch int64
		var claimedAt sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT status, claim_epoch, claimed_at FROM outbox WHERE id = $1`, id).
			Scan(&status, &claimEpoch, &claimedAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case status != Pending:
			return ErrNotFound
		}
		if claimEpoch != 0 && claimEpoch != e && s.claimTTL > 0 {
			if until := goTime(claimedAt).Add(s.claimTTL); at.Before(until) {
				return &ClaimedError{ID: id, Until: until}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET claim_epoch = $2, claimed_at = $3 WHERE id = $1`,
			id, e, dbTime(at))
		return err
	})
}
