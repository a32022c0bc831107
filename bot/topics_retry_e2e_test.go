package bot

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// flakyTopicStates is a store whose next TopicState calls fail, as a locked or unreachable
// database does.
type flakyTopicStates struct {
	state.Store
	fails atomic.Int32
}

func (s *flakyTopicStates) TopicState(ctx context.Context, topicID int64) (state.TopicState, bool, error) {
	if s.fails.Add(-1) >= 0 {
		return state.TopicState{}, false, errors.New("database is locked (SQLITE_BUSY)")
	}
	return s.Store.TopicState(ctx, topicID)
}

// TestTopicMoveAnnouncedAfterTheStoreFailed: a topic's move that comes while the store does not
// answer is still announced, once, when the change is offered again (it used to be logged as an
// error and dropped).
func TestTopicMoveAnnouncedAfterTheStoreFailed(t *testing.T) {
	forum := newSite(t)
	st := &flakyTopicStates{Store: openTestStore(t, filepath.Join(t.TempDir(), "bot.db"))}
	t.Cleanup(func() { st.Close() })
	fake := slackPlatform.start(t, forum, func(o *Options) { followChanges(o); withStore(st)(o) })
	ch := fake.Channel()
	command(t, fake, ch, "watch meta", "Rule created")

	const title = "Moved during a store outage"
	topicID, _ := forum.CreateTopic(title, "<p>x</p>", "alice", forum.cat["general"])
	followed(t, forum, topicID)
	st.fails.Store(2)
	forum.MoveTopic(topicID, forum.cat["meta"])
	waitUntil(t, "the move into meta announced after the store answered again", func() bool {
		return len(mentioning(fake, ch, title)) == 1
	})
	if n := st.fails.Load(); n > 0 {
		t.Fatalf("the store's failures were not met (%d left): the test proves nothing", n)
	}
	// A sentinel behind it in the same channel: once it is there, no second announcement is coming.
	sentinelMove(t, forum, fake, ch)
	if n := len(mentioning(fake, ch, title)); n != 1 {
		t.Errorf("the move was announced %d times; want once", n)
	}
}
