package bot

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// TestChangesWhileTheBotWasDownAreFollowedAtStart: on every platform, a post notified, then the
// bot stopped, the post edited and another deleted on the forum, the bot started again: the
// forum's MessageBus replays the changes from the positions kept, and chat shows each once.
func TestChangesWhileTheBotWasDownAreFollowedAtStart(t *testing.T) {
	t.Run("slack", func(t *testing.T) { changesWhileDown(t, slackPlatform, nil) })
	t.Run("discord", func(t *testing.T) { changesWhileDown(t, discordPlatform, nil) })
	t.Run("mattermost", func(t *testing.T) { changesWhileDown(t, mattermostPlatform, nil) })
	t.Run("matrix", func(t *testing.T) { changesWhileDown(t, matrixPlatform, nil) })
	t.Run("telegram", func(t *testing.T) {
		changesWhileDown(t, telegramPlatform, func(f *telegramtest.Server) {
			f.AddChat(-1009999999999, "supergroup", "Marker", false)
		})
	})
}

func changesWhileDown[F platformFake](t *testing.T, p chatPlatform[F], seed func(F)) {
	forum := newSite(t)
	fake := p.newFake()
	if seed != nil {
		seed(fake)
	}
	closeFake(t, "fake "+p.name, fake)
	db := filepath.Join(t.TempDir(), "bot.db")
	build := func(st state.Store) []adapters.Adapter { return []adapters.Adapter{p.adapter(t, fake, st)} }
	run := runTestBot(t, forum.URL(), db, build, followChanges)
	p.ready(t, fake)
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
	runTestBot(t, forum.URL(), db, build, followChanges)
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
}

var _ adaptertest.Fake = platformFake(nil)
