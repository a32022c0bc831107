// Package pace spaces an adapter's sends to its platform's documented rate limits, per chat and
// overall, and remembers across a restart how far ahead the last run had spent them.
//
// It is GCRA (the generic cell rate algorithm): each lane keeps one number, the theoretical
// arrival time (TAT) of its next send. A send may leave once every lane it counts against
// allows it: at its TAT, or, for a lane with a burst (Limit.Burst), up to the burst tolerance
// τ = (Burst−1)×interval before it. It then moves each lane's TAT one interval on from the later
// of the TAT and the moment it leaves. Without a burst, with intervals of at least Per/N, no
// window of length Per ever holds more than N sends, whatever the window's alignment, which is
// what "N per Per" limits ask; with one, the sends keep to a bucket of Burst that drains one
// send an interval (a leaky bucket such as Synapse's rc_message): after idling Burst sends go at
// once, then one an interval. A send waiting for its own chat never holds a shared lane's slot
// meanwhile (see take). The TATs (one int64 each) are written to a Store before the send goes
// out, so a restarted bot first waits out what its predecessor spent, burst included.
// golang.org/x/time/rate does not fit: its limiter can neither be restored from a saved state
// nor book one moment across several limiters.
package pace

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limit is a documented rate: at most N sends in any window of length Per, or, with a Burst,
// a bucket that holds Burst sends and drains N every Per. The zero Limit spaces nothing (a lane
// that only honours holds, or a test that lifts the limit).
type Limit struct {
	N   int
	Per time.Duration
	// Burst is how many sends may go at once after the lane has idled (Synapse's burst_count);
	// after them, one an Interval. 0 or 1: none at once, every send an Interval after the last.
	// A lane that spends the platform's whole burst leaves the first send after it only the
	// Margin of one interval for the network's jitter (150 ms of Synapse's 5 s).
	Burst int
}

// Margin is the headroom added to the Per/N spacing: a send reaches the platform after a
// network delay that varies, so two sends can arrive closer than they left. 3 % of the window
// (30 ms of a 1 s window) absorbs that and keeps a backlog draining at 97 % of the limit.
const Margin = 0.03

// Interval is the spacing that keeps every window of Per within N sends: Per/N plus Margin.
func (l Limit) Interval() time.Duration {
	if l.N <= 0 || l.Per <= 0 {
		return 0
	}
	return time.Duration(float64(l.Per) / float64(l.N) * (1 + Margin))
}

// tolerance is GCRA's burst tolerance τ: how long before its TAT a lane lets a send go,
// (Burst−1) intervals. 0 without a burst.
func (l Limit) tolerance() int64 {
	if l.Burst <= 1 {
		return 0
	}
	return int64(l.Burst-1) * int64(l.Interval())
}

// slack is how late a send may leave its booked moment and still keep it (a sleeper wakes a
// little late on a busy machine): half the margin. Lateness crowds the following sends only by
// the difference in lateness between a send and the one N later, which the margin absorbs up to
// Per×Margin; the other half is left for the network's jitter.
func (l Limit) slack() int64 { return int64(float64(l.Per) * Margin / 2) }

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

const (
	// storeTimeout bounds one read or write of a lane's state.
	storeTimeout = 5 * time.Second
	// saveAhead is how far past a lane's TAT the saved value reaches: a fast lane (30 sends a
	// second) then writes every few sends rather than every one, and a restart waits at most
	// this much longer than it had to.
	saveAhead = 100 * time.Millisecond
	// maxIdleLanes is how many lanes a Pacer keeps in memory before it forgets those that are
	// idle (their next send may go now, which is also what a forgotten lane assumes).
	maxIdleLanes = 4096
)

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
	load sync.Once
	// under Pacer.mu:
	tat   int64 // Unix nanoseconds: the lane's theoretical arrival time (its next send, less τ)
	saved int64 // the latest value the store holds (or is being given)
	tau   int64 // the burst tolerance the lane was last paced with (Hold closes it that far on)
	// write serialises the lane's writes, so that the stored value never goes back.
	write sync.Mutex
}

// New returns platform's Pacer, which keeps each lane's state in store under
// "<platform>.pace.<key>" (e.g. "slack.pace.C123"). store may be nil: pacing then starts afresh
// with each process.
func New(store Store, platform string, logger *slog.Logger) *Pacer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Pacer{store: store, prefix: platform + ".pace.", log: logger, lanes: map[string]*lane{}, now: time.Now, sleep: sleepCtx}
}

// Wait blocks until a send may go out on every lane, and books it: each lane's next send is
// then due one interval later. The booking is saved before Wait returns, so call it right
// before the send. It returns ctx's error if ctx ends first.
func (p *Pacer) Wait(ctx context.Context, lanes ...Lane) error {
	_, err := p.take(ctx, lanes)
	return err
}

