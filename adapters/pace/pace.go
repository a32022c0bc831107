// Package pace spaces an adapter's sends to its platform's documented rate limits, per chat and
// overall, and remembers across a restart how far ahead the last run had spent them.
//
// It is GCRA (the generic cell rate algorithm) without burst tolerance: each lane keeps one
// number, the theoretical arrival time (TAT) of its next send, and a send waits until every lane
// it counts against has reached its TAT, then moves each TAT one interval past that moment. With
// intervals of at least Per/N no window of length Per ever holds more than N sends, whatever the
// window's alignment, which is what "N per Per" limits ask. The TATs (one int64 each) are written
// to a Store before the send goes out, so a restarted bot first waits out what its predecessor
// spent. golang.org/x/time/rate does not fit: its limiter can neither be restored from a saved
// state nor book one moment across several limiters at once.
package pace

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limit is a documented rate: at most N sends in any window of length Per. The zero Limit
// spaces nothing (a lane that only honours holds, or a test that lifts the limit).
type Limit struct {
	N   int
	Per time.Duration
}

// Margin is the headroom added to the Per/N spacing: a send leaves a little after its booked
// moment and reaches the platform after a network delay that varies, so two sends can arrive
// closer than they were booked. 3 % of the window (30 ms of a 1 s window) absorbs that and keeps
// a backlog draining at 97 % of the limit.
const Margin = 0.03

// Interval is the spacing that keeps every window of Per within N sends: Per/N plus Margin.
func (l Limit) Interval() time.Duration {
	if l.N <= 0 || l.Per <= 0 {
		return 0
	}
	return time.Duration(float64(l.Per) / float64(l.N) * (1 + Margin))
}

// Store keeps the lanes' state across restarts; adapters.Values (the bot's store) satisfies it.
type Store interface {
	Cursor(ctx context.Context, name string) (int64, bool, error)
	SetCursor(ctx context.Context, name string, value int64) error
}

// Lane is one limit a send counts against, named by Key ("C123" for a channel, "all" for the
// whole bot). Keys are the caller's; a Pacer keeps one state per key.
type Lane struct {
	Key   string
	Limit Limit
}

// storeTimeout bounds one read or write of a lane's state.
const storeTimeout = 5 * time.Second

// maxIdleLanes is how many lanes a Pacer keeps in memory before it forgets those that are idle
// (their next send may go now, which is also what a forgotten lane assumes).
const maxIdleLanes = 4096

// Pacer paces sends over lanes. Its methods are safe for concurrent use.
type Pacer struct {
	store  Store // nil: memory only
	prefix string
	log    *slog.Logger

	mu    sync.Mutex
	lanes map[string]*lane

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

type lane struct {
	load  sync.Once
	tat   int64 // Unix nanoseconds: the earliest moment of the lane's next send; under Pacer.mu
	write sync.Mutex
	saved int64 // the value last written to the store; under write
	// savedHint is saved as of the last save, readable under Pacer.mu.
	savedHint int64
}

// New returns a Pacer that keeps each lane's state in store under prefix+key (e.g.
// "slack.pace." + channel id). store may be nil: pacing then starts afresh with each process.
func New(store Store, prefix string, logger *slog.Logger) *Pacer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Pacer{store: store, prefix: prefix, log: logger, lanes: map[string]*lane{}, now: time.Now, sleep: sleepCtx}
}

// Wait blocks until a send may go out on every lane, and books it: each lane's next send is
// then due one interval later. The booking is saved before Wait returns, so call it right
// before the send. When ctx ends first it returns ctx's error and the booked moment stays
// spent.
func (p *Pacer) Wait(ctx context.Context, lanes ...Lane) error {
	at, ls := p.book(ctx, lanes)
	if err := p.sleep(ctx, at.Sub(p.now())); err != nil {
		return err
	}
	// A sleeper can wake late (a busy machine): the next sends then count from when this one
	// really leaves, or they would crowd it. Saved again (before the send) when that moves
	// them noticeably, so a restart honours it too.
	if p.restamp(lanes, ls) {
		for i, l := range ls {
			p.save(ctx, lanes[i].Key, l)
		}
		p.restamp(lanes, ls)
	}
	return nil
}

// lateTolerance is how far a late wake may move a lane's next send before the move is saved.
const lateTolerance = 2 * time.Millisecond

