package bot

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
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
// become read-restricted and the bot knows it: restricted to admins, the forum publishes nothing,
// and the bot reads the categories again for a later post bound for a public channel; restricted
// to a group the API user is not in, the MessageBus tells of a change, and the send reads them
// once. A private channel still has it. The send-time check costs no other forum request.
func TestQueuedNotificationWithheldWhenCategoryBecomesRestricted(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		live     bool
		restrict func(t *testing.T, f *site, cat int64)
		reads    int // /site.json requests the send may make
	}{
		{"polling, admins only, a later post", false, func(t *testing.T, f *site, cat int64) {
			f.SetCategoryReadRestricted(cat, true)
			f.CreateTopic("marker after the restriction", "<p>m</p>", "system", f.cat["meta"])
		}, 0},
		{"live, a group the API user is not in", true, func(t *testing.T, f *site, cat int64) {
			before := lastAsked(f, "/categories")
			f.RestrictCategory(cat, "moderators")
			waitUntil(t, "the bot to hear of the change", func() bool { return lastAsked(f, "/categories") > before })
		}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			forum := newSite(t)
			if c.live {
				// A message the API user may not read wakes no held poll: the next poll hears it.
				forum.SetLongPollHold(100 * time.Millisecond)
			}
			r := startWatchingSupport(t, forum, func(o *Options) { o.Forum.Live = c.live })
			rec := r.rec
			const title = "Password reset loop"
			topicID := queuedWhileDown(t, r, title)
			c.restrict(t, forum, forum.cat["support"])
			if !c.live {
				rec.waitFor(t, "the marker", func(s []sentNote) bool { return len(rec.in("console:marker")) > 0 })
			}
			reads := forum.Requests("/site.json")
			b := recovered(t, r)
			if n := forum.Requests("/site.json") - reads; n > c.reads {
				t.Errorf("the send read the categories %d times, want at most %d", n, c.reads)
			}
			wantSent(t, rec, "console:public")
			wantSent(t, rec, "console:staffroom", title+"#1")
			wantWithheld(t, b, topicID, withheldRestricted)
		})
	}
}

// lastAsked is the highest id the bot's long polls asked channel from (-2: never asked).
func lastAsked(f *site, channel string) int64 {
	last := int64(-2)
	for _, ask := range f.MessageBusAsks() {
		if id, ok := ask[channel]; ok && id > last {
			last = id
		}
	}
	return last
}

