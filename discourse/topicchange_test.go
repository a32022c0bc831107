package discourse_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

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
