//go:build unix && !aix

package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// sqliteLeadPoll is how often a standby tries the SQLite lead lock.
const sqliteLeadPoll = 200 * time.Millisecond

// sqliteLock takes an exclusive flock on "<path>.lock". The kernel drops a flock when the last
// descriptor of its open file is closed, so the lead ends with the process however it ends,
// SIGKILL included; the descriptor is close-on-exec, so no child process inherits it. The lock
// is on a file of its own, never the database: SQLite locks the database with fcntl, and a
// process that closes any descriptor of that file loses all its fcntl locks on it. The lock
// file stays when the lead ends: removing it would let a waiter lock an unlinked file while a
// newcomer locks a fresh one.
func sqliteLock(path string) leadLock {
	lockPath := path + ".lock"
	return func(ctx context.Context) (func(), error) {
		f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err // names the file
		}
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lockPath, err)
		}
		err = pollLock(ctx, sqliteLeadPoll, func() (bool, error) {
			var lerr error
			if err := rc.Control(func(fd uintptr) {
				lerr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
			}); err != nil {
				return false, fmt.Errorf("lock %s: %w", lockPath, err)
			}
			switch {
			case lerr == nil:
				return true, nil
			case errors.Is(lerr, unix.EWOULDBLOCK), errors.Is(lerr, unix.EINTR):
				return false, nil
			}
			return false, fmt.Errorf("lock %s: %w", lockPath, lerr)
		})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("waiting for %s: %w", lockPath, err)
		}
		// Closing the only descriptor of the open file drops the flock.
		return func() { f.Close() }, nil
	}
}
