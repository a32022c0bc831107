package pace

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// clock is a fake time: sleeping moves it on, so tests see the moments sends would go out.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// values is an in-memory Store.
type values struct {
	mu   sync.Mutex
	m    map[string]int64
	fail error
}

func (v *values) Cursor(_ context.Context, name string) (int64, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.fail != nil {
		return 0, false, v.fail
	}
	x, ok := v.m[name]
	return x, ok, nil
}

func (v *values) SetCursor(_ context.Context, name string, value int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.fail != nil {
		return v.fail
	}
	v.m[name] = value
	return nil
}

func newValues() *values { return &values{m: map[string]int64{}} }

var epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func fakePacer(st Store, c *clock) *Pacer {
	p := New(st, "test", nil)
	p.now, p.sleep = c.Now, c.Sleep
	return p
}

// sendAll waits for n sends on lanes and returns the moments they went out.
func sendAll(t *testing.T, p *Pacer, c *clock, n int, lanes ...Lane) []time.Time {
	t.Helper()
	var at []time.Time
	for range n {
		if err := p.Wait(t.Context(), lanes...); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now())
	}
	return at
}

// mostInWindow is the most sends any window [s, s+per) holds, the windows starting at each send.
func mostInWindow(at []time.Time, per time.Duration) int {
	at = slices.Clone(at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i := range at {
		j := i
		for j < len(at) && at[j].Sub(at[i]) < per {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

func TestNoWindowHoldsMoreThanTheLimit(t *testing.T) {
	for _, lim := range []Limit{{1, time.Second}, {20, time.Minute}, {30, time.Second}, {5, 5 * time.Second}} {
		c := &clock{now: epoch}
		at := sendAll(t, fakePacer(nil, c), c, 200, Lane{Key: "chat", Limit: lim})
		if got := mostInWindow(at, lim.Per); got > lim.N {
			t.Errorf("%d per %s: a window held %d sends", lim.N, lim.Per, got)
		}
		// A backlog drains at the limit, less the margin.
		rate := float64(len(at)-1) / at[len(at)-1].Sub(at[0]).Seconds()
		if want := float64(lim.N) / lim.Per.Seconds(); rate < 0.95*want {
			t.Errorf("%d per %s: drained at %.3f/s, want at least 95%% of %.3f/s", lim.N, lim.Per, rate, want)
		}
	}
}

func TestTheFirstSendGoesAtOnce(t *testing.T) {
	c := &clock{now: epoch}
	at := sendAll(t, fakePacer(nil, c), c, 1, Lane{Key: "chat", Limit: Limit{1, time.Second}})
	if !at[0].Equal(epoch) {
		t.Errorf("the first send waited %s", at[0].Sub(epoch))
	}
}

func TestLanesAreIndependentPerKey(t *testing.T) {
	c := &clock{now: epoch}
	p := fakePacer(nil, c)
	lim := Limit{1, time.Second}
	sendAll(t, p, c, 1, Lane{Key: "a", Limit: lim})
	at := sendAll(t, p, c, 1, Lane{Key: "b", Limit: lim})
	if !at[0].Equal(epoch) {
		t.Errorf("a send to b waited %s for a send to a", at[0].Sub(epoch))
	}
}

// A send that waits for the overall lane books the chat's next send from the moment it really
// goes, so the chat's own spacing holds too.
func TestASendCountsOnEveryLaneAtOneMoment(t *testing.T) {
	c := &clock{now: epoch}
	p := fakePacer(nil, c)
	chat, all := Limit{1, time.Second}, Limit{3, time.Second}
	var at []time.Time
	for i := range 30 {
		key := []string{"x", "y", "z", "w"}[i%4]
		if err := p.Wait(t.Context(), Lane{Key: key, Limit: chat}, Lane{Key: "all", Limit: all}); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now())
	}
	if got := mostInWindow(at, time.Second); got > 3 {
		t.Errorf("%d sends in one second overall, want at most 3", got)
	}
	var x []time.Time
	for i, a := range at {
		if i%4 == 0 {
			x = append(x, a)
		}
	}
	if got := mostInWindow(x, time.Second); got > 1 {
		t.Errorf("%d sends in one second to one chat, want at most 1", got)
	}
}

func TestARestartWaitsOutWhatTheLastRunSpent(t *testing.T) {
	st := newValues()
	c := &clock{now: epoch}
	lim := Limit{20, time.Minute}
	before := sendAll(t, fakePacer(st, c), c, 10, Lane{Key: "group", Limit: lim})
	// The process stops right after its last send and a new one starts at once.
	after := sendAll(t, fakePacer(st, c), c, 15, Lane{Key: "group", Limit: lim})
	if got := mostInWindow(append(before, after...), lim.Per); got > lim.N {
		t.Errorf("a window across the restart held %d sends, want at most %d", got, lim.N)
	}
	if gap := after[0].Sub(before[len(before)-1]); gap < lim.Interval() {
		t.Errorf("the first send after the restart came %s after the last one before, want %s", gap, lim.Interval())
	}
	if _, ok := st.m["test.pace.group"]; !ok {
		t.Errorf("nothing saved under the lane's name: %v", st.m)
	}
}

func TestALaneIdleLongerThanItsIntervalSendsAtOnceAfterARestart(t *testing.T) {
	st := newValues()
	c := &clock{now: epoch}
	lim := Limit{1, time.Second}
	sendAll(t, fakePacer(st, c), c, 3, Lane{Key: "chat", Limit: lim})
	c.Sleep(t.Context(), time.Minute) //nolint:errcheck // the fake clock
	start := c.Now()
	at := sendAll(t, fakePacer(st, c), c, 1, Lane{Key: "chat", Limit: lim})
	if !at[0].Equal(start) {
		t.Errorf("waited %s for a lane idle for a minute", at[0].Sub(start))
	}
}

func TestAHoldClosesTheLaneUntilItEnds(t *testing.T) {
	st := newValues()
	c := &clock{now: epoch}
	until := epoch.Add(4 * time.Second)
	fakePacer(st, c).Hold(t.Context(), "route", until)
	// Also across a restart: the hold is saved.
	at := sendAll(t, fakePacer(st, c), c, 2, Lane{Key: "route"})
	if at[0].Before(until) {
		t.Errorf("sent %s before the hold ended", until.Sub(at[0]))
	}
	if !at[1].Equal(at[0]) {
		t.Errorf("a lane without a limit spaced its sends by %s", at[1].Sub(at[0]))
	}
}

func TestTheZeroLimitPacesNothing(t *testing.T) {
	c := &clock{now: epoch}
	at := sendAll(t, fakePacer(nil, c), c, 100, Lane{Key: "chat"})
	if !at[99].Equal(epoch) {
		t.Errorf("100 unpaced sends took %s", at[99].Sub(epoch))
	}
}

// A store that fails costs the memory of the last run, not the send.
func TestAFailingStoreStillPacesInMemory(t *testing.T) {
	st := newValues()
	st.fail = errors.New("disk full")
	c := &clock{now: epoch}
	lim := Limit{1, time.Second}
	at := sendAll(t, fakePacer(st, c), c, 5, Lane{Key: "chat", Limit: lim})
	if got := mostInWindow(at, time.Second); got > 1 {
		t.Errorf("%d sends in one second", got)
	}
}

func TestCancelledWaitReturnsTheContextsError(t *testing.T) {
	c := &clock{now: epoch}
	p := fakePacer(nil, c)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Wait(ctx, Lane{Key: "chat", Limit: Limit{1, time.Second}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
}

// Concurrent senders on the real clock: the booked moments keep the spacing, and the store ends
// with the latest booking.
func TestConcurrentSendersShareTheLane(t *testing.T) {
	st := newValues()
	p := New(st, "test", nil)
	lim := Limit{2000, time.Second}
	var (
		mu sync.Mutex
		at []time.Time
		wg sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for range 25 {
				booked, err := p.take(t.Context(), []Lane{{Key: "all", Limit: lim}})
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				at = append(at, booked)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < lim.Interval() {
			t.Fatalf("two sends booked %s apart, want at least %s", gap, lim.Interval())
		}
	}
	if got, want := st.m["test.pace.all"], at[len(at)-1].Add(lim.Interval()).UnixNano(); got < want {
		t.Errorf("saved %d, want at least the last booking's successor %d", got, want)
	}
}

func TestManyIdleLanesAreForgotten(t *testing.T) {
	c := &clock{now: epoch}
	p := fakePacer(nil, c)
	lim := Limit{1, time.Millisecond}
	for i := range 3 * maxIdleLanes {
		if err := p.Wait(t.Context(), Lane{Key: string(rune(i)), Limit: lim}); err != nil {
			t.Fatal(err)
		}
		c.Sleep(t.Context(), time.Second) //nolint:errcheck // the fake clock
	}
	if n := len(p.lanes); n > maxIdleLanes {
		t.Errorf("%d lanes kept, want at most %d", n, maxIdleLanes)
	}
}

// A sender that wakes late (a busy machine) leaves later than booked; the next send keeps its
// distance from when it really left, also across a restart.
func TestALateWakePushesTheNextSend(t *testing.T) {
	st := newValues()
	c := &clock{now: epoch}
	p := fakePacer(st, c)
	lim := Limit{1, time.Second}
	lane := Lane{Key: "chat", Limit: lim}
	sendAll(t, p, c, 1, lane)
	late := 300 * time.Millisecond
	p.sleep = func(ctx context.Context, d time.Duration) error {
		return c.Sleep(ctx, d+late)
	}
	left := sendAll(t, p, c, 1, lane)[0]
	p2 := fakePacer(st, c) // a restart right after
	next := sendAll(t, p2, c, 1, lane)[0]
	if gap := next.Sub(left); gap < lim.Interval() {
		t.Errorf("the send after a late one came %s after it, want %s", gap, lim.Interval())
	}
}

// A send waiting for its own chat (a group's next slot, seconds away) must not hold the shared
// lane meanwhile: the other chats go on at their own pace.
func TestAWaitingChatDoesNotHoldTheSharedLane(t *testing.T) {
	p := New(nil, "test", nil)
	all := Lane{Key: "all", Limit: Limit{1000, time.Second}}
	slow := Lane{Key: "group", Limit: Limit{1, time.Second}}
	fast := Lane{Key: "private", Limit: Limit{1, 10 * time.Millisecond}}
	if err := p.Wait(t.Context(), slow, all); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Wait(t.Context(), slow, all) }() // waits about a second
	var at []time.Time
	for range 20 {
		booked, err := p.take(t.Context(), []Lane{fast, all})
		if err != nil {
			t.Fatal(err)
		}
		at = append(at, booked)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap > 500*time.Millisecond {
			t.Fatalf("a private chat's send waited %s behind a group's", gap)
		}
	}
}
