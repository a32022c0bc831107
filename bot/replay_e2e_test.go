package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// TestChangesWhileTheBotWasDownAreFollowedAtStart: on every platform, a post notified, then the
// bot stopped, the post edited and another deleted on the forum, the bot started again: the
// forum's MessageBus replays the changes from the positions kept, and chat shows each once.
func TestChangesWhileTheBotWasDownAreFollowedAtStart(t *testing.T) {
	everyPlatformRun(t, followChanges, func(t *testing.T, forum *site, fake adaptertest.Fake, run *testRun, again func() *testRun) {
		ch := fake.Channel()
		command(t, fake, ch, "watch support", "Rule created")
		editedTopic, edited, msgEdited := notifiedAndFollowed(t, forum, fake, ch, "Installer stops")
		deletedTopic, deleted, msgDeleted := notifiedAndFollowed(t, forum, fake, ch, "Disk full")
		// Once the bot long-polls both topics from an id, it has taken (and kept) their positions.
		waitUntil(t, "a long poll on both topics from their ids", func() bool {
			asks := forum.MessageBusAsks()
			if len(asks) == 0 {
				return false
			}
			last := asks[len(asks)-1]
			a, okA := last[discourse.TopicChannel(editedTopic)]
			b, okB := last[discourse.TopicChannel(deletedTopic)]
			return okA && okB && a >= 0 && b >= 0
		})
		if err := run.stop(); err != nil {
			t.Fatalf("first run: %v", err)
		}

		forum.EditPost(edited, "", "<p>It stops at step 4, @everyone.</p>")
		forum.EditPost(edited, "", "<p>It stops at step 5.</p>")
		forum.DeletePost(deleted)
		before := len(fake.Posted(ch))
		sites := forum.Requests("/site.json")

		start := time.Now()
		again()
		waitUntil(t, "the edit made while the bot was down", func() bool {
			m, _ := current(fake, ch, msgEdited.ID)
			return strings.Contains(m.Text, "step 5")
		})
		t.Logf("start → the edit made while down in chat: %s (debounce %s)", time.Since(start).Round(time.Millisecond), 300*time.Millisecond)
		waitUntil(t, "the deletion made while the bot was down", func() bool {
			m, ok := current(fake, ch, msgDeleted.ID)
			return !ok || m.Deleted
		})
		time.Sleep(2 * 300 * time.Millisecond) // past another debounce: a repeat would show
		if m, _ := current(fake, ch, msgEdited.ID); m.Edits != 1 {
			t.Errorf("the two edits made while down made %d updates in chat, want 1", m.Edits)
		}
		if got := len(fake.Posted(ch)); got != before {
			t.Errorf("following the changes posted %d new messages: %v", got-before, fake.Posted(ch)[before:])
		}
		if n := forum.Requests(fmt.Sprintf("/posts/%d.json", edited)); n != 1 {
			t.Errorf("the replayed edits cost %d requests of the post, want 1", n)
		}
		t.Logf("forum requests of the replay: /posts/{id}.json 1 for the edits, 0 for the deletion; /site.json %d since the start (start-up included)",
			forum.Requests("/site.json")-sites)
	})
}

var _ adaptertest.Fake = platformFake(nil)
