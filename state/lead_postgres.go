package state

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"time"
)

const (
	// postgresLeadPoll is how often a standby tries the PostgreSQL lead lock.
	postgresLeadPoll = 500 * time.Millisecond
	// postgresLeadKeyName names the lead's advisory lock; leadKey turns it into the key.
	postgresLeadKeyName = "discourse-chatbot/lead"
	// postgresUnlockTimeout bounds the unlock when a lead is given up.
	postgresUnlockTimeout = 5 * time.Second
	// postgresLeadCheck is how often the lead's session is checked to be alive.
	postgresLeadCheck = 5 * time.Second
)

// leadKey is the advisory lock key of the lead of the store in schema. The schema is part of
// it because advisory locks are per database while a store is per schema: bots of two forums
// in two schemas of one database must not wait for each other.
func leadKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte(postgresLeadKeyName + "\x00" + schema))
	return int64(h.Sum64())
}

// postgresLock takes a session advisory lock on a connection of its own, kept out of the pool
// while the lead lasts. The server drops the lock when that session ends, so the lead ends with
// the process. It also ends if the connection breaks (a restarted server, a network cut, an
// idle-session timeout): the session is checked every postgresLeadCheck, and lost is called
// when it is gone, so that the process stops acting as leader while a standby takes over.
func postgresLock(db *sql.DB, lost func()) leadLock {
	return func(ctx context.Context) (func(), error) {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		var schema string
		if err := conn.QueryRowContext(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
			discardConn(conn)
			return nil, fmt.Errorf("current schema: %w", err)
		}
		key := leadKey(schema)
		err = pollLock(ctx, postgresLeadPoll, func() (bool, error) {
			var ok bool
			err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok)
			return ok, err
		})
		if err != nil {
			// A try cut short by ctx may have taken the lock: ending the session drops it.
			discardConn(conn)
			return nil, fmt.Errorf("advisory lock: %w", err)
		}
		released := make(chan struct{})
		watched := make(chan struct{})
		go func() { // the lead's owner: stops when the lead is released
			defer close(watched)
			t := time.NewTicker(postgresLeadCheck)
			defer t.Stop()
			for {
				select {
				case <-released:
					return
				case <-t.C:
				}
				ctx, cancel := context.WithTimeout(context.Background(), postgresLeadCheck)
				err := conn.PingContext(ctx)
				cancel()
				if err != nil {
					select {
					case <-released: // the ping lost a race with release
					default:
						lost()
					}
					return
				}
			}
		}()
		return func() {
			close(released)
			<-watched
			ctx, cancel := context.WithTimeout(context.Background(), postgresUnlockTimeout)
			defer cancel()
			_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key)
			// Ending the session drops the lock even if the unlock failed.
			discardConn(conn)
		}, nil
	}
}

// discardConn closes conn's session instead of returning it to the pool.
func discardConn(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
