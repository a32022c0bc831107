package bot

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
)

// topicURL is the browser URL of a topic of the fake forum.
func topicURL(f *site, id int64) string { return fmt.Sprintf("%s/t/topic/%d", f.URL(), id) }

// TestTranscriptDestinations: a chat admin may add a transcript, as the forum's admin API user,
// only to a regular, open, unarchived topic in a category the channel may see.
func TestTranscriptDestinations(t *testing.T) {
	f := newSite(t)
	public, _ := f.CreateTopic("Public", "<p>hi</p>", "alice", f.cat["general"])
	pm, _ := f.CreatePrivateMessage("Secret", "<p>psst</p>", "alice", "moderators")
	staff, _ := f.CreateTopic("Staff only", "<p>hush</p>", "alice", f.cat["staff"])
	closed, _ := f.CreateTopic("Closed", "<p>done</p>", "alice", f.cat["general"])
	f.CloseTopic(closed)
	archived, _ := f.CreateTopic("Archived", "<p>old</p>", "alice", f.cat["general"])
	f.ArchiveTopic(archived)

	rec := newRecorder("console")
	rec.history = chatHistory()
	r := startBot(t, f, rec, filepath.Join(t.TempDir(), "bot.db"), func(o *Options) {
		o.Transcript.Mode = "topic"
		o.Access.PrivateChannels = []string{"console:staffroom"}
	})
	tests := []struct {
		name, channel string
		topic         int64
		want          string // "" when the transcript is posted
	}{
		{"private message", "console:a", pm, "private message"},
		{"private message from a private channel", "console:staffroom", pm, "private message"},
		{"read-restricted category", "console:a", staff, "not public"},
		{"closed topic", "console:a", closed, "closed"},
		{"archived topic", "console:a", archived, "archived"},
		{"public open topic", "console:a", public, ""},
		{"restricted category from a private channel", "console:staffroom", staff, ""},
	}
	for _, tt := range tests {
		before := len(f.CreatedPosts())
		reply := r.rec.handle(t, tt.channel, "post 3 to "+topicURL(f, tt.topic), true, false).Text.String()
		posted := len(f.CreatedPosts()) - before
		if tt.want == "" {
			if posted != 1 || !strings.Contains(reply, "Added a transcript") {
				t.Errorf("%s: reply %q, %d posts; want the transcript added", tt.name, reply, posted)
			}
			continue
		}
		if posted != 0 || !strings.Contains(reply, tt.want) || strings.Contains(reply, "\n") {
			t.Errorf("%s: reply %q, %d posts; want a one-line refusal mentioning %q", tt.name, reply, posted, tt.want)
		}
	}
}

// TestTranscriptCategoryMustBePublic: transcript.category naming a read-restricted category makes
// neither a topic nor a composer link from a public channel; a private channel may use it.
func TestTranscriptCategoryMustBePublic(t *testing.T) {
	for _, mode := range []string{"topic", "link"} {
		t.Run(mode, func(t *testing.T) {
			f := newSite(t)
			rec := newRecorder("console")
			rec.history = chatHistory()
			r := startBot(t, f, rec, filepath.Join(t.TempDir(), "bot.db"), func(o *Options) {
				o.Transcript.Mode = mode
				o.Transcript.Category = "staff"
				o.Access.PrivateChannels = []string{"console:staffroom"}
			})
			reply := r.rec.handle(t, "console:a", "post 3", true, false)
			if s := reply.Text.String(); !strings.Contains(s, "not public") || strings.Contains(s, "/new-topic") {
				t.Errorf("public channel: reply %q, want a refusal", s)
			}
			if n := len(f.CreatedPosts()); n != 0 {
				t.Fatalf("a refused transcript created %d posts", n)
			}
			reply = r.rec.handle(t, "console:staffroom", "post 3", true, false)
			if s := reply.Text.String(); !strings.Contains(s, "Posted a transcript") && !strings.Contains(s, "composer") {
				t.Errorf("private channel: reply %q, want the transcript", s)
			}
		})
	}
}

