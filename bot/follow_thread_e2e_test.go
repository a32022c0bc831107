package bot

import (
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// The replies of a "thread" rule live in the topic's chat thread; an edit or a deletion on the
// forum reaches them there, on every platform (on Discord the thread is a channel of its own,
// which the reply's ref must name).
func TestForumChangesReachThreadReplies(t *testing.T) {
	everyPlatformWith(t, followChanges, func(t *testing.T, forum *site, fake adaptertest.Fake) {
		ch := fake.Channel()
		if !editors[ch.Platform] {
			t.Skipf("%s: the adapter does not edit or delete messages yet", ch.Platform)
		}
		fake.InjectCommand(ch, "thread support", true)
		waitUntil(t, "the rule", func() bool {
			for _, p := range fake.Posted(ch) {
				if strings.Contains(p.Text, "Rule created") {
					return true
				}
			}
			return false
		})
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
