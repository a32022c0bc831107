package discourse_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

// newClock is a settable time for the poller's hold and backoff, starting now.
func newClock() *clockwork.FakeClock { return clockwork.NewFakeClockAt(time.Now()) }

// clockedPoller is a poller ticking every second on clk, past its first poll.
func clockedPoller(t *testing.T, c *discourse.Client, cur *memCursors, clk *clockwork.FakeClock) *discourse.Poller {
	t.Helper()
	p := newPoller(t, c, cur, discourse.PollerConfig{Interval: time.Second, Now: clk.Now})
	pollOnce(t, p, cur)
	return p
}

// A topic whose /t/{id}.json keeps failing holds up no other post: the others are handed on at
// once, and the held one on its own once its topic answers again, exactly once.
func TestBrokenTopicHoldsUpNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
	}{{"5xx", 502}, {"bad JSON", discoursetest.BrokenJSON}} {
		t.Run(tc.name, func(t *testing.T) {
			f, c := newForum(t)
			cat := f.AddCategory(discourse.Category{Name: "General"})
			cur, clk := newCursors(), newClock()
			p := clockedPoller(t, c, cur, clk)

			bad, badPost := f.CreateTopic("Broken topic", "first", "alice", cat)
			f.BreakTopic(bad, tc.status)
			_, good1 := f.CreateTopic("Fine topic", "fine", "alice", cat)
			badReply := f.Reply(bad, "bob", "a reply in the broken topic")
			_, good2 := f.CreateTopic("Another fine topic", "fine too", "alice", cat)
			pollOnce(t, p, cur)
			if got, want := cur.ids(), []int64{good1, good2}; !slices.Equal(got, want) {
				t.Fatalf("handed on %v, want the posts of readable topics %v", got, want)
			}
			held := p.Held()
			if len(held) != 2 || held[0].PostID != badPost || held[1].PostID != badReply || held[0].Parked {
				t.Fatalf("Held = %+v, want the broken topic's two posts, not parked", held)
			}
			_, good3 := f.CreateTopic("Later topic", "later", "alice", cat)
			pollOnce(t, p, cur) // the held posts are not due yet: only the new one
			if got := cur.ids(); !slices.Equal(got, []int64{good1, good2, good3}) {
				t.Fatalf("handed on %v, want %v then %d", got, []int64{good1, good2}, good3)
			}

			f.BreakTopic(bad, 0)
			clk.Advance(time.Minute)
			pollOnce(t, p, cur)
			pollOnce(t, p, cur)
			if got, want := cur.ids(), []int64{good1, good2, good3, badPost, badReply}; !slices.Equal(got, want) {
				t.Fatalf("handed on %v, want %v: the held posts once, after the rest", got, want)
			}
			if h := p.Held(); len(h) != 0 {
				t.Errorf("Held after the topic answered = %+v, want none", h)
			}
			if posts := cur.posts(); posts[3].TopicTitle != "Broken topic" {
				t.Errorf("held post title = %q", posts[3].TopicTitle)
			}
		})
	}
}