// TestDiscordTranscriptReadsOnlyThisChannel: a thread id or link typed in #general must name a
// thread of #general; another channel the bot can read (#random here, or one of another guild)
// is refused, and nothing reaches the forum.
func TestDiscordTranscriptReadsOnlyThisChannel(t *testing.T) {
	t.Parallel()
	var secret []string
	d := startDiscordBot(t, transcriptTo("topic"), func(f *discordtest.Server) {
		for _, s := range []string{"secret one", "secret two", "secret three"} {
			secret = append(secret, f.AddUserMessage(discordtest.OtherChannelID, discordtest.MemberID, s))
		}
		f.AddUserMessage(discordtest.ChannelID, discordtest.MemberID, "hello in general")
	})
	for _, cmd := range []string{
		fmt.Sprintf("post range %s %s thread %s confirm", secret[0], secret[2], discordtest.OtherChannelID),
		fmt.Sprintf("post range %s %s thread %s", secret[0], secret[2], discordtest.OtherChannelID),
		fmt.Sprintf("post thread https://discord.com/channels/%s/%s/%s", discordtest.GuildID, discordtest.OtherChannelID, secret[0]),
		fmt.Sprintf("post https://discord.com/channels/%s/%s/%s", discordtest.GuildID, discordtest.OtherChannelID, secret[0]),
	} {
		answer, _ := d.command(t, discordGeneral, discordtest.AdminID, cmd)
		if strings.Contains(answer.Content, "secret") || !strings.Contains(answer.Content, "not a message link of this chat") {
			t.Errorf("%s: answer %q, want a refusal", cmd, answer.Content)
		}
	}
	if n := len(d.forum.CreatedPosts()); n != 0 {
		t.Errorf("the forum got %d posts from another channel", n)
	}
}

// TestDiscordPostThreadHonoursTheLink: `post thread <link>` typed in the channel transcribes
// the linked thread, not the channel's last messages.
func TestDiscordPostThreadHonoursTheLink(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, transcriptTo("topic"), nil)
	root := d.topicThread(t)
	inside := d.fake.AddUserMessage(root.ID, discordtest.MemberID, "Inside the thread")
	d.fake.AddUserMessage(root.ID, discordtest.AdminID, "Also inside")
	d.fake.AddUserMessage(discordtest.ChannelID, discordtest.MemberID, "Outside the thread")

	for _, link := range []string{
		fmt.Sprintf("https://discord.com/channels/%s/%s/%s", discordtest.GuildID, root.ID, inside),                // a message in it
		fmt.Sprintf("https://discord.com/channels/%s/%s/%s", discordtest.GuildID, discordtest.ChannelID, root.ID), // its starter
	} {
		preview, _ := d.command(t, discordGeneral, discordtest.AdminID, "post thread "+link)
		if !strings.Contains(preview.Content, "Inside the thread") || !strings.Contains(preview.Content, "Also inside") ||
			strings.Contains(preview.Content, "Outside the thread") {
			t.Errorf("post thread %s: preview %q, want the thread's messages only", link, preview.Content)
		}
	}
}

// TestTelegramTranscriptLinkOfAnotherChat: a t.me/c link to another chat is refused, not read as
// a message id of this chat.
func TestTelegramTranscriptLinkOfAnotherChat(t *testing.T) {
	r := newTelegramRun(t)
	ids := r.tgConversation()
	reply := r.command(t, tgGroup, telegramtest.AdminUser, fmt.Sprintf("/post https://t.me/c/1234567/%d", ids[2]))
	mustReply(t, reply, "not a link to a message of this chat")
	if got := r.forum.CreatedPosts(); len(got) != 0 {
		t.Errorf("a link to another chat created %d forum posts", len(got))
	}
}

// TestTelegramTranscriptLinkOfAnotherPublicChat: in a public group a t.me/<username> link is
// taken only when it names this group (in any case); a link to another public chat is refused,
// not read as a message id of this chat.
func TestTelegramTranscriptLinkOfAnotherPublicChat(t *testing.T) {
	r := newTelegramRun(t)
	r.tg.SetUsername(tgGroup, "ForumFriends")
	ids := r.tgConversation()
	reply := r.command(t, tgGroup, telegramtest.AdminUser, fmt.Sprintf("/post https://t.me/otherchat/%d", ids[2]))
	mustReply(t, reply, "not a link to a message of this chat")
	if got := r.forum.CreatedPosts(); len(got) != 0 {
		t.Errorf("a link to another public chat created %d forum posts", len(got))
	}
	reply = r.command(t, tgGroup, telegramtest.AdminUser, fmt.Sprintf("/post https://t.me/forumfriends/%d", ids[2]))
	mustReply(t, reply, "Posted a transcript of 2 messages")
}

