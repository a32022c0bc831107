package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// followChanges runs the bot in live mode, following changes with a short debounce.
func followChanges(o *Options) {
	o.Forum.Live, o.Forum.FollowChangesFor, o.Forum.ChangeDelay = true, 24*time.Hour, 300*time.Millisecond
}

// editors are the platforms whose adapters edit and delete their notifications so far.
var editors = map[string]bool{"slack": true, "telegram": true, "discord": true, "mattermost": true, "matrix": true}

// everyEditor runs fn on every platform whose adapter edits and deletes its notifications, with
// the bot following the forum's changes, once an admin's rule (such as "watch support") is made in
// the platform's channel ch.
func everyEditor(t *testing.T, rule string, fn func(t *testing.T, forum *site, fake adaptertest.Fake, ch adapters.ChannelRef)) {
	t.Helper()
	everyPlatformWith(t, followChanges, func(t *testing.T, forum *site, fake adaptertest.Fake) {
		ch := fake.Channel()
		if !editors[ch.Platform] {
			t.Skipf("%s: the adapter does not edit or delete messages yet", ch.Platform)
		}
		command(t, fake, ch, rule, "Rule created")
		fn(t, forum, fake, ch)
	})
}

// notifiedAndFollowed creates a topic in Support, waits for its notification in ch and for the
// bot to listen on the topic's MessageBus channel, and returns the topic's and the post's ids
// and its message.
func notifiedAndFollowed(t *testing.T, forum *site, fake adaptertest.Fake, ch adapters.ChannelRef, title string) (int64, int64, adaptertest.Posted) {
	t.Helper()
	topicID, postID := forum.CreateTopic(title, "<p>It stops at step 3.</p>", "alice", forum.cat["support"])
	var msg adaptertest.Posted
	waitUntil(t, "the notification of "+title, func() bool {
		for _, p := range fake.Posted(ch) {
			if strings.Contains(p.Text, title) {
				msg = p
				return true
			}
		}
		return false
	})
	followed(t, forum, topicID)
	return topicID, postID, msg
}

// current returns the message with id in ch as the chat shows it now.
func current(fake adaptertest.Fake, ch adapters.ChannelRef, id string) (adaptertest.Posted, bool) {
	for _, p := range fake.Posted(ch) {
		if p.ID == id {
			return p, true
		}
	}
	return adaptertest.Posted{}, false
}

func TestForumEditsAndDeletionsFollowInChat(t *testing.T) {
	everyEditor(t, "watch support", func(t *testing.T, forum *site, fake adaptertest.Fake, ch adapters.ChannelRef) {
		_, postID, msg := notifiedAndFollowed(t, forum, fake, ch, "Installer stops")
		postPath := fmt.Sprintf("/posts/%d.json", postID)
		// A burst of edits, the second retitling the topic, is one update in chat.
		before := len(fake.Posted(ch))
		start := time.Now()
		forum.EditPost(postID, "", "<p>It stops at step 4.</p>")
		forum.EditPost(postID, "Installer stops at step 5", "<p>It stops at step 5, @everyone.</p>")
		var now adaptertest.Posted
		waitUntil(t, "the edit in chat", func() bool {
			now, _ = current(fake, ch, msg.ID)
			return strings.Contains(now.Text, "step 5")
		})
		t.Logf("edit → chat: %s (debounce %s)", time.Since(start).Round(time.Millisecond), 300*time.Millisecond)
		if !strings.Contains(now.Text, "Installer stops at step 5") {
			t.Errorf("the edited message lacks the new title: %q", now.Text)
		}
		if strings.Contains(now.Text, "@everyone") {
			t.Errorf("an edit pings @everyone: %q", now.Text)
		}
		time.Sleep(2 * 300 * time.Millisecond) // past another debounce: a second update would show
		if now, _ = current(fake, ch, msg.ID); now.Edits != 1 {
			t.Errorf("the burst of two edits made %d updates in chat, want 1", now.Edits)
		}
		if n := forum.Requests(postPath); n != 1 {
			t.Errorf("the burst cost %d requests of %s, want 1", n, postPath)
		}
		if got := len(fake.Posted(ch)); got != before {
			t.Errorf("following the edit posted %d new messages", got-before)
		}

		// A deletion removes the message; a recovery brings the post back.
		forum.DeletePost(postID)
		waitUntil(t, "the deletion in chat", func() bool {
			p, ok := current(fake, ch, msg.ID)
			return !ok || p.Deleted
		})
		if n := forum.Requests(postPath); n != 1 {
			t.Errorf("a deletion fetched the post (%d requests of %s): the MessageBus said it all", n, postPath)
		}
		forum.RecoverPost(postID)
		waitUntil(t, "the recovered post in chat", func() bool {
			for _, p := range fake.Posted(ch) {
				if p.ID != msg.ID && !p.Deleted && strings.Contains(p.Text, "step 5") {
					return true
				}
			}
			return false
		})

		// A post hidden by flags is removed too.
		_, hiddenID, hidden := notifiedAndFollowed(t, forum, fake, ch, "Buy cheap watches")
		forum.HidePost(hiddenID)
		waitUntil(t, "the hidden post's removal", func() bool {
			p, ok := current(fake, ch, hidden.ID)
			return !ok || p.Deleted
		})

		// status counts them: the burst and the recovery as edits, the deletion and the hide.
		fake.InjectCommand(ch, "status", false)
		waitUntil(t, "status with the changes followed", func() bool {
			for _, p := range fake.Posted(ch) {
				if strings.Contains(p.Text, "Forum changes followed") {
					if !strings.Contains(p.Text, "2 edits, 2 removals, 0 moves") {
						t.Errorf("status: %q", p.Text)
					}
					return true
				}
			}
			return false
		})
	})
}

