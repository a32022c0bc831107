//go:build !unix || aix

package state

import "context"

// sqliteLock, where flock is missing, refuses: a lock that does not exclude the other process
// would let both deliver, which is what Lead is for preventing. Lead returns an error wrapping
// ErrLeadUnsupported, and the caller decides whether to run without a standby.
func sqliteLock(path string) leadLock {
	return func(context.Context) (func(), error) {
		return nil, ErrLeadUnsupported
	}
}
