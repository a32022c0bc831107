package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLeadUnsupported is returned by Lead where the store cannot tell processes apart (an
// SQLite store on a system without flock). The caller decides whether to run without a lead.
var ErrLeadUnsupported = errors.New("standby locking of an SQLite store needs a unix system")

// errClosed is returned by Lead on a closed store, and to a Lead that was waiting when Close ran.
var errClosed = errors.New("store is closed")

// leadLock takes the store's lead lock, waiting until it is free or ctx is done, and returns
// the function that gives it up. Each driver has one (sqliteLock, postgresLock).
type leadLock func(ctx context.Context) (unlock func(), err error)

// leads tracks the leads a store holds, so that Close gives them up and stops the Lead calls
// still waiting.
type leads struct {
	mu      sync.Mutex
	closed  bool
	closing chan struct{} // closed by Close; made on first use
	held    map[int]func()
	next    int
}

// Lead blocks until this process holds the store's lead lock (see Store.Lead).
func (s *sqlStore) Lead(ctx context.Context) (func(), error) {
	closing, err := s.leads.start()
	if err != nil {
		return nil, fmt.Errorf("lead: %w", err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-closing:
			cancel(errClosed)
		case <-ctx.Done():
		}
	}()
	unlock, err := s.lock(ctx)
	if err != nil {
		if errors.Is(context.Cause(ctx), errClosed) {
			err = errClosed
		}
		return nil, fmt.Errorf("lead: %w", err)
	}
	if err := s.bumpEpoch(ctx); err != nil {
		unlock()
		return nil, fmt.Errorf("lead: %w", err)
	}
	release, err := s.leads.add(unlock)
	if err != nil {
		return nil, fmt.Errorf("lead: %w", err)
	}
	return release, nil
}

// start returns the channel Close closes, or errClosed.
func (l *leads) start() (<-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errClosed
	}
	if l.closing == nil {
		l.closing = make(chan struct{})
	}
	return l.closing, nil
}

// add records a lead just taken and returns its release, which may be called any number of
// times. If Close ran meanwhile, it gives the lead up at once and returns errClosed.
func (l *leads) add(unlock func()) (func(), error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		unlock()
		return nil, errClosed
	}
	if l.held == nil {
		l.held = map[int]func(){}
	}
	id := l.next
	l.next++
	l.held[id] = unlock
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		unlock, ok := l.held[id]
		delete(l.held, id)
		l.mu.Unlock()
		if ok {
			unlock()
		}
	}, nil
}

// close gives up every lead held and stops the Lead calls still waiting.
func (l *leads) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	if l.closing != nil {
		close(l.closing)
	}
	held := l.held
	l.held = nil
	l.mu.Unlock()
	for _, unlock := range held {
		unlock()
	}
}

// pollLock calls try every `every` until it takes the lock, fails, or ctx is done. The lock
// waits are polls of a non-blocking try so that cancelling ctx ends them.
func pollLock(ctx context.Context, every time.Duration, try func() (bool, error)) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		ok, err := try()
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return err
		case ok:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
