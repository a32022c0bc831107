package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// followed waits until the bot long-polls a topic's MessageBus channel (a topic it saw, notified
// or not).
func followed(t *testing.T, forum *site, topicID int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // a long poll in flight may take its full hold on a loaded machine
	for !slices.ContainsFunc(forum.MessageBusAsks(), func(ask map[string]int64) bool {
		_, ok := ask[discourse.TopicChannel(topicID)]
		return ok
	}) {
		if time.Now().After(deadline) {
			t.Fatalf("no long poll on topic %d's channel within 60 s", topicID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mentioning returns the messages in ch whose text holds s.
func mentioning(fake adaptertest.Fake, ch adapters.ChannelRef, s string) []adaptertest.Posted {
	var out []adaptertest.Posted
	for _, p := range fake.Posted(ch) {
		if strings.Contains(p.Text, s) && !p.Deleted {
			out = append(out, p)
		}
	}
	return out
}

// sentinelMove moves a new topic from general into meta and waits until ch has its announcement:
// whatever was queued for ch before it has been sent by then.
func sentinelMove(t *testing.T, forum *site, fake adaptertest.Fake, ch adapters.ChannelRef) {
	t.Helper()
	const sentinel = "Sentinel move"
	other, _ := forum.CreateTopic(sentinel, "<p>s</p>", "bob", forum.cat["general"])
	followed(t, forum, other)
	forum.MoveTopic(other, forum.cat["meta"])
	waitUntil(t, "the sentinel's move", func() bool { return len(mentioning(fake, ch, sentinel)) == 1 })
}

// command runs a command in ch as an admin and waits for a reply holding want.
func command(t *testing.T, fake adaptertest.Fake, ch adapters.ChannelRef, text, want string) {
	t.Helper()
	before := len(mentioning(fake, ch, want))
	fake.InjectCommand(ch, text, true)
	waitUntil(t, "the reply to "+text, func() bool { return len(mentioning(fake, ch, want)) > before })
}

// TestTopicMovesAndNewTagsAnnouncedOnce: on every platform, a topic never notified that moves into
// a category with a rule is announced there once, a new tag notifies the tag_added rule once, and
// neither a move back and forth nor the same tag again repeats anything. Each change costs one
// forum request, the topic's JSON.
func TestTopicMovesAndNewTagsAnnouncedOnce(t *testing.T) {
	everyPlatformWith(t, followChanges, func(t *testing.T, forum *site, fake adaptertest.Fake) {
		ch := fake.Channel()
		forum.AddTag("security")
		command(t, fake, ch, "watch meta", "Rule created")
		command(t, fake, ch, "tag_added tag:security", "Rule created")

		const title = "Password reset loop"
		topicID, postID := forum.CreateTopic(title, "<p>It loops.</p>", "alice", forum.cat["general"])
		followed(t, forum, topicID)
		topicPath, postPath := fmt.Sprintf("/t/%d.json", topicID), fmt.Sprintf("/posts/%d.json", postID)
		fetched, sites := forum.Requests(topicPath), forum.Requests("/site.json")
		if n := len(mentioning(fake, ch, title)); n != 0 {
			t.Fatalf("a topic in general was announced %d times before any change", n)
		}

		start := time.Now()
		forum.MoveTopic(topicID, forum.cat["meta"])
		waitUntil(t, "the move into meta announced", func() bool { return len(mentioning(fake, ch, title)) == 1 })
		t.Logf("move → chat: %s (debounce %s)", time.Since(start).Round(time.Millisecond), 300*time.Millisecond)
		if moved := mentioning(fake, ch, title)[0]; !strings.Contains(moved.Text, "Meta") {
			t.Errorf("the move's announcement does not name the new category: %q", moved.Text)
		}
		forum.TagTopic(topicID, "security")
		waitUntil(t, "the new tag announced", func() bool { return len(mentioning(fake, ch, title)) == 2 })

		// Back and forth, and the tag removed and added again: nothing new.
		waitUntil(t, "the two changes read", func() bool { return forum.Requests(topicPath) == fetched+2 })
		forum.MoveTopic(topicID, forum.cat["general"])
		waitUntil(t, "the move back read", func() bool { return forum.Requests(topicPath) == fetched+3 })
		forum.MoveTopic(topicID, forum.cat["meta"])
		waitUntil(t, "the move into meta again read", func() bool { return forum.Requests(topicPath) == fetched+4 })
		forum.TagTopic(topicID)
		waitUntil(t, "the tag's removal read", func() bool { return forum.Requests(topicPath) == fetched+5 })
		forum.TagTopic(topicID, "security")
		waitUntil(t, "the tag again read", func() bool { return forum.Requests(topicPath) == fetched+6 })
		// A sentinel, queued after all of it in the same channel: once it is there, nothing else is coming.
		sentinelMove(t, forum, fake, ch)
		if n := len(mentioning(fake, ch, title)); n != 2 {
			t.Errorf("the topic was announced %d times; want 2 (the move, the tag), whatever came after", n)
		}
		if n := forum.Requests(postPath); n != 0 {
			t.Errorf("following the topic's changes fetched its post %d times: the topic's JSON carries it", n)
		}
		if n := forum.Requests(topicPath) - fetched; n != 6 {
			t.Errorf("six changes cost %d requests of %s; want one each", n, topicPath)
		}
		// The categories are read again (one request) for a change that may reach a public
		// channel, so that a category made restricted just before does not leak: at most once
		// for each of the seven changes (the sentinel's included), never twice.
		if n := forum.Requests("/site.json") - sites; n > 7 {
			t.Errorf("seven changes cost %d requests of /site.json; want at most one each", n)
		} else {
			t.Logf("seven changes: 7 topic requests, %d of /site.json", n)
		}

		command(t, fake, ch, "status", "Forum changes followed")
		st := mentioning(fake, ch, "Forum changes followed")
		if got := st[len(st)-1].Text; !strings.Contains(got, "4 moves, 1 tag notification") {
			t.Errorf("status: %q; want 4 moves (three of the topic's, the sentinel's) and 1 tag notification", got)
		}
	})
}

// TestTopicMovedIntoRestrictedCategoryAnnouncedInPrivateChannel: a topic moved into a
// read-restricted category is announced, once, in the private channel whose rule names the
// category, on two platforms (that it leaves public channels: TestTopicMovedIntoRestrictedCategory-
// LeavesPublicChannels).
func TestTopicMovedIntoRestrictedCategoryAnnouncedInPrivateChannel(t *testing.T) {
	check := func(t *testing.T, forum *site, fake adaptertest.Fake) {
		ch := fake.Channel()
		command(t, fake, ch, "watch staff", "Rule created")
		const title = "Leaked credentials"
		topicID, _ := forum.CreateTopic(title, "<p>Rotate them.</p>", "alice", forum.cat["general"])
		followed(t, forum, topicID)
		forum.MoveTopic(topicID, forum.cat["staff"])
		waitUntil(t, "the move into staff announced in the private channel", func() bool { return len(mentioning(fake, ch, title)) == 1 })
		if got := mentioning(fake, ch, title)[0].Text; !strings.Contains(got, "Staff") {
			t.Errorf("the announcement does not name the restricted category: %q", got)
		}
	}
	private := func(ref adapters.ChannelRef) botOption {
		return func(o *Options) {
			followChanges(o)
			o.Access.PrivateChannels = []string{ref.String()}
		}
	}
	t.Run("slack", func(t *testing.T) {
		forum := newSite(t)
		fake, _, _ := startChat(t, slackPlatform, forum, private(slackGeneral), nil)
		check(t, forum, fake)
	})
	t.Run("discord", func(t *testing.T) {
		forum := newSite(t)
		fake, _, _ := startChat(t, discordPlatform, forum, private(adapters.ChannelRef{Platform: "discord", ChatID: discordtest.ChannelID}), nil)
		check(t, forum, fake)
	})
}

// TestTopicChangesNotRepeatedAfterRestart: the topic states and notices are durable, so after a
// restart neither a move back and forth nor a tag removed and added again announces anything
// twice, and a change made while the bot was down is not announced from a stale memory.
func TestTopicChangesNotRepeatedAfterRestart(t *testing.T) {
	forum := newSite(t)
	forum.AddTag("security")
	db := filepath.Join(t.TempDir(), "bot.db")
	rec1 := newRecorder("console")
	r1 := startBot(t, forum, rec1, db, followChanges, func(o *Options) { o.HTTPListen = "127.0.0.1:0" })
	mustReply(t, r1.rec.command(t, "console:a", "watch support"), "support")
	mustReply(t, r1.rec.command(t, "console:a", "tag_added tag:security"), "security")
	topicID, _ := forum.CreateTopic("Moved and tagged", "<p>x</p>", "bob", forum.cat["general"])
	followed(t, forum, topicID)
	forum.MoveTopic(topicID, forum.cat["support"])
	rec1.waitFor(t, "the move", func(s []sentNote) bool { return len(titles(s)) == 1 })
	forum.TagTopic(topicID, "security")
	rec1.waitFor(t, "the tag", func(s []sentNote) bool { return len(titles(s)) == 2 })
	r1.settle(t)
	b1 := <-r1.bot
	r1.bot <- b1
	_, scraped := scrape(t, b1.HTTPAddr(), "/metrics")
	for series, want := range map[string]float64{
		`discourse_chatbot_changes_queued_total{kind="moved"}`:     1,
		`discourse_chatbot_changes_queued_total{kind="tag_added"}`: 1,
	} {
		if got := metricValue(t, scraped, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}

	rec2 := newRecorder("console")
	r2 := startBot(t, forum, rec2, db, followChanges)
	followed(t, forum, topicID)
	fetched := forum.Requests(fmt.Sprintf("/t/%d.json", topicID))
	forum.MoveTopic(topicID, forum.cat["general"])
	forum.TagTopic(topicID)
	waitUntil(t, "the changes read", func() bool { return forum.Requests(fmt.Sprintf("/t/%d.json", topicID)) > fetched })
	forum.MoveTopic(topicID, forum.cat["support"])
	forum.TagTopic(topicID, "security")
	// A sentinel: another topic moved into support after all of it.
	other, _ := forum.CreateTopic("Sentinel", "<p>s</p>", "bob", forum.cat["general"])
	followed(t, forum, other)
	forum.MoveTopic(other, forum.cat["support"])
	rec2.waitFor(t, "the sentinel", func(s []sentNote) bool { return slices.Contains(titles(s), "Sentinel#1") })
	r2.settle(t)
	if got, want := titles(rec1.in("console:a")), []string{"Moved and tagged#1", "Moved and tagged#1"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first run sent %q, want %q (the move, the tag)", got, want)
	}
	if got, want := titles(rec2.in("console:a")), []string{"Sentinel#1"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the restart the bot sent %q, want only %q", got, want)
	}
}

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
	fake, _, _ := slackPlatform.start(t, forum, func(o *Options) { followChanges(o); withStore(st)(o) })
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
