package discourse_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

func TestMessageBusProtocol(t *testing.T) {
	f, c := newForum(t)
	f.SetLongPollHold(20 * time.Millisecond)
	bus := c.NewMessageBus()
	poll := func(last int64) []discourse.BusMessage {
		t.Helper()
		msgs, err := bus.Poll(t.Context(), map[string]int64{discourse.ChannelLatest: last})
		if err != nil {
			t.Fatalf("Poll(%d): %v", last, err)
		}
		return msgs
	}
	status := func(msgs []discourse.BusMessage) (int64, bool) {
		if len(msgs) != 1 {
			return 0, false
		}
		return msgs[0].Status(discourse.ChannelLatest)
	}

	if id, ok := status(poll(-1)); !ok || id != 0 {
		t.Fatalf("-1 on an empty bus: got id %d (status %v), want a status of 0", id, ok)
	}
	seedPosts(f, 2)
	if id, ok := status(poll(-1)); !ok || id != 2 {
		t.Fatalf("-1 after two posts: got id %d (status %v), want a status of 2 without history", id, ok)
	}
	msgs := poll(1)
	if len(msgs) != 1 || msgs[0].Channel != discourse.ChannelLatest || msgs[0].MessageID != 2 || len(msgs[0].Data) == 0 {
		t.Fatalf("after id 1: got %+v, want message 2 on /latest", msgs)
	}
	if got := poll(2); len(got) != 0 {
		t.Fatalf("up to date, after the hold: got %+v, want []", got)
	}
	if id, ok := status(poll(9)); !ok || id != 2 {
		t.Fatalf("ahead of the bus: got id %d (status %v), want a status of 2", id, ok)
	}

	f.SetMessageBus(false)
	if _, err := bus.Poll(t.Context(), map[string]int64{discourse.ChannelLatest: 2}); !discourse.IsNotFound(err) {
		t.Fatalf("bus off: got %v, want a 404", err)
	}
}

// liveRun runs p until the test ends or stop is called.
func liveRun(t *testing.T, p *discourse.Poller, cur *memCursors) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, cur.handle) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// livePoller is newPoller with Live on, a tick counter and a log recorder.
func livePoller(t *testing.T, c *discourse.Client, cur *memCursors, cfg discourse.PollerConfig) (*discourse.Poller, *atomic.Int64, *logRecorder) {
	t.Helper()
	var ticks atomic.Int64
	logs := &logRecorder{}
	cfg.Live = true
	cfg.Polled = func(error) { ticks.Add(1) }
	cfg.Logger = slog.New(logs)
	return discourse.NewPoller(c, discourse.NewCatalog(c), cur, cfg), &ticks, logs
}

func TestLiveHandsOnWithoutWaitingForTheInterval(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 2)
	cur := newCursors()
	// An hour's interval: only the MessageBus can explain a hand-off within the test's time.
	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{Interval: time.Hour})
	liveRun(t, p, cur)

	waitFor(t, "the first tick", func() bool { return ticks.Load() >= 1 })
	var want []int64
	for i := range 3 {
		waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })
		want = append(want, f.Reply(1, "bob", "live reply "+topicTitle(i)))
		waitFor(t, "the reply handed on", func() bool { return slices.Equal(cur.ids(), want) })
	}
	if got := cur.value(discourse.CursorPosts); got != want[len(want)-1] {
		t.Fatalf("cursor = %d, want %d", got, want[len(want)-1])
	}
}

func TestLiveIdleCostsOnlyLongPolls(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 3)
	f.SetLongPollHold(5 * time.Millisecond) // many empty answers within the test
	cur := newCursors()
	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{Interval: time.Hour})
	discourse.SetLiveTiming(p, time.Millisecond, time.Hour)
	stop := liveRun(t, p, cur)

	waitFor(t, "the first ticks", func() bool { return ticks.Load() >= 2 })
	waitFor(t, "ten long polls", func() bool { return f.MessageBusPolls() >= 10 })
	stop()
	if got := f.Requests("/posts.json"); got != 2 {
		t.Errorf("/posts.json asked %d times while idle, want twice (at start, and on the bus's first answer)", got)
	}
	if all, bus := f.Requests(""), f.MessageBusPolls(); all != bus+2 {
		t.Errorf("%d requests in all, %d of them long polls: want nothing else but the first ticks'", all, bus)
	}
	if got := ticks.Load(); got != 2 {
		t.Errorf("%d ticks while idle, want 2", got)
	}
}