// TestTopicMovedIntoRestrictedCategoryStopsAtOnce: the first post of a topic is announced in a
// public channel; the topic then moves into a read-restricted category, and its next reply must
// not reach the public channel, although the bot's topic cache still holds the old category.
func TestTopicMovedIntoRestrictedCategoryStopsAtOnce(t *testing.T) {
	r := newStaffroomRun(t)
	forum, rec := r.forum, r.rec
	r.rec.command(t, "console:public", "watch tag:bug") // all categories
	r.rec.command(t, "console:general", "watch general")
	r.rec.command(t, "console:staffroom", "watch tag:bug")
	topic, _ := forum.CreateTopic("Looks harmless", "<p>x</p>", "alice", forum.cat["general"], "bug")
	r.settle(t)
	forum.SetTopicCategory(topic, forum.cat["staff"])
	forum.Reply(topic, "bob", "<p>it is a security hole</p>")
	r.settle(t)
	for ch, want := range map[string][]string{
		"console:public":    {"Looks harmless#1"},
		"console:general":   {"Looks harmless#1"},
		"console:staffroom": {"Looks harmless#1", "Looks harmless#2"},
	} {
		wantSent(t, rec, ch, want...)
	}
}

// TestPrivateChannelsMatchWhateverTheCase: access.private_channels written with another case of
// the platform ("Console:staffroom") lets that channel hear restricted posts, both for the rule
// (command layer) and for delivery, instead of accepting the rule and dropping every post.
func TestPrivateChannelsMatchWhateverTheCase(t *testing.T) {
	forum := newSite(t)
	rec := newRecorder("console")
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"), func(o *Options) {
		o.Access.PrivateChannels = []string{" Console:staffroom"}
	})
	mustReply(t, r.rec.command(t, "console:staffroom", "watch staff"), "staff")
	forum.CreateTopic("Security hole", "<p>secret</p>", "alice", forum.cat["staff"])
	r.settle(t)
	wantSent(t, rec, "console:staffroom", "Security hole#1")
}

// TestForumURLCredentialsStayInTheClient: with a forum behind basic auth
// (forum.url https://bot:pass@…), the bot reaches the forum, and the password appears in no
// notification link, no `test` sample, no transcript answer and no log line.
func TestForumURLCredentialsStayInTheClient(t *testing.T) {
	forum := newSite(t)
	forum.RequireBasicAuth("bot", "s3cret-pass")
	withCreds := strings.Replace(forum.URL(), "http://", "http://bot:s3cret-pass@", 1)
	var logs syncbuf.Buffer
	rec := newRecorder("console")
	rec.history = chatHistory()
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"), func(o *Options) {
		o.Forum.URL = withCreds
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Transcript.Mode = "topic"
	})
	mustReply(t, r.rec.command(t, "console:a", "watch general"), "general")
	forum.CreateTopic("Hello", "<p>x</p>", "alice", forum.cat["general"])
	r.settle(t)
	var shown []string
	shown = append(shown, r.rec.command(t, "console:a", "test"), r.rec.command(t, "console:a", "post 2"))
	for _, n := range rec.all() {
		shown = append(shown, n.N.URL, n.N.Excerpt, n.N.AvatarURL)
	}
	if len(rec.in("console:a")) < 2 {
		t.Fatalf("console:a got %q, want the topic and the sample", titles(rec.in("console:a")))
	}
	shown = append(shown, logs.String())
	for _, s := range shown {
		if strings.Contains(s, "s3cret") {
			t.Errorf("the forum's password is shown: %q", s)
		}
	}
	if n := rec.in("console:a")[0]; !strings.HasPrefix(n.N.URL, forum.URL()+"/t/") {
		t.Errorf("notification link %q, want one on %s", n.N.URL, forum.URL())
	}
}

// TestTranscriptPreviewShowsMentionNames: the preview of a Slack transcript shows "@max" where
// the message mentions him, as the forum post does, not Slack's raw "<@UMEMBER>": the Slack
// adapter hands the text over as CommonMark.
func TestTranscriptPreviewShowsMentionNames(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
		f.AddMessage(slackGeneral, slacktest.AdminUser, "<@UMEMBER> the installer hangs", "")
		f.AddMessage(slackGeneral, slacktest.Member, "thanks <@UADMIN>, see <https://x.example/doc|the docs>", "")
	})
	reply := s.command(t, slackGeneral, slacktest.AdminUser, "post 2")
	if !strings.Contains(reply, "@max the installer hangs") || !strings.Contains(reply, "thanks @ada") || strings.Contains(reply, "@U") {
		t.Errorf("preview %q, want the mentions by name", reply)
	}
}

