package discourse_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// changeLog records the changes a poller hands on.
type changeLog struct {
	mu  sync.Mutex
	got []discourse.Change
}

func (l *changeLog) add(_ context.Context, c discourse.Change) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, c)
	return nil
}

func (l *changeLog) all() []discourse.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]discourse.Change(nil), l.got...)
}

func TestFollowedChangesCostOneRequestEachAndNoPostListPoll(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 2)
	cur := newCursors()
	changes := &changeLog{}
	p, ticks, _ := livePoller(t, c, cur, discourse.PollerConfig{
		Interval:     time.Hour,
		FollowTopics: func(context.Context) []int64 { return []int64{1} }, // the first seeded topic
		FollowPost:   func(_ context.Context, id int64) bool { return id == ids[0] },
		Changed:      changes.add,
		ChangeDelay:  100 * time.Millisecond,
	})
	liveRun(t, p, cur)
	waitFor(t, "a long poll on /topic/1", func() bool {
		asks := f.MessageBusAsks()
		if len(asks) == 0 {
			return false
		}
		_, ok := asks[len(asks)-1][discourse.TopicChannel(1)]
		return ok && f.HeldPolls() == 1
	})
	waitFor(t, "the first ticks", func() bool { return ticks.Load() >= 2 })
	lists, postPath := f.Requests("/posts.json"), fmt.Sprintf("/posts/%d.json", ids[0])

	for i := range 3 { // a burst
		f.EditPost(ids[0], "", fmt.Sprintf("<p>Edited body %d</p>", i))
	}
	waitFor(t, "the edit handed on", func() bool { return len(changes.all()) == 1 })
	got := changes.all()[0]
	if got.Kind != discourse.PostEdited || got.PostID != ids[0] || !strings.Contains(got.Post.Excerpt, "Edited body 2") ||
		got.Post.TopicTitle != topicTitle(0) || got.Post.URL == "" {
		t.Errorf("the edit = %+v, want the post as it reads now, rendered", got)
	}
	if n := f.Requests(postPath); n != 1 {
		t.Errorf("a burst of 3 edits cost %d requests of %s, want 1", n, postPath)
	}

	f.EditPost(ids[1], "", "<p>not followed</p>") // another topic, not followed
	f.DeletePost(ids[0])
	waitFor(t, "the deletion handed on", func() bool { return len(changes.all()) == 2 })
	if got := changes.all()[1]; got.Kind != discourse.PostRemoved || got.PostID != ids[0] {
		t.Errorf("the deletion = %+v", got)
	}
	if n := f.Requests(postPath); n != 1 {
		t.Errorf("a deletion fetched the post: %d requests of %s", n, postPath)
	}
	if n := f.Requests(fmt.Sprintf("/posts/%d.json", ids[1])); n != 0 {
		t.Errorf("a post of a topic not followed was fetched %d times", n)
	}
	if n := f.Requests("/posts.json"); n != lists {
		t.Errorf("changes made the poller read the post list %d more times", n-lists)
	}
}

// waitTopicPoll waits for a long poll held on topic's channel.
func waitTopicPoll(t *testing.T, f interface {
	MessageBusAsks() []map[string]int64
	HeldPolls() int
}, topic int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("a long poll on /topic/%d", topic), func() bool {
		asks := f.MessageBusAsks()
		if len(asks) == 0 {
			return false
		}
		_, ok := asks[len(asks)-1][discourse.TopicChannel(topic)]
		return ok && f.HeldPolls() == 1
	})
}