func TestLiveFallsBackToPollingWhenTheMessageBusFails(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 2)
	f.SetMessageBus(false) // 404, as a forum that does not route /message-bus/
	cur := newCursors()
	p, ticks, logs := livePoller(t, c, cur, discourse.PollerConfig{Interval: 5 * time.Millisecond})
	discourse.SetLiveTiming(p, 0, time.Millisecond) // retry the MessageBus often
	liveRun(t, p, cur)

	waitFor(t, "the first tick", func() bool { return ticks.Load() >= 1 })
	want := []int64{f.Reply(1, "bob", "found by interval polling")}
	waitFor(t, "the reply handed on", func() bool { return slices.Equal(cur.ids(), want) })
	waitFor(t, "a few retries of the MessageBus", func() bool { return f.MessageBusPolls() >= 3 })
	if p.Live() {
		t.Error("Live() while the MessageBus fails, want false (polling)")
	}
	if n := logs.count(slog.LevelWarn, "forum live mode unavailable, polling every interval"); n != 1 {
		t.Errorf("the outage was logged %d times at warn level, want once", n)
	}

	// The MessageBus comes back: live mode resumes.
	f.SetMessageBus(true)
	waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })
	waitFor(t, "the recovery logged", func() bool { return logs.count(slog.LevelInfo, "forum live mode is back") == 1 })
	waitFor(t, "Live() to say so", p.Live)
	want = append(want, f.Reply(2, "carol", "found live"))
	waitFor(t, "the reply handed on", func() bool { return slices.Equal(cur.ids(), want) })
}

func TestLiveSafetyNetFindsWhatTheBusDoesNotAnnounce(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 1)
	f.AddGroup("staff")
	cur := newCursors()
	// Private messages are not published on /latest: only the safety-net tick
	// (12 × the interval) finds them.
	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{Interval: 5 * time.Millisecond,
		Private: func() bool { return true }})
	liveRun(t, p, cur)

	waitFor(t, "the first tick", func() bool { return ticks.Load() >= 1 })
	_, pm := f.CreatePrivateMessage("Secret", "A private message", "alice", "staff")
	waitFor(t, "the private message handed on", func() bool { return slices.Equal(cur.ids(), []int64{pm}) })
}

func TestLiveExactlyOnceAcrossBurstsAndRestart(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 3)
	cur := newCursors()
	var want []int64

	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{Interval: time.Hour})
	stop := liveRun(t, p, cur)
	waitFor(t, "the first tick", func() bool { return ticks.Load() >= 1 })
	for burst := range 3 {
		for i := range 7 {
			want = append(want, f.Reply(int64(i%3+1), "bob", "burst "+topicTitle(burst*10+i)))
		}
		waitFor(t, "the burst handed on", func() bool { return len(cur.ids()) >= len(want) })
	}
	stop()
	// Posts while the bot is down are found by the first tick of the next run.
	want = append(want, f.Reply(1, "carol", "while down"), f.Reply(2, "carol", "also while down"))
	p, ticks, _ = livePoller(t, c, cur, discourse.PollerConfig{Interval: time.Hour})
	liveRun(t, p, cur)
	waitFor(t, "the first tick after the restart", func() bool { return ticks.Load() >= 1 })
	waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })
	want = append(want, f.Reply(3, "dave", "after the restart"))
	waitFor(t, "every post handed on", func() bool { return len(cur.ids()) >= len(want) })
	if got := cur.ids(); !slices.Equal(got, want) {
		t.Fatalf("handed on %v, want each of %v once, in order", got, want)
	}
}

// logRecorder is a slog.Handler that keeps each record's level and message.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) count(level slog.Level, msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

// A new private message to a group with a rule arrives live: the group's private-message
// channel is followed in the same long poll as /latest.
func TestLivePrivateMessagesArriveOnTheGroupChannel(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 1)
	gid := f.AddGroup("support")
	f.AddGroup("other")
	cur := newCursors()
	// An hour's interval: only the MessageBus can explain a hand-off within the test's time.
	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{Interval: time.Hour,
		Private: func() bool { return true }, PrivateGroups: func() []string { return []string{"Support"} }})
	liveRun(t, p, cur)

	waitFor(t, "the first tick", func() bool { return ticks.Load() >= 1 })
	waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })
	_, pm := f.CreatePrivateMessage("Help", "A private message", "alice", "support")
	waitFor(t, "the private message handed on", func() bool { return slices.Equal(cur.ids(), []int64{pm}) })
	asks := f.MessageBusAsks()
	last := asks[len(asks)-1]
	if _, ok := last[discourse.PrivateMessageGroupChannel(gid)]; !ok || len(last) != 4 {
		t.Errorf("the long poll asked for %v, want /latest, /categories, %s and the API user's channel only", last, discourse.PrivateMessageGroupChannel(gid))
	}

	// A reply in the message arrives on the API user's own channel.
	waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })
	reply := f.Reply(pmTopic(t, f, pm), "bob", "a reply in private")
	waitFor(t, "the private reply handed on", func() bool { return slices.Equal(cur.ids(), []int64{pm, reply}) })
}

