package plumbing

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Supervisor keeps one platform connection up: it runs a session, and when the session ends it
// waits a jittered, growing backoff and runs another, until the context ends or a session fails
// with a Fatal error. It implements adapters.Health.
type Supervisor struct {
	Log *slog.Logger
	// MinBackoff and MaxBackoff shape the wait between sessions (defaults 1 s and 1 min).
	MinBackoff, MaxBackoff time.Duration

	connected atomic.Bool
	sessions  atomic.Int64 // sessions that came up
}

// fatalError marks a session error that retrying cannot fix.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// Fatal marks err as one that ends Run: a revoked token, a webhook in the way.
func Fatal(err error) error { return &fatalError{err} }

// Run runs session until ctx is done (then it returns nil) or a session returns a Fatal error
// (then it returns that error, unwrapped). A session calls up once it is connected: the backoff
// starts over after a session that came up, and Connected reports true until it ends.
func (s *Supervisor) Run(ctx context.Context, session func(ctx context.Context, up func()) error) error {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = orDefault(s.MinBackoff, time.Second)
	bo.MaxInterval = orDefault(s.MaxBackoff, time.Minute)
	bo.RandomizationFactor = 0.5
	bo.Reset()
	for {
		came := false
		err := session(ctx, func() {
			if !came {
				came = true
				s.sessions.Add(1)
				s.connected.Store(true)
			}
		})
		s.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		if came {
			bo.Reset()
		}
		wait := bo.NextBackOff()
		log.Warn("connection failed; retrying", "err", err, "in", wait.Round(time.Millisecond))
		if !Sleep(ctx, wait) {
			return nil
		}
	}
}

// Sleep waits d, or until ctx ends; it reports whether the whole wait passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Connected implements adapters.Health.
func (s *Supervisor) Connected() bool { return s.connected.Load() }

// Reconnects implements adapters.Health: the sessions that came up after the first.
func (s *Supervisor) Reconnects() int64 { return max(s.sessions.Load()-1, 0) }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