// TestCategoryMadeRestrictedStopsReachingPublicChannels: a category the forum makes
// read-restricted stops reaching public channels with the very next post, in polling and in live
// mode, whoever the forum tells of the change on its MessageBus: nobody when the category is
// restricted to admins, only its groups' members otherwise (not the API user here).
func TestCategoryMadeRestrictedStopsReachingPublicChannels(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		live     bool
		restrict func(f *site, cat int64)
	}{
		{"polling", false, func(f *site, cat int64) { f.SetCategoryReadRestricted(cat, true) }},
		{"live, admins only (nothing published)", true, func(f *site, cat int64) { f.SetCategoryReadRestricted(cat, true) }},
		{"live, a group the API user is not in", true, func(f *site, cat int64) { f.RestrictCategory(cat, "moderators") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			forum := newSite(t)
			r := startWatchingSupport(t, forum, func(o *Options) { o.Forum.Live = c.live })
			rec := r.rec
			topic, _ := forum.CreateTopic("Open question", "<p>x</p>", "alice", forum.cat["support"])
			r.settle(t)
			c.restrict(forum, forum.cat["support"])
			forum.Reply(topic, "bob", "<p>now a staff matter</p>")
			forum.CreateTopic("Staff only", "<p>y</p>", "alice", forum.cat["support"])
			r.settle(t)
			for ch, want := range map[string][]string{
				"console:public":    {"Open question#1"},
				"console:staffroom": {"Open question#1", "Open question#2", "Staff only#1"},
			} {
				wantSent(t, rec, ch, want...)
			}
		})
	}
}

// An idle bot reads the categories no more than it did: a batch of posts reaching public
// channels reads them at most once, an idle poll not at all.
func TestCategoryChecksCostOneRequestPerBatch(t *testing.T) {
	t.Parallel()
	forum := newSite(t)
	rec := newRecorder("console")
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"))
	r.rec.command(t, "console:public", "watch support")
	r.settle(t)
	sites, lists := forum.Requests("/site.json"), forum.Requests("/posts.json")
	waitUntil(t, "ten idle polls", func() bool { return forum.Requests("/posts.json") >= lists+10 })
	if n := forum.Requests("/site.json") - sites; n != 0 {
		t.Errorf("idle polls read the categories %d times", n)
	}
	forum.CreateTopic("One", "<p>x</p>", "alice", forum.cat["support"])
	rec.waitFor(t, "the post", func(s []sentNote) bool { return len(titles(s)) == 1 })
	if n := forum.Requests("/site.json") - sites; n != 1 {
		t.Errorf("a post to a public channel read the categories %d times, want 1", n)
	}
}

// TestTopicMovedIntoAJustRestrictedCategoryStaysOutOfPublicChannels: a topic moved into a
// category the forum has just made read-restricted to admins (nothing is published on
// /categories then) is announced to that category's rules in private channels only.
func TestTopicMovedIntoAJustRestrictedCategoryStaysOutOfPublicChannels(t *testing.T) {
	t.Parallel()
	forum := newSite(t)
	rec := newRecorder("console")
	r := startBot(t, forum, rec, filepath.Join(t.TempDir(), "bot.db"), staffroom, followChanges)
	r.rec.command(t, "console:public", "watch general")
	r.rec.command(t, "console:staffroom", "watch general")
	const title = "Leaked credentials"
	topicID, _ := forum.CreateTopic(title, "<p>Rotate them.</p>", "alice", forum.cat["support"])
	followed(t, forum, topicID)
	forum.SetCategoryReadRestricted(forum.cat["general"], true)
	forum.MoveTopic(topicID, forum.cat["general"])
	rec.waitFor(t, "the move announced in the staffroom", func([]sentNote) bool {
		return slices.Contains(titles(rec.in("console:staffroom")), title+"#1")
	})
	r.settle(t)
	if got := titles(rec.in("console:public")); len(got) != 0 {
		t.Errorf("console:public heard %q", got)
	}
}
