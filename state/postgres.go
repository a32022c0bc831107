package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

const (
	// postgresOpenTimeout bounds connecting and migrating at start.
	postgresOpenTimeout = 30 * time.Second
	// postgresMaxConns caps the pool; the bot's load is a few senders and the poller.
	postgresMaxConns = 10
)

// openPostgres connects to PostgreSQL and migrates the schema, holding an advisory lock so
// replicas starting together migrate one at a time. Errors never repeat the DSN: it may hold a
// password.
func openPostgres(ctx context.Context, dsn string) (Store, error) {
	if dsn == "" {
		return nil, fmt.Errorf("state.dsn is empty: give a PostgreSQL URL (postgres://user@host/db)")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("state.dsn (postgres): %w", err)
	}
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)

	ctx, cancel := context.WithTimeout(ctx, postgresOpenTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("state.dsn (postgres): connect: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state.dsn (postgres): %w", err)
	}
	if err := migrate(ctx, db, goose.DialectPostgres, "postgres", goose.WithSessionLocker(locker)); err != nil {
		db.Close()
		return nil, fmt.Errorf("state.dsn (postgres): %w", err)
	}
	// No prepared-statement cache: pgx caches statements per connection itself.
	// The lease row is read FOR SHARE, so a new lead's epoch bump waits for every transaction
	// that checked the old epoch; the old leader may still be up, so its claims are honoured.
	s := &sqlStore{w: db, r: db, now: time.Now, lost: make(chan struct{}),
		leaseQuery: `SELECT epoch FROM lease WHERE id = 1 FOR SHARE`, claimTTL: ClaimTTL}
	s.lock = postgresLock(db, s.leadLost)
	return s, nil
}