// TestQueuedNotificationWithheldWhenTopicMovesIntoStaff: a notification waiting in the outbox
// for a public channel is withheld when its topic moves into a read-restricted category, rather
// than sent and then deleted; the private channel hears of the move.
func TestQueuedNotificationWithheldWhenTopicMovesIntoStaff(t *testing.T) {
	t.Parallel()
	forum := newSite(t)
	r := startWatchingSupport(t, forum, followChanges)
	rec := r.rec
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

// TestQueuedNotificationOfAnOlderVersionStillSent: a row queued by an older version (its payload
// names no category) goes out as before: it was checked when it was queued.
func TestQueuedNotificationOfAnOlderVersionStillSent(t *testing.T) {
	t.Parallel()
	r := newStaffroomRun(t)
	payload, err := json.Marshal(adapters.Notification{TopicID: 99, PostID: 990, PostNumber: 1, TopicTitle: "Queued before the upgrade", IsFirstPost: true})
	if err != nil {
		t.Fatal(err)
	}
	b := <-r.bot
	r.bot <- b
	if err := b.Store().Enqueue(t.Context(), []state.OutboxItem{{Channel: "console:public", TopicID: 99, PostID: 990, Payload: payload}}, "", 0); err != nil {
		t.Fatal(err)
	}
	b.delivery.Wake()
	r.settle(t)
	wantSent(t, r.rec, "console:public", "Queued before the upgrade#1")
}

// TestSlackNotificationWithheldWhileRateLimited: through the real Slack adapter and its fake, a
// notification that Slack rate-limited (Retry-After 5 s) waits in the outbox; its topic moves
// into Staff meanwhile: once Slack takes messages again, the public channel never shows it (not
// sent and then deleted), and the private one has it and the move.
func TestSlackNotificationWithheldWhileRateLimited(t *testing.T) {
	t.Parallel()
	staffRef := adapters.ChannelRef{Platform: "slack", ChatID: "CSTAFF"}
	s := startSlackBot(t, func(o *Options) {
		followChanges(o)
		o.Access.PrivateChannels = []string{staffRef.String()}
	}, func(f *slacktest.Server) { f.AddChannel(staffRef.ChatID, "staff", true, true) })
	announced := s.fake.Calls("chat.postMessage")
	command(t, s.fake, slackGeneral, "watch support", "Rule created")
	command(t, s.fake, staffRef, "watch support", "Rule created")
	command(t, s.fake, staffRef, "watch staff", "Rule created")
	// Each rule is also announced in its channel, paced after the reply: wait for the three, so
	// that the rate limit below meets the notifications, not an announcement.
	waitUntil(t, "the rules' announcements", func() bool { return s.fake.Calls("chat.postMessage") >= announced+3 })
	const title = "Leaked invoice"
	posts := s.fake.Calls("chat.postMessage")
	s.fake.RateLimitNextN(2, 5*time.Second) // both channels' sends are refused, and retried in 5 s
	topicID, _ := s.forum.CreateTopic(title, "<p>Card numbers inside.</p>", "alice", s.forum.cat["support"])
	waitUntil(t, "both sends refused", func() bool { return s.fake.Calls("chat.postMessage") >= posts+2 })
	followed(t, s.forum, topicID)
	s.forum.MoveTopic(topicID, s.forum.cat["staff"])
	waitUntil(t, "the public notification withheld", func() bool {
		rows, err := s.bot.Store().RecentOutbox(t.Context(), 0)
		return err == nil && slices.ContainsFunc(rows, func(it state.OutboxItem) bool {
			return it.Channel == slackGeneral.String() && it.Kind == state.Notify && it.LastError == withheldTopic
		})
	})
	waitUntil(t, "the notification and the move in the private channel", func() bool {
		return len(mentioning(s.fake, staffRef, title)) == 2
	})
	waitStats(t, s.bot.Store(), func(st state.OutboxStats) bool { return st.Pending == 0 })
	if got := mentioning(s.fake, slackGeneral, title); len(got) != 0 {
		t.Errorf("the public channel was shown %d messages of the topic: %+v", len(got), got)
	}
}

// TestQueuedNotificationWithheldWhenAReplyIsReadInStaff: polling, no changes followed: the
// topic moved into Staff unseen, and its next post, read there, has the topic's notification
// still waiting for the public channel withheld.
func TestQueuedNotificationWithheldWhenAReplyIsReadInStaff(t *testing.T) {
	t.Parallel()
	r := startWatchingSupport(t, newSite(t))
	r.rec.command(t, "console:staffroom", "watch staff")
	const title = "Salary sheet"
	topicID := queuedWhileDown(t, r, title)
	r.forum.SetTopicCategory(topicID, r.forum.cat["staff"])
	r.forum.Reply(topicID, "bob", "<p>moving this to staff</p>")
	r.rec.waitFor(t, "the reply in the staffroom", func([]sentNote) bool {
		return slices.Contains(titles(r.rec.in("console:staffroom")), title+"#2")
	})
	b := recovered(t, r)
	wantSent(t, r.rec, "console:public")
	wantWithheld(t, b, topicID, withheldTopic)
}

// TestQueuedNotificationHeldWhileTheCategoriesCannotBeRead: once the forum announced a category
// change, a notification for a public channel is not sent on the old list while the forum does
// not answer: it waits, no send is tried, and once the forum answers it is withheld (its category
// became restricted meanwhile), never sent.
func TestQueuedNotificationHeldWhileTheCategoriesCannotBeRead(t *testing.T) {
	t.Parallel()
	forum := newSite(t)
	var logs syncbuf.Buffer
	r := startWatchingSupport(t, forum, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	rec := r.rec
	const title = "Audit findings"
	topicID := queuedWhileDown(t, r, title)
	b := <-r.bot
	r.bot <- b
	forum.SetCategoryReadRestricted(forum.cat["support"], true)
	forum.SetOutage(true)
	b.catalog.CategoriesChanged() // as the MessageBus's /categories channel makes it
	const cannot = "cannot check the notification's category now"
	waitUntil(t, "a send held back", func() bool { return strings.Count(logs.String(), cannot) >= 1 })
	tried := rec.refused("console:public")
	waitUntil(t, "another send held back", func() bool { return strings.Count(logs.String(), cannot) >= 2 })
	if n := rec.refused("console:public") - tried; n != 0 {
		t.Errorf("%d sends tried on the old categories while the forum was down", n)
	}
	forum.SetOutage(false)
	rec.accept("console:public")
	waitStats(t, b.Store(), func(s state.OutboxStats) bool { return s.Pending == 0 })
	wantSent(t, rec, "console:public")
	wantWithheld(t, b, topicID, withheldRestricted)
}