// A topic that never answers: after HoldFor its posts are announced from what /posts.json says,
// and a private message, whose groups only the topic tells, is parked and visible in Held.
func TestBrokenTopicGivenUpAfterHoldFor(t *testing.T) {
	f, c := newForum(t)
	cat := f.AddCategory(discourse.Category{Name: "General"})
	f.AddGroup("support")
	cur := newCursors()
	clk := newClock()
	p := newPoller(t, c, cur, discourse.PollerConfig{Interval: time.Second, Now: clk.Now, HoldFor: 5 * time.Minute,
		Private: func() bool { return true }})
	pollOnce(t, p, cur)

	bad, badPost := f.CreateTopic("Broken topic", "first", "alice", cat)
	f.BreakTopic(bad, 500)
	pm, pmPost := f.CreatePrivateMessage("Help", "please", "alice", "support")
	f.BreakTopic(pm, 500)
	pollOnce(t, p, cur)
	if got := cur.ids(); len(got) != 0 {
		t.Fatalf("handed on %v while the topics fail", got)
	}
	for range 10 { // retried with backoff, then given up on
		clk.Advance(time.Minute)
		pollOnce(t, p, cur)
	}
	if got := cur.ids(); !slices.Equal(got, []int64{badPost}) {
		t.Fatalf("handed on %v, want the public post %d from the post list", got, badPost)
	}
	if q := cur.posts()[0]; q.TopicTitle != "Broken topic" || q.CategoryID != cat || q.URL == "" {
		t.Errorf("post announced from the list = title %q, category %d, url %q", q.TopicTitle, q.CategoryID, q.URL)
	}
	held := p.Held()
	if len(held) != 1 || held[0].PostID != pmPost || !held[0].Parked || held[0].Attempts < 3 || held[0].LastError == "" {
		t.Fatalf("Held = %+v, want the private message parked after several attempts", held)
	}

	// A restart remembers the parked message and announces nothing again.
	p2 := newPoller(t, c, cur, discourse.PollerConfig{Interval: time.Second, Now: clk.Now, Private: func() bool { return true }})
	pollOnce(t, p2, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{badPost}) {
		t.Fatalf("after a restart handed on %v, want still only %d", got, badPost)
	}
	if h := p2.Held(); len(h) != 1 || !h[0].Parked || h[0].PostID != pmPost {
		t.Errorf("Held after a restart = %+v, want the parked message", h)
	}
}

// A restart while a post is held neither loses it nor announces the others twice.
func TestHeldPostSurvivesRestart(t *testing.T) {
	f, c := newForum(t)
	cat := f.AddCategory(discourse.Category{Name: "General"})
	cur, clk := newCursors(), newClock()
	p := clockedPoller(t, c, cur, clk)
	bad, badPost := f.CreateTopic("Broken topic", "first", "alice", cat)
	f.BreakTopic(bad, 503)
	_, good := f.CreateTopic("Fine topic", "fine", "alice", cat)
	pollOnce(t, p, cur)

	f.BreakTopic(bad, 0)
	p2 := clockedPoller(t, c, cur, clk)
	pollOnce(t, p2, cur)
	if got, want := cur.ids(), []int64{good, badPost}; !slices.Equal(got, want) {
		t.Fatalf("handed on %v, want %v", got, want)
	}
	if q := cur.posts()[1]; q.TopicTitle != "Broken topic" {
		t.Errorf("held post after restart = %+v", q)
	}
}

// privateRules is what the bot tells the poller about its group rules.
type privateRules struct {
	mu    sync.Mutex
	on    bool
	since time.Time
}

func (r *privateRules) set(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = on
	if on {
		r.since = time.Now()
	}
}

func (r *privateRules) wanted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.on
}

func (r *privateRules) created() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.since
}

// A group rule starts at its creation: a message sent right after it is announced even when the
// first private poll comes later, and re-adding a rule does not replay the messages sent while
// there was none.
func TestGroupRuleStartsAtItsCreation(t *testing.T) {
	f, c := newForum(t)
	f.AddGroup("support")
	cur := newCursors()
	rules := &privateRules{}
	p := newPoller(t, c, cur, discourse.PollerConfig{Private: rules.wanted, PrivateSince: rules.created})
	_, old := f.CreatePrivateMessage("Before any rule", "old", "alice", "support")
	pollOnce(t, p, cur)

	tick := func() { time.Sleep(5 * time.Millisecond) } // forum times have millisecond precision
	tick()
	rules.set(true)
	tick()
	_, first := f.CreatePrivateMessage("Right after the rule", "new", "alice", "support")
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{first}) {
		t.Fatalf("first private poll handed on %v, want the message sent after the rule %d (not %d)", got, first, old)
	}

	rules.set(false)
	pollOnce(t, p, cur)
	f.CreatePrivateMessage("While no rule", "gap 1", "alice", "support")
	f.CreatePrivateMessage("While no rule", "gap 2", "alice", "support")
	pollOnce(t, p, cur)
	tick()
	rules.set(true)
	tick()
	_, again := f.CreatePrivateMessage("After the rule was added again", "again", "alice", "support")
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{first, again}) {
		t.Fatalf("handed on %v, want %v: nothing from while there was no group rule", got, []int64{first, again})
	}
}