// pmTopic finds the topic of a private message's post, as the forum lists it.
func pmTopic(t *testing.T, f *discoursetest.Server, postID int64) int64 {
	t.Helper()
	c := newClient(t, f, nil)
	posts, err := c.PrivatePosts(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range posts {
		if p.ID == postID {
			return p.TopicID
		}
	}
	t.Fatalf("post %d is not listed", postID)
	return 0
}

// After a MessageBus error the listener resumes from the ids it had (the forum replays the
// backlog), instead of subscribing afresh from -1 and forgetting its place.
func TestLiveKeepsItsPlaceAcrossMessageBusErrors(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 2)
	cur := newCursors()
	p, ticks, logs := livePoller(t, c, cur, discourse.PollerConfig{Interval: time.Hour})
	discourse.SetLiveTiming(p, 0, time.Millisecond)
	liveRun(t, p, cur)
	waitFor(t, "the first tick", func() bool { return ticks.Load() >= 1 })
	waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })
	want := []int64{f.Reply(1, "bob", "live")}
	waitFor(t, "the reply handed on", func() bool { return slices.Equal(cur.ids(), want) })

	f.SetMessageBus(false)
	// This reply ends the held poll; the next ones fail.
	want = append(want, f.Reply(1, "bob", "as the bus goes"))
	waitFor(t, "the outage noticed", func() bool {
		return logs.count(slog.LevelWarn, "forum live mode unavailable, polling every interval") == 1
	})
	want = append(want, f.Reply(2, "carol", "during the outage"))
	before := len(f.MessageBusAsks())
	f.SetMessageBus(true)
	waitFor(t, "the reply of the outage handed on", func() bool { return slices.Equal(cur.ids(), want) })
	asks := f.MessageBusAsks()[before:]
	if len(asks) == 0 || asks[0][discourse.ChannelLatest] < 3 {
		t.Fatalf("after the outage the first poll asked for %v, want /latest from the last id seen (3 or 4), not afresh", asks)
	}
}

// However long the MessageBus was down, it is tried again at least every ~27 s, so live mode is
// back within 30 s of the bus answering.
func TestLiveRetriesAFailedMessageBusWithin30s(t *testing.T) {
	if got := discourse.LiveRetryBound(); got > 28*time.Second || got < 10*time.Second {
		t.Fatalf("longest wait between MessageBus tries = %v, want at most 28 s (and backing off)", got)
	}
}

// A group rule added while a long poll is held is followed at once (Resubscribe), and the
// first message after it arrives live.
func TestLiveResubscribesWhenGroupRulesChange(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 1)
	f.AddGroup("support")
	f.AddGroup("staff")
	cur := newCursors()
	var groups atomic.Pointer[[]string]
	groups.Store(&[]string{})
	var since atomic.Pointer[time.Time]
	since.Store(&time.Time{})
	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{Interval: time.Hour,
		Private: func() bool { return len(*groups.Load()) > 0 }, PrivateGroups: func() []string { return *groups.Load() },
		PrivateSince: func() time.Time { return *since.Load() }})
	liveRun(t, p, cur)
	waitFor(t, "the first tick", func() bool { return ticks.Load() >= 1 })
	waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })

	now := time.Now().Add(-time.Millisecond)
	since.Store(&now)
	groups.Store(&[]string{"support"})
	p.Resubscribe()
	waitFor(t, "a long poll with the group's channel", func() bool {
		asks := f.MessageBusAsks()
		return f.HeldPolls() == 1 && len(asks[len(asks)-1]) == 4 // with /latest, /categories and the user's
	})
	_, pm := f.CreatePrivateMessage("Help", "A private message", "alice", "support")
	waitFor(t, "the private message handed on", func() bool { return slices.Equal(cur.ids(), []int64{pm}) })

	// A message sent right after another group's rule, before the listener has even asked for
	// its channel, is not left to the safety net.
	groups.Store(&[]string{"staff", "support"})
	p.Resubscribe()
	_, pm2 := f.CreatePrivateMessage("Staff only", "Another private message", "alice", "staff")
	waitFor(t, "the second private message handed on", func() bool { return slices.Equal(cur.ids(), []int64{pm, pm2}) })
}