func TestTopicMovedIntoRestrictedCategoryLeavesPublicChannels(t *testing.T) {
	everyEditor(t, "watch", func(t *testing.T, forum *site, fake adaptertest.Fake, ch adapters.ChannelRef) { // a rule for every category
		topicID, _, msg := notifiedAndFollowed(t, forum, fake, ch, "Password reset loop")
		forum.MoveTopic(topicID, forum.cat["staff"])
		waitUntil(t, "the moved topic's removal from a public channel", func() bool {
			p, ok := current(fake, ch, msg.ID)
			return !ok || p.Deleted
		})
	})
}

func TestTopicMovedIntoRestrictedCategoryStaysInPrivateChannels(t *testing.T) {
	s := startSlackBot(t, func(o *Options) {
		followChanges(o)
		o.Access.PrivateChannels = []string{slackGeneral.String()}
	}, nil)
	command(t, s.fake, slackGeneral, "watch", "Rule created")
	topicID, _, msg := notifiedAndFollowed(t, s.forum, s.fake, slackGeneral, "Password reset loop")
	s.forum.MoveTopic(topicID, s.forum.cat["staff"])
	waitUntil(t, "the moved topic's new category in the private channel", func() bool {
		p, ok := current(s.fake, slackGeneral, msg.ID)
		return ok && !p.Deleted && p.Edits == 1 && strings.Contains(p.Text, "Staff")
	})
}

// The replies of a "thread" rule live in the topic's chat thread; an edit or a deletion on the
// forum reaches them there, on every platform (on Discord the thread is a channel of its own,
// which the reply's ref must name).
func TestForumChangesReachThreadReplies(t *testing.T) {
	everyEditor(t, "thread support", func(t *testing.T, forum *site, fake adaptertest.Fake, ch adapters.ChannelRef) {
		topicID, _, _ := notifiedAndFollowed(t, forum, fake, ch, "Installer stops")
		replyID := forum.Reply(topicID, "alice", "<p>Same here, at step 3.</p>")
		var reply adaptertest.Posted
		waitUntil(t, "the reply in the topic's thread", func() bool {
			for _, p := range fake.Posted(ch) {
				if strings.Contains(p.Text, "Same here") && p.Thread != "" {
					reply = p
					return true
				}
			}
			return false
		})

		forum.EditPost(replyID, "", "<p>Same here, at step 4.</p>")
		waitUntil(t, "the edit in the thread", func() bool {
			p, ok := current(fake, ch, reply.ID)
			return ok && strings.Contains(p.Text, "step 4")
		})
		if p, _ := current(fake, ch, reply.ID); p.Thread != reply.Thread {
			t.Errorf("the edited reply is in thread %q, want %q", p.Thread, reply.Thread)
		}

		forum.DeletePost(replyID)
		waitUntil(t, "the deletion in the thread", func() bool {
			p, ok := current(fake, ch, reply.ID)
			return !ok || p.Deleted
		})
	})
}
