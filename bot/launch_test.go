package bot

import (
	"context"
	"testing"
	"time"
)

// launched is one Run of the bot in a goroutine of its own, started by launch.
type launched struct {
	tb      testing.TB
	cancel  context.CancelFunc
	done    chan error
	wait    time.Duration
	stopped bool
	result  error
}

// launch runs Run with opts in its own goroutine, closing opts.Store once Run returns when
// closeStore. The run is stopped when the test or benchmark ends, which fails if Run returned an
// error (reported as "what: error") or took longer than wait to stop.
func launch(tb testing.TB, what string, opts Options, closeStore bool, wait time.Duration) *launched {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &launched{tb: tb, cancel: cancel, done: make(chan error, 1), wait: wait}
	go func() {
		err := Run(ctx, opts)
		if closeStore {
			opts.Store.Close()
		}
		r.done <- err
	}()
	tb.Cleanup(func() {
		if err := r.stop(); err != nil {
			tb.Errorf("%s: %v", what, err)
		}
	})
	return r
}

// stop asks Run to stop, waits for it and returns its result: once; later calls repeat it.
func (r *launched) stop() error {
	if !r.stopped {
		r.stopped = true
		r.cancel()
		select {
		case r.result = <-r.done:
		case <-time.After(r.wait):
			r.tb.Errorf("the bot did not stop within %v", r.wait)
		}
	}
	return r.result
}

// ready waits for the bot that Testing.Ready sends on botc, failing at once if Run returns
// first or the bot is not ready within limit.
func (r *launched) ready(botc <-chan *Bot, limit time.Duration) *Bot {
	r.tb.Helper()
	select {
	case b := <-botc:
		return b
	case err := <-r.done:
		r.stopped, r.result = true, err
		r.tb.Fatalf("Run returned before it was ready: %v", err)
	case <-time.After(limit):
		r.tb.Fatalf("the bot was not ready within %v", limit)
	}
	return nil
}
