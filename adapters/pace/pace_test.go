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

// sendRoundRobin waits for n sends, the i-th to chat keys[i%len(keys)] (a lane limited to chat)
// and on the shared lane all, and returns the moments they went out. after, when set, runs after
// each send with its number.
func sendRoundRobin(t *testing.T, p *Pacer, c *clock, n int, keys []string, chat Limit, all Lane, after func(i int)) []time.Time {
	t.Helper()
	var at []time.Time
	for i := range n {
		if err := p.Wait(t.Context(), Lane{Key: keys[i%len(keys)], Limit: chat}, all); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now())
		if after != nil {
			after(i)
		}
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
	for _, lim := range []Limit{{N: 1, Per: time.Second}, {N: 20, Per: time.Minute}, {N: 30, Per: time.Second}, {N: 5, Per: 5 * time.Second}} {
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
	at := sendAll(t, fakePacer(nil, c), c, 1, Lane{Key: "chat", Limit: Limit{N: 1, Per: time.Second}})
	if !at[0].Equal(epoch) {
		t.Errorf("the first send waited %s", at[0].Sub(epoch))
	}
}

func TestLanesAreIndependentPerKey(t *testing.T) {
	c := &clock{now: epoch}
	p := fakePacer(nil, c)
	lim := Limit{N: 1, Per: time.Second}
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
	chat, all := Limit{N: 1, Per: time.Second}, Limit{N: 3, Per: time.Second}
	at := sendRoundRobin(t, p, c, 30, []string{"x", "y", "z", "w"}, chat, Lane{Key: "all", Limit: all}, nil)
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
	lim := Limit{N: 20, Per: time.Minute}
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
	lim := Limit{N: 1, Per: time.Second}
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
	lim := Limit{N: 1, Per: time.Second}
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
	if err := p.Wait(ctx, Lane{Key: "chat", Limit: Limit{N: 1, Per: time.Second}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
}

// Concurrent senders on the real clock: the booked moments keep the spacing, and the store ends
// with the latest booking.
func TestConcurrentSendersShareTheLane(t *testing.T) {
	st := newValues()
	p := New(st, "test", nil)
	lim := Limit{N: 2000, Per: time.Second}
	at := concurrentTakes(t, p, lim)
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
	lim := Limit{N: 1, Per: time.Millisecond}
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
	lim := Limit{N: 1, Per: time.Second}
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
// lane meanwhile, nor spend its burst: the other chats go on at their own pace.
func TestAWaitingChatDoesNotHoldTheSharedLane(t *testing.T) {
	for _, lim := range []Limit{{N: 1000, Per: time.Second}, {N: 10, Per: time.Second, Burst: 5}} {
		p := New(nil, "test", nil)
		all := Lane{Key: "all", Limit: lim}
		slow := Lane{Key: "group", Limit: Limit{N: 1, Per: time.Second}}
		fast := Lane{Key: "private", Limit: Limit{N: 1, Per: 10 * time.Millisecond}}
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
				t.Fatalf("%+v: a private chat's send waited %s behind a group's", lim, gap)
			}
		}
	}
}

// bucketOver counts the sends (in any order) that a leaky bucket holding lim.Burst (at least 1)
// and draining lim.N every lim.Per refuses, as Synapse's rc_message does: a send over it ends a
// run of sends more than Burst plus what drained between the run's first and last.
func bucketOver(at []time.Time, lim Limit) int {
	at = slices.Clone(at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	burst := float64(max(1, lim.Burst))
	rate := float64(lim.N) / lim.Per.Seconds()
	over := 0
	for j := range at {
		for i := range j + 1 {
			if float64(j-i+1) > burst+at[j].Sub(at[i]).Seconds()*rate+1e-9 {
				over++
				break
			}
		}
	}
	return over
}

// sameMoment counts the sends at the first one's moment.
func sameMoment(at []time.Time) int {
	n := 0
	for n < len(at) && at[n].Equal(at[0]) {
		n++
	}
	return n
}

// After idling, Burst sends go at once and then one an interval; 0 and 1 mean no burst.
func TestABurstGoesAtOnceAfterIdlingThenOneAnInterval(t *testing.T) {
	for _, tc := range []struct {
		lim   Limit
		burst int // sends at once from idle
	}{
		{Limit{N: 1, Per: 5 * time.Second}, 1},
		{Limit{N: 1, Per: 5 * time.Second, Burst: 1}, 1},
		{Limit{N: 1, Per: 5 * time.Second, Burst: 2}, 2},
		{Limit{N: 1, Per: 5 * time.Second, Burst: 10}, 10}, // Synapse's default rc_message
		{Limit{N: 5, Per: time.Second, Burst: 3}, 3},
	} {
		c := &clock{now: epoch}
		p := fakePacer(newValues(), c)
		lane := Lane{Key: "sends", Limit: tc.lim}
		iv := tc.lim.Interval()
		at := sendAll(t, p, c, 30, lane)
		if got := sameMoment(at); got != tc.burst {
			t.Errorf("%+v: %d sends at once from idle, want %d", tc.lim, got, tc.burst)
		}
		for i := tc.burst; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap != iv {
				t.Errorf("%+v: send %d came %s after the one before, want %s", tc.lim, i, gap, iv)
				break
			}
		}
		// Idle for three intervals: three sends' worth of the bucket has drained.
		c.Sleep(t.Context(), 3*iv) //nolint:errcheck // the fake clock
		again := sendAll(t, p, c, 12, lane)
		if got, want := sameMoment(again), min(tc.burst, 3); got != want {
			t.Errorf("%+v: %d sends at once after idling three intervals, want %d", tc.lim, got, want)
		}
		// Idle long enough to empty the bucket: a whole burst again.
		c.Sleep(t.Context(), time.Hour) //nolint:errcheck // the fake clock
		full := sendAll(t, p, c, 12, lane)
		if got := sameMoment(full); got != tc.burst {
			t.Errorf("%+v: %d sends at once after an hour's idling, want %d", tc.lim, got, tc.burst)
		}
		all := append(append(at, again...), full...)
		if n := bucketOver(all, tc.lim); n != 0 {
			t.Errorf("%+v: %d sends over the bucket", tc.lim, n)
		}
		// Past the burst a backlog drains at the limit, less the margin.
		rate := float64(len(at)-tc.burst) / at[len(at)-1].Sub(at[tc.burst-1]).Seconds()
		if want := float64(tc.lim.N) / tc.lim.Per.Seconds(); rate < 0.95*want {
			t.Errorf("%+v: drained at %.3f/s, want at least 95%% of %.3f/s", tc.lim, rate, want)
		}
	}
}

// Burst 0 and 1 are the same lane, to the nanosecond, in what they send and what they save.
func TestBurstZeroAndOneAreTheSame(t *testing.T) {
	run := func(burst int) ([]time.Time, map[string]int64) {
		st := newValues()
		c := &clock{now: epoch}
		p := fakePacer(st, c)
		chat, all := Limit{N: 1, Per: time.Second, Burst: burst}, Limit{N: 3, Per: time.Second, Burst: burst}
		at := sendRoundRobin(t, p, c, 40, []string{"x", "y", "z", "w"}, chat, Lane{Key: "all", Limit: all}, func(i int) {
			if i%7 == 0 {
				c.Sleep(t.Context(), 700*time.Millisecond) //nolint:errcheck // the fake clock
			}
		})
		return at, st.m
	}
	at0, saved0 := run(0)
	at1, saved1 := run(1)
	if !slices.Equal(at0, at1) {
		t.Errorf("Burst 1 sent at other moments than Burst 0:\n%v\n%v", at0, at1)
	}
	if len(saved0) != len(saved1) {
		t.Errorf("saved %v with Burst 0, %v with Burst 1", saved0, saved1)
	}
	for k, v := range saved0 {
		if saved1[k] != v {
			t.Errorf("%s: saved %d with Burst 0, %d with Burst 1", k, v, saved1[k])
		}
	}
}

// within counts the sends within d of the first one.
func within(at []time.Time, d time.Duration) int {
	n := 0
	for n < len(at) && at[n].Sub(at[0]) <= d {
		n++
	}
	return n
}

// A restarted bot honours the burst its predecessor spent: it is granted none afresh. (What it
// reads is saved saveAhead late, so its sends may come that much later than they had to.)
func TestARestartGrantsNoExtraBurst(t *testing.T) {
	st := newValues()
	c := &clock{now: epoch}
	lim := Limit{N: 1, Per: 5 * time.Second, Burst: 10}
	lane := Lane{Key: "sends", Limit: lim}
	before := sendAll(t, fakePacer(st, c), c, 10, lane) // the whole burst
	c.Sleep(t.Context(), 2*lim.Interval())              //nolint:errcheck // the fake clock: two drained
	after := sendAll(t, fakePacer(st, c), c, 6, lane)
	if got := within(after, saveAhead); got != 2 {
		t.Errorf("%d sends at once after the restart, want the 2 that drained meanwhile", got)
	}
	if n := bucketOver(append(before, after...), lim); n != 0 {
		t.Errorf("%d sends over the bucket across the restart", n)
	}
	// A restart in the middle of a burst: the rest of it, not a new one.
	st, c = newValues(), &clock{now: epoch}
	before = sendAll(t, fakePacer(st, c), c, 4, lane)
	after = sendAll(t, fakePacer(st, c), c, 10, lane)
	if got := within(after, saveAhead); got != 6 {
		t.Errorf("%d sends at once after a restart 4 sends into the burst, want 6", got)
	}
	if n := bucketOver(append(before, after...), lim); n != 0 {
		t.Errorf("%d sends over the bucket across the restart", n)
	}
}

// A send counts against a burst lane (the bot's overall) and a lane without one (its chat): the
// chats' sends go at once while the burst lasts, each chat keeps its own spacing, and a chat
// waiting for its own slot does not spend the shared lane's burst meanwhile.
func TestAMultiLaneSendWithOneBurstLane(t *testing.T) {
	c := &clock{now: epoch}
	p := fakePacer(newValues(), c)
	chatLim, allLim := Limit{N: 1, Per: 2 * time.Second}, Limit{N: 1, Per: time.Second, Burst: 5}
	all := Lane{Key: "all", Limit: allLim}
	keys := []string{"x", "y", "z"}
	at := sendRoundRobin(t, p, c, 40, keys, chatLim, all, nil)
	perChat := map[string][]time.Time{}
	for i, a := range at {
		key := keys[i%len(keys)]
		perChat[key] = append(perChat[key], a)
	}
	if got := sameMoment(at); got != 3 {
		t.Errorf("%d sends to 3 chats at once from idle, want 3 (one a chat)", got)
	}
	if n := bucketOver(at, allLim); n != 0 {
		t.Errorf("%d sends over the overall bucket", n)
	}
	for key, ch := range perChat {
		if got := mostInWindow(ch, chatLim.Per); got > 1 {
			t.Errorf("%s: %d sends in one window of %s, want at most 1", key, got, chatLim.Per)
		}
	}

	// A slow chat's second send, 10 s away, leaves the shared lane's burst to the others.
	c = &clock{now: epoch}
	p = fakePacer(nil, c)
	slow := Lane{Key: "group", Limit: Limit{N: 1, Per: 10 * time.Second}}
	sendAll(t, p, c, 2, slow, all)
	second := c.Now()
	others := append(sendAll(t, p, c, 1, Lane{Key: "a", Limit: chatLim}, all), sendAll(t, p, c, 1, Lane{Key: "b", Limit: chatLim}, all)...)
	for _, o := range others {
		if !o.Equal(second) {
			t.Errorf("a send to another chat waited %s after the slow chat's", o.Sub(second))
		}
	}
}

// A hold on a burst lane leaves its bucket full, as the platform's is when it refuses: one send
// at the hold's end, then one an interval. Also across a restart.
func TestAHoldFillsTheBurst(t *testing.T) {
	st := newValues()
	c := &clock{now: epoch}
	lim := Limit{N: 1, Per: 5 * time.Second, Burst: 10}
	lane := Lane{Key: "sends", Limit: lim}
	p := fakePacer(st, c)
	sendAll(t, p, c, 1, lane)
	until := epoch.Add(3 * time.Second)
	p.Hold(t.Context(), "sends", until)
	for _, q := range []*Pacer{p, fakePacer(st, c)} {
		c.now = epoch
		at := sendAll(t, q, c, 2, lane)
		if at[0].Before(until) {
			t.Errorf("sent %s before the hold ended", until.Sub(at[0]))
		}
		if gap := at[1].Sub(at[0]); gap < lim.Interval() {
			t.Errorf("the send after the hold's first came %s after it, want %s", gap, lim.Interval())
		}
	}
}

// Senders that wake late (a busy machine) keep a burst lane within its bucket, in a burst and
// after it, also across a restart.
func TestLateWakesKeepTheBucket(t *testing.T) {
	st := newValues()
	c := &clock{now: epoch}
	lim := Limit{N: 1, Per: time.Second, Burst: 3}
	lane := Lane{Key: "sends", Limit: lim}
	late := func(p *Pacer) *Pacer {
		p.sleep = func(ctx context.Context, d time.Duration) error { return c.Sleep(ctx, max(d, 0)+300*time.Millisecond) }
		return p
	}
	at := sendAll(t, late(fakePacer(st, c)), c, 10, lane)
	c.Sleep(t.Context(), 2*time.Second) //nolint:errcheck // the fake clock
	at = append(at, sendAll(t, late(fakePacer(st, c)), c, 10, lane)...)
	if n := bucketOver(at, lim); n != 0 {
		t.Errorf("%d sends over the bucket: %v", n, at)
	}
}

// Concurrent senders on the real clock over a burst lane: the booked moments keep to its bucket.
func TestConcurrentSendersShareABurst(t *testing.T) {
	p := New(newValues(), "test", nil)
	lim := Limit{N: 2000, Per: time.Second, Burst: 40}
	at := concurrentTakes(t, p, lim)
	if n := bucketOver(at, lim); n != 0 {
		t.Errorf("%d of %d sends booked over the bucket", n, len(at))
	}
}

// concurrentTakes books 8 × 25 sends on lane "all" from 8 goroutines at once and returns the
// booked moments, in no order.
func concurrentTakes(t *testing.T, p *Pacer, lim Limit) []time.Time {
	t.Helper()
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
	return at
}
