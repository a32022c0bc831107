package discourse_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// changeLog records the changes a poller hands on.
type changeLog struct {
	mu  sync.Mutex
	got []discourse.Change
}

func (l *changeLog) add(_ context.Context, c discourse.Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, c)
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