// Changes made while the poller was stopped are replayed at its next start, from the topic's
// MessageBus id kept in the store, and each once; a change already handed on is not replayed,
// and one still in its debounce when the poller stopped is.
func TestFollowedChangesMadeWhileStoppedAreReplayed(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 3)
	cur := newCursors()
	changes := &changeLog{}
	cfg := func(delay time.Duration) discourse.PollerConfig {
		return discourse.PollerConfig{
			Interval:     time.Hour,
			FollowTopics: func(context.Context) []int64 { return []int64{1, 2, 3} },
			Changed:      changes.add,
			ChangeDelay:  delay,
			Positions:    cur,
		}
	}
	p, _, _ := livePoller(t, c, cur, cfg(100*time.Millisecond))
	stop := liveRun(t, p, cur)
	waitTopicPoll(t, f, 1)
	f.EditPost(ids[0], "", "<p>Edited while running</p>")
	waitFor(t, "the edit handed on", func() bool { return len(changes.all()) == 1 })
	waitFor(t, "the position kept", func() bool { return cur.value("bus:/topic/1") == 1 })
	stop()

	f.EditPost(ids[0], "", "<p>Edited while stopped</p>")
	f.DeletePost(ids[1])
	f.Reply(3, "bob", "a reply: no change to follow")

	// A change in its debounce when the poller stops is not lost either.
	p, _, _ = livePoller(t, c, cur, cfg(time.Hour))
	stop = liveRun(t, p, cur)
	waitTopicPoll(t, f, 1)
	stop()
	if n := len(changes.all()); n != 1 {
		t.Fatalf("%d changes handed on within an hour's debounce", n)
	}
	if got := cur.value("bus:/topic/1"); got != 1 {
		t.Fatalf("the kept position of /topic/1 passed a change not handed on: %d", got)
	}

	p, _, _ = livePoller(t, c, cur, cfg(100*time.Millisecond))
	liveRun(t, p, cur)
	waitFor(t, "the changes made while stopped", func() bool { return len(changes.all()) >= 3 })
	waitTopicPoll(t, f, 1)
	time.Sleep(300 * time.Millisecond) // past another debounce: a repeat would show
	got := changes.all()[1:]
	byPost := map[int64]discourse.Change{}
	for _, ch := range got {
		if _, dup := byPost[ch.PostID]; dup {
			t.Errorf("post %d's change handed on twice: %+v", ch.PostID, got)
		}
		byPost[ch.PostID] = ch
	}
	if e := byPost[ids[0]]; e.Kind != discourse.PostEdited || !strings.Contains(e.Post.Excerpt, "Edited while stopped") {
		t.Errorf("the edit made while stopped = %+v", e)
	}
	if d := byPost[ids[1]]; d.Kind != discourse.PostRemoved {
		t.Errorf("the deletion made while stopped = %+v", d)
	}
	if len(got) != 2 {
		t.Errorf("after the restart %d changes were handed on, want 2: %+v", len(got), got)
	}
}

// A bus reset while the poller was stopped (its kept ids are ahead of the bus) is not an error:
// the poller starts from the bus's ids and follows the changes after them.
func TestFollowedChangesAfterAResetBus(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 1)
	cur := newCursors()
	changes := &changeLog{}
	for range 3 {
		f.EditPost(ids[0], "", "<p>old edit</p>")
	}
	cur.values["bus:/topic/1"] = 3
	f.ResetMessageBus()
	p, _, _ := livePoller(t, c, cur, discourse.PollerConfig{
		Interval: time.Hour, FollowTopics: func(context.Context) []int64 { return []int64{1} },
		Changed: changes.add, ChangeDelay: 50 * time.Millisecond, Positions: cur,
	})
	liveRun(t, p, cur)
	waitTopicPoll(t, f, 1)
	if got := cur.value("bus:/topic/1"); got != 0 {
		t.Errorf("after a reset the kept position is %d, want the bus's 0", got)
	}
	f.EditPost(ids[0], "", "<p>after the reset</p>")
	waitFor(t, "the edit after the reset", func() bool { return len(changes.all()) == 1 })
	if got := changes.all()[0]; !strings.Contains(got.Post.Excerpt, "after the reset") {
		t.Errorf("the change = %+v", got)
	}
}

// A topic no longer followed loses its kept position.
func TestFollowedTopicDroppedForgetsItsPosition(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 2)
	cur := newCursors()
	var follow atomic.Pointer[[]int64]
	follow.Store(&[]int64{1, 2})
	p, _, _ := livePoller(t, c, cur, discourse.PollerConfig{
		Interval: time.Hour, FollowTopics: func(context.Context) []int64 { return *follow.Load() },
		Changed: (&changeLog{}).add, ChangeDelay: 10 * time.Millisecond, Positions: cur,
	})
	liveRun(t, p, cur)
	waitTopicPoll(t, f, 2)
	f.EditPost(ids[1], "", "<p>x</p>")
	waitFor(t, "the position of /topic/2", func() bool { return cur.value("bus:/topic/2") == 1 })
	follow.Store(&[]int64{1})
	p.Resubscribe()
	waitFor(t, "the position of /topic/2 forgotten", func() bool {
		got, _ := cur.Cursors(t.Context(), "bus:")
		_, ok := got["bus:/topic/2"]
		return !ok
	})
}