// take is Wait; it returns the moment the send was booked at.
//
// A send is booked at the moment every lane allows (its TAT, less its burst tolerance), but
// only once that leaves no lane idle for longer than its own interval before it: a GCRA lane
// cannot lend out a gap, so a group's next slot, seconds away, must not reserve the bot's
// overall lane that far ahead. Until then the sender sleeps; sends queued on a shared lane are
// booked one after another, each sleeping to its own slot.
func (p *Pacer) take(ctx context.Context, lanes []Lane) (time.Time, error) {
	ls := make([]*lane, len(lanes))
	prev := make([]int64, len(lanes))   // each lane's TAT before this send's booking
	booked := make([]int64, len(lanes)) // and right after it
	for {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		p.lookup(ctx, lanes, ls) // returns with p.mu held
		now := p.now().UnixNano()
		at := now
		for i, l := range ls {
			l.tau = lanes[i].Limit.tolerance()
			at = max(at, l.tat-l.tau)
		}
		wake := int64(0) // when booking at `at` would no longer leave a long gap
		for i, l := range ls {
			iv := int64(lanes[i].Limit.Interval())
			if iv > 0 && at-max(l.tat, now) > iv {
				wake = max(wake, at-iv)
			}
		}
		if wake > 0 {
			p.mu.Unlock()
			if err := p.sleep(ctx, time.Duration(wake-now)); err != nil {
				return time.Time{}, err
			}
			continue
		}
		save := false
		for i, l := range ls {
			prev[i] = l.tat
			if iv := int64(lanes[i].Limit.Interval()); iv > 0 { // a lane without a limit only gates
				l.tat = max(l.tat, at) + iv
				booked[i] = l.tat
				save = save || l.tat > l.saved
			}
		}
		p.mu.Unlock()
		// The booking is written while the sender sleeps, and before it leaves.
		saved := make(chan struct{})
		go func() {
			defer close(saved)
			if save {
				p.saveAll(ctx, lanes, ls)
			}
		}()
		err := p.sleep(ctx, time.Duration(at-p.now().UnixNano()))
		<-saved
		if err != nil {
			return time.Time{}, err // the slot stays spent: never too few
		}
		// A sender can leave late (a busy machine, a slow write). A lane's next sends count from
		// the later of its TAT and the moment a send leaves, so lateness matters to a lane only
		// as far as the send leaves after the TAT it was booked against (a send that a burst let
		// go before that TAT may leave late up to it and change nothing). If a later send is
		// booked on such a lane, leaving now would crowd it: the slot is given up and a new one
		// taken. Otherwise the lanes' next sends count from now.
		p.mu.Lock()
		now = p.now().UnixNano()
		late := func(i int) int64 { return max(prev[i], now) - max(prev[i], at) }
		rebook := false
		for i, l := range ls {
			lim := lanes[i].Limit
			rebook = rebook || (lim.Interval() > 0 && late(i) > lim.slack() && l.tat > booked[i])
		}
		if rebook {
			for i, l := range ls {
				if lanes[i].Limit.Interval() > 0 && l.tat == booked[i] {
					// Nobody booked after it here: the unused slot is free again (a lane without
					// a burst is free from the booked moment on, as before the booking).
					l.tat = max(prev[i], at-l.tau)
				}
			}
			p.mu.Unlock()
			continue
		}
		save = false
		for i, l := range ls {
			lim := lanes[i].Limit
			if iv := int64(lim.Interval()); iv > 0 && late(i) > lim.slack() {
				l.tat = max(l.tat, max(prev[i], now)+iv)
				save = save || l.tat > l.saved
			}
		}
		p.mu.Unlock()
		if save {
			p.saveAll(ctx, lanes, ls)
		}
		return time.Unix(0, at), nil
	}
}

// saveAll saves the lanes that have a limit.
func (p *Pacer) saveAll(ctx context.Context, lanes []Lane, ls []*lane) {
	for i, l := range ls {
		if lanes[i].Limit.Interval() > 0 { // a lane without a limit is saved only by Hold
			p.save(ctx, lanes[i].Key, l)
		}
	}
}

// Hold keeps the lane key closed until until: a platform said so (Discord's
// X-RateLimit-Reset-After with no requests remaining, Matrix's M_LIMIT_EXCEEDED). A lane with
// a burst is taken to be full then, as the platform's bucket is: after until one send goes, then
// one an interval. (The burst is the one the lane was last paced with in this process, so hold
// a lane after a send on it.) The hold is saved like a booking.
func (p *Pacer) Hold(ctx context.Context, key string, until time.Time) {
	lanes, ls := []Lane{{Key: key}}, []*lane{nil}
	p.lookup(ctx, lanes, ls)
	l := ls[0]
	l.tat = max(l.tat, until.UnixNano()+l.tau)
	p.mu.Unlock()
	p.save(ctx, key, l)
}

// lookup fills ls with the lanes' states, read from the store the first time the process meets
// a key, and returns with p.mu held.
func (p *Pacer) lookup(ctx context.Context, lanes []Lane, ls []*lane) {
	for {
		for i, ln := range lanes {
			ls[i] = p.lane(ctx, ln.Key)
		}
		p.mu.Lock()
		current := true
		for i, ln := range lanes {
			current = current && p.lanes[ln.Key] == ls[i]
		}
		if current {
			return
		}
		p.mu.Unlock() // a lane was forgotten meanwhile: look it up again
	}
}

// lane returns key's state, loaded.
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
			l.tat, l.saved = max(l.tat, v), max(l.saved, v)
			p.mu.Unlock()
		}
	})
	return l
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

// save writes l's TAT, plus saveAhead, unless the store already holds as much.
func (p *Pacer) save(ctx context.Context, key string, l *lane) {
	if p.store == nil {
		return
	}
	l.write.Lock()
	defer l.write.Unlock()
	p.mu.Lock()
	if l.tat <= l.saved {
		p.mu.Unlock()
		return
	}
	v := l.tat + int64(saveAhead)
	old := l.saved
	l.saved = v
	p.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := p.store.SetCursor(sctx, p.prefix+key, v); err != nil {
		p.log.Warn("pace: save pacing; a restart may not wait it out", "lane", key, "err", err)
		p.mu.Lock()
		if l.saved == v {
			l.saved = old
		}
		p.mu.Unlock()
	}
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
