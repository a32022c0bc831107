package discourse

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Live mode (PollerConfig.Live, DESIGN §8).
const (
	// liveSafetyFactor: in live mode a tick runs at least every liveSafetyFactor × Interval,
	// in case a MessageBus message was missed.
	liveSafetyFactor = 12
	// defaultLiveRetry and maxLiveRetry bound the backoff between tries of a failed MessageBus.
	defaultLiveRetry = 30 * time.Second
	maxLiveRetry     = 30 * time.Minute
)

// Live mode states.
const (
	liveStarting int32 = iota // first MessageBus call not answered yet
	liveUp                    // listening; ticks on change and as a safety net
	liveDown                  // MessageBus failing; ticks every Interval
)

// live is what the MessageBus listener tells the tick loop.
type live struct {
	mode    atomic.Int32
	changed chan struct{} // cap 1: the forum said something changed; signals coalesce
	moved   chan struct{} // cap 1: mode changed
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // one pending signal is enough
	}
}

func (l *live) set(mode int32) {
	if l.mode.Swap(mode) != mode {
		notify(l.moved)
	}
}

// runLive ticks when the MessageBus reports a change on /latest (a burst of messages costs one
// tick), at least every liveSafetyFactor × Interval, and every Interval while the MessageBus
// fails. The first tick follows the first MessageBus answer, so that no post falls between
// the tick and the id the listener starts from.
func (p *Poller) runLive(ctx context.Context, handle Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	l := &live{changed: make(chan struct{}, 1), moved: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.listen(ctx, l)
	}()
	defer func() {
		cancel()
		<-done
	}()
	var last time.Time // start of the last tick
	for {
		var due <-chan time.Time
		var timer *time.Timer
		switch l.mode.Load() {
		case liveUp:
			timer = time.NewTimer(time.Until(last.Add(liveSafetyFactor * p.cfg.Interval)))
		case liveDown:
			timer = time.NewTimer(time.Until(last.Add(p.cfg.Interval)))
		}
		if timer != nil {
			due = timer.C
		}
		var wake bool
		select {
		case <-ctx.Done():
		case <-l.moved:
		case <-l.changed:
			wake = true
		case <-due:
			wake = true
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
		if !wake {
			continue
		}
		select { // this tick covers every change reported so far
		case <-l.changed:
		default:
		}
		last = time.Now()
		p.tick(ctx, handle)
	}
}

// listen keeps a MessageBus session open, and after a failure retries it with backoff while
// the tick loop falls back to polling every Interval. An outage is logged once at warn level.
func (p *Poller) listen(ctx context.Context, l *live) {
	bus := p.c.NewMessageBus()
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = p.liveRetry
	eb.MaxInterval = maxLiveRetry
	down := false
	for {
		err := p.session(ctx, bus, l, func(healthy bool) {
			if healthy {
				eb.Reset()
			}
			if down {
				down = false
				p.log.Info("forum live mode is back")
			}
		})
		if ctx.Err() != nil {
			return
		}
		l.set(liveDown)
		wait := eb.NextBackOff()
		var rl *rateLimited
		if errors.As(err, &rl) {
			wait = max(wait, rl.wait)
		}
		if !down {
			down = true
			p.log.Warn("forum live mode unavailable, polling every interval",
				"err", err, "poll_interval", p.cfg.Interval, "retry_in", wait)
		} else {
			p.log.Debug("forum live mode still failing", "err", err, "retry_in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session learns the current id of /latest, then long-polls from it, signalling a change for
// every answer that carries news, until a call fails. up is told when the session is up
// (healthy false) and after each successful long poll (healthy true).
func (p *Poller) session(ctx context.Context, bus *MessageBus, l *live, up func(healthy bool)) error {
	msgs, err := bus.Poll(ctx, map[string]int64{ChannelLatest: -1})
	if err != nil {
		return err
	}
	id := int64(-1)
	for _, m := range msgs {
		if v, ok := m.Status(ChannelLatest); ok {
			id = v
		}
	}
	if id < 0 {
		return fmt.Errorf("POST /message-bus/{client}/poll: the answer to -1 holds no id for %s", ChannelLatest)
	}
	l.set(liveUp)
	notify(l.changed) // the first tick (or the one after an outage) covers the time before id
	up(false)
	var quiet time.Time // start of the last long poll that brought nothing
	for {
		if !quiet.IsZero() && p.liveGap > 0 {
			t := time.NewTimer(time.Until(quiet.Add(p.liveGap)))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		start := time.Now()
		msgs, err := bus.Poll(ctx, map[string]int64{ChannelLatest: id})
		if err != nil {
			return err
		}
		up(true)
		news := false
		for _, m := range msgs {
			if m.Channel == ChannelLatest && m.MessageID > id {
				id, news = m.MessageID, true
			} else if v, ok := m.Status(ChannelLatest); ok {
				// The bus was reset, or moved past messages the API user may not read: start
				// from its id, and look in case something was missed.
				id, news = v, true
			}
		}
		quiet = time.Time{}
		if news {
			notify(l.changed)
		} else {
			quiet = start
		}
	}
}