// A change whose topic the forum does not give for a while (an outage) is tried again with
// backoff and handed on once the forum answers, not dropped.
func TestFollowedChangeTriedAgainAfterAnOutage(t *testing.T) {
	f, _ := newForum(t)
	c := newClient(t, f, func(cfg *discourse.ClientConfig) { cfg.MaxTries = 1 }) // no retry within a call
	ids := seedPosts(f, 1)
	cur := newCursors()
	changes := &changeLog{}
	p, _, _ := livePoller(t, c, cur, discourse.PollerConfig{
		Interval: time.Hour, FollowTopics: func(context.Context) []int64 { return []int64{1} },
		Changed: changes.add, ChangeDelay: 20 * time.Millisecond, Positions: cur,
	})
	liveRun(t, p, cur)
	waitTopicPoll(t, f, 1)
	f.BreakTopic(1, 502)
	f.EditPost(ids[0], "", "<p>Edited during an outage</p>")
	waitFor(t, "two failed tries of the change", func() bool { return f.Requests("/t/1.json") >= 2 })
	if got := cur.value("bus:/topic/1"); got != 0 {
		t.Errorf("the kept position passed a change not handed on: %d", got)
	}
	f.BreakTopic(1, 0)
	waitFor(t, "the edit handed on", func() bool { return len(changes.all()) == 1 })
	if got := changes.all()[0]; got.Kind != discourse.PostEdited || !strings.Contains(got.Post.Excerpt, "during an outage") {
		t.Errorf("the change = %+v", got)
	}
	waitFor(t, "the position kept", func() bool { return cur.value("bus:/topic/1") == 1 })
}

// A change the Changed hook cannot take now (its store failed) is offered again, once taken.
func TestFollowedChangeOfferedAgainWhenNotTaken(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 1)
	cur := newCursors()
	var offers atomic.Int32
	changes := &changeLog{}
	p, _, _ := livePoller(t, c, cur, discourse.PollerConfig{
		Interval: time.Hour, FollowTopics: func(context.Context) []int64 { return []int64{1} },
		Changed: func(ctx context.Context, ch discourse.Change) error {
			if offers.Add(1) == 1 {
				return fmt.Errorf("database is locked")
			}
			return changes.add(ctx, ch)
		},
		ChangeDelay: 20 * time.Millisecond, Positions: cur,
	})
	liveRun(t, p, cur)
	waitTopicPoll(t, f, 1)
	f.DeletePost(ids[0])
	waitFor(t, "the deletion taken", func() bool { return len(changes.all()) == 1 })
	if n := offers.Load(); n != 2 {
		t.Errorf("the change was offered %d times, want 2", n)
	}
	waitFor(t, "the position kept", func() bool { return cur.value("bus:/topic/1") == 1 })
}

// A move or new tags (PostRevisor's reload_topic) of a topic whose post no channel was notified
// of is still handed on, as a topic change carrying the topic as it is now, for one request: the
// topic's JSON. Its later edits without reload_topic are not worth a request.
func TestTopicChangeCostsOneTopicRequest(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 1)
	other := f.AddCategory(discourse.Category{Name: "Elsewhere", Slug: "elsewhere"})
	cur := newCursors()
	changes := &changeLog{}
	p, _, _ := livePoller(t, c, cur, discourse.PollerConfig{
		Interval:     time.Hour,
		FollowTopics: func(context.Context) []int64 { return []int64{1} },
		FollowPost:   func(context.Context, int64) bool { return false }, // never notified
		Changed:      changes.add,
		ChangeDelay:  100 * time.Millisecond,
	})
	liveRun(t, p, cur)
	waitTopicPoll(t, f, 1)
	topicPath, postPath := "/t/1.json", fmt.Sprintf("/posts/%d.json", ids[0])
	before := f.Requests(topicPath)

	f.MoveTopic(1, other)
	f.TagTopic(1, "security") // the same burst: one change, one request
	waitFor(t, "the topic's change handed on", func() bool { return len(changes.all()) == 1 })
	got := changes.all()[0]
	if !got.Topic || got.Kind != discourse.PostEdited || got.PostID != ids[0] || got.Post.CategoryID != other ||
		!slices.Equal(got.Post.Tags, []string{"security"}) || got.Post.CategoryPath != "Elsewhere" || got.Post.URL == "" {
		t.Errorf("the change = %+v, want a topic change with the first post rendered in Elsewhere, tagged security", got)
	}
	if n := f.Requests(topicPath) - before; n != 1 {
		t.Errorf("the move and the new tag cost %d requests of %s, want 1", n, topicPath)
	}
	if n := f.Requests(postPath); n != 0 {
		t.Errorf("the post was fetched %d times: the topic's JSON carries it", n)
	}

	f.EditPost(ids[0], "", "<p>an edit of a post never notified</p>")
	f.MoveTopic(1, other) // a sentinel after it
	waitFor(t, "the sentinel", func() bool { return len(changes.all()) == 2 })
	if n := f.Requests(postPath); n != 0 {
		t.Errorf("an edit of a post never notified cost %d requests", n)
	}
}