// restamp moves each lane's TAT to at least one interval from now, and reports whether one
// moved more than lateTolerance past what the store holds.
func (p *Pacer) restamp(lanes []Lane, ls []*lane) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now().UnixNano()
	moved := false
	for i, l := range ls {
		tat := now + int64(lanes[i].Limit.Interval())
		if tat > l.tat {
			l.tat = tat
			moved = moved || tat-l.savedHint > int64(lateTolerance)
		}
	}
	return moved && p.store != nil
}

// Hold keeps the lane key closed until until: a platform said so (Discord's
// X-RateLimit-Reset-After with no requests remaining). It is saved like a booking.
func (p *Pacer) Hold(ctx context.Context, key string, until time.Time) {
	lanes := []Lane{{Key: key}}
	ls := []*lane{nil}
	for {
		ls[0] = p.lane(ctx, key)
		p.mu.Lock()
		if p.current(lanes, ls) {
			break
		}
		p.mu.Unlock()
	}
	l := ls[0]
	l.tat = max(l.tat, until.UnixNano())
	p.mu.Unlock()
	p.save(ctx, key, l)
}

// book reserves the earliest moment every lane allows, moves their TATs past it and saves
// them. It returns the moment.
func (p *Pacer) book(ctx context.Context, lanes []Lane) (time.Time, []*lane) {
	ls := make([]*lane, len(lanes))
	for {
		for i, ln := range lanes {
			ls[i] = p.lane(ctx, ln.Key)
		}
		p.mu.Lock()
		if p.current(lanes, ls) {
			break
		}
		p.mu.Unlock() // a lane was forgotten meanwhile: look it up again
	}
	at := p.now().UnixNano()
	for _, l := range ls {
		at = max(at, l.tat)
	}
	for i, l := range ls {
		l.tat = max(l.tat, at+int64(lanes[i].Limit.Interval()))
	}
	p.mu.Unlock()
	for i, l := range ls {
		p.save(ctx, lanes[i].Key, l)
	}
	return time.Unix(0, at), ls
}

// lane returns key's state, read from the store the first time the process meets the key.
func (p *Pacer) lane(ctx context.Context, key string) *lane {
	p.mu.Lock()
	l := p.lanes[key]
	if l == nil {
		if len(p.lanes) >= maxIdleLanes {
			p.forgetIdle()
		}
		l = &lane{}
		p.lanes[key] = l
	}
	p.mu.Unlock()
	l.load.Do(func() {
		if p.store == nil {
			return
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		v, ok, err := p.store.Cursor(sctx, p.prefix+key)
		if err != nil {
			p.log.Warn("pace: read the last run's pacing; pacing from now", "lane", key, "err", err)
			return
		}
		if ok {
			p.mu.Lock()
			l.tat = max(l.tat, v)
			p.mu.Unlock()
			l.write.Lock()
			l.saved = v
			l.write.Unlock()
			p.mu.Lock()
			l.savedHint = max(l.savedHint, v)
			p.mu.Unlock()
		}
	})
	return l
}

// current reports whether ls are still the lanes the Pacer keeps for lanes' keys. Called with
// p.mu held.
func (p *Pacer) current(lanes []Lane, ls []*lane) bool {
	for i, ln := range lanes {
		if p.lanes[ln.Key] != ls[i] {
			return false
		}
	}
	return true
}

// forgetIdle drops the lanes whose next send may go now. Called with p.mu held.
func (p *Pacer) forgetIdle() {
	now := p.now().UnixNano()
	for k, l := range p.lanes {
		if l.tat != 0 && l.tat <= now { // 0: just made, its first send is about to be booked
			delete(p.lanes, k)
		}
	}
}

// save writes l's TAT unless the store already has it or a later one. Writes of one lane are
// serialised and each writes the newest TAT, so the stored value never goes back.
func (p *Pacer) save(ctx context.Context, key string, l *lane) {
	if p.store == nil {
		return
	}
	l.write.Lock()
	defer l.write.Unlock()
	p.mu.Lock()
	v := l.tat
	p.mu.Unlock()
	if v <= l.saved {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := p.store.SetCursor(sctx, p.prefix+key, v); err != nil {
		p.log.Warn("pace: save pacing; a restart may not wait it out", "lane", key, "err", err)
		return
	}
	l.saved = v
	p.mu.Lock()
	l.savedHint = max(l.savedHint, v)
	p.mu.Unlock()
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
