package bot

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// queuedWhileDown creates a topic in Support while console:public's platform is down, and waits
// until console:staffroom has its notification and console:public's has failed at least once
// (it waits in the outbox, retried). It returns the topic's id.
func queuedWhileDown(t *testing.T, r *running, title string) int64 {
	t.Helper()
	r.rec.refuse("console:public")
	topicID, _ := r.forum.CreateTopic(title, "<p>The reset link is sent to the wrong address.</p>", "alice", r.forum.cat["support"])
	r.rec.waitFor(t, "the notification in the staffroom", func(s []sentNote) bool {
		return slices.Contains(titles(r.rec.in("console:staffroom")), title+"#1")
	})
	waitUntil(t, "a failed send to console:public", func() bool { return r.rec.refused("console:public") > 0 })
	return topicID
}

// recovered ends console:public's outage and waits until the outbox is empty.
func recovered(t *testing.T, r *running) *Bot {
	t.Helper()
	r.rec.accept("console:public")
	b := <-r.bot
	r.bot <- b
	waitStats(t, b.Store(), func(s state.OutboxStats) bool { return s.Pending == 0 })
	return b
}

// wantWithheld checks that console:public's notification of the topic was withheld for reason
// (the web console shows it as the row's last error), not sent.
func wantWithheld(t *testing.T, b *Bot, topicID int64, reason string) {
	t.Helper()
	rows, err := b.Store().RecentOutbox(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rows {
		if it.Channel == "console:public" && it.TopicID == topicID && it.Kind == state.Notify {
			if it.MessageRef != "" || it.LastError != reason {
				t.Errorf("console:public's row: message %q, last error %q; want none, %q", it.MessageRef, it.LastError, reason)
			}
			return
		}
	}
	t.Errorf("no row of topic %d for console:public", topicID)
}

// TestQueuedNotificationWithheldWhenCategoryBecomesRestricted: a notification waiting in the
// outbox for a public channel (its platform failing, retried) is not sent once its category has
// become read-restricted (to admins: the forum publishes nothing) and the bot has read the
// categories again (here for a later post); a private channel still has it.
func TestQueuedNotificationWithheldWhenCategoryBecomesRestricted(t *testing.T) {
	t.Parallel()
	forum := newSite(t)
	rec := newRecorder("console")
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"), staffroom)
	r.rec.command(t, "console:public", "watch support")
	r.rec.command(t, "console:staffroom", "watch support")
	const title = "Password reset loop"
	topicID := queuedWhileDown(t, r, title)
	forum.SetCategoryReadRestricted(forum.cat["support"], true)
	// A later post bound for a public channel has the bot read the categories again.
	forum.CreateTopic("marker after the restriction", "<p>m</p>", "system", forum.cat["meta"])
	rec.waitFor(t, "the marker", func(s []sentNote) bool { return len(rec.in("console:marker")) > 0 })
	b := recovered(t, r)
	wantSent(t, rec, "console:public")
	wantSent(t, rec, "console:staffroom", title+"#1")
	wantWithheld(t, b, topicID, withheldRestricted)
}

// TestQueuedNotificationWithheldWhenTopicMovesIntoStaff: a notification waiting in the outbox
// for a public channel is withheld when its topic moves into a read-restricted category, rather
// than sent and then deleted; the private channel hears of the move.
func TestQueuedNotificationWithheldWhenTopicMovesIntoStaff(t *testing.T) {
	t.Parallel()
	forum := newSite(t)
	rec := newRecorder("console")
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"), staffroom, followChanges)
	r.rec.command(t, "console:public", "watch support")
	r.rec.command(t, "console:staffroom", "watch support")
	r.rec.command(t, "console:staffroom", "watch staff")
	const title = "Leaked invoice"
	topicID := queuedWhileDown(t, r, title)
	followed(t, forum, topicID)
	forum.MoveTopic(topicID, forum.cat["staff"])
	rec.waitFor(t, "the move announced in the staffroom", func([]sentNote) bool {
		return len(titles(rec.in("console:staffroom"))) == 2
	})
	b := recovered(t, r)
	wantSent(t, rec, "console:public")
	wantSent(t, rec, "console:staffroom", title+"#1", title+"#1")
	wantWithheld(t, b, topicID, withheldTopic)
}