// A category's change on the forum's /categories channel makes the next lookup read the
// categories again (one request), whether the API user may read the message (a public
// category) or only sees its id move (a category restricted to groups it is not in).
func TestLiveCategoryChangeRefreshesTheCatalogue(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 1)
	cat := f.AddCategory(discourse.Category{Name: "Team"})
	f.SetLongPollHold(50 * time.Millisecond) // a withheld message shows at the next poll
	cur := newCursors()
	k := discourse.NewCatalog(c)
	p := discourse.NewPoller(c, k, cur, discourse.PollerConfig{Interval: time.Hour, Live: true, Logger: slog.New(slog.DiscardHandler)})
	discourse.SetLiveTiming(p, time.Millisecond, time.Hour)
	liveRun(t, p, cur)
	restricted := func() bool {
		t.Helper()
		got, ok, err := k.Category(t.Context(), cat)
		if err != nil || !ok {
			t.Fatalf("Category(%d) = %v, %v", cat, ok, err)
		}
		return got.ReadRestricted
	}
	if restricted() {
		t.Fatal("Team is restricted from the start")
	}
	waitFor(t, "a long poll on /categories", func() bool {
		asks := f.MessageBusAsks()
		if len(asks) == 0 {
			return false
		}
		_, ok := asks[len(asks)-1][discourse.ChannelCategories]
		return ok
	})
	sites := f.Requests("/site.json")

	f.AddGroup("team")
	f.RestrictCategory(cat, "team") // the API user is not in "team": it sees only the id move
	waitFor(t, "the catalogue to see Team restricted", restricted)
	f.SetCategoryReadRestricted(cat, false) // public again: a message everyone reads
	waitFor(t, "the catalogue to see Team public", func() bool { return !restricted() })
	f.DeleteCategory(cat)
	waitFor(t, "the catalogue to drop Team", func() bool {
		cats, err := k.Categories(t.Context())
		return err == nil && !slices.ContainsFunc(cats, func(c discourse.Category) bool { return c.ID == cat })
	})
	if n := f.Requests("/site.json") - sites; n != 3 {
		t.Errorf("three category changes cost %d requests of /site.json, want 3", n)
	}
}

// The fake's MessageBus withholds a message published to groups the poller is not in, as
// message_bus does: the poll answers the channel's new id in /__status instead.
func TestMessageBusWithholdsGroupMessages(t *testing.T) {
	f, c := newForum(t)
	cat := f.AddCategory(discourse.Category{Name: "Team"})
	f.AddGroup("team")
	f.RestrictCategory(cat, "team")
	msgs, err := c.NewMessageBus().PollNow(t.Context(), map[string]int64{discourse.ChannelCategories: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %+v, want one /__status", msgs)
	}
	if id, ok := msgs[0].Status(discourse.ChannelCategories); !ok || id != 1 {
		t.Fatalf("got %+v, want the status of /categories at 1", msgs)
	}
	f.AddGroupMember("team", "system")
	msgs, err = c.NewMessageBus().PollNow(t.Context(), map[string]int64{discourse.ChannelCategories: 0})
	if err != nil || len(msgs) != 1 || msgs[0].Channel != discourse.ChannelCategories {
		t.Fatalf("a member of the group: got %+v, %v, want the message", msgs, err)
	}
}

// A tick that fails in live mode (here the handler: say the categories a batch needs did not
// answer) is tried again after the poll interval, not left to the next MessageBus message or
// the safety net (60 intervals: beyond this test's wait).
func TestLiveRetriesAFailedTickAfterTheInterval(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 1)
	cur := newCursors()
	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{Interval: 500 * time.Millisecond})
	liveRun(t, p, cur)
	waitFor(t, "the first ticks (at start, and at the first MessageBus answer)", func() bool { return ticks.Load() >= 2 })
	waitFor(t, "a held long poll", func() bool { return f.HeldPolls() == 1 })
	cur.mu.Lock()
	cur.failErr = errors.New("the categories did not answer")
	cur.mu.Unlock()
	before := ticks.Load()
	reply := f.Reply(1, "bob", "a reply")
	waitFor(t, "the failed tick", func() bool { return ticks.Load() > before })
	cur.mu.Lock()
	cur.failErr = nil
	cur.mu.Unlock()
	waitFor(t, "the reply handed on by the retry", func() bool { return slices.Equal(cur.ids(), []int64{reply}) })
}
