package bot

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// End-to-end tests of the whole bot (bot.Run) against the fake forum and the fake Slack, through
// the real slack-go SDK: slash commands over Socket Mode, notifications over chat.postMessage,
// transcripts from conversations.history/replies.

// slackGeneral is #general, the fake's channel that the bot is a member of.
var slackGeneral = adapters.ChannelRef{Platform: "slack", ChatID: slacktest.GeneralID}

const slackGoldenTranscript = "testdata/transcript_slack.md"

// startSlackBot is startChatBot on Slack (connected: Socket Mode is up). When the test ends it
// fails if an envelope was acknowledged late or not at all.
func startSlackBot(t *testing.T, extra botOption, seed func(*slacktest.Server)) *slackBot {
	t.Helper()
	s := &slackBot{startChatBot(t, slackPlatform, extra, seed)}
	fake := s.fake
	t.Cleanup(func() {
		if late := fake.LateAcks(); len(late) > 0 {
			t.Errorf("envelopes acknowledged after Slack's 3 s: %v", late)
		}
	})
	t.Cleanup(func() { // runs first, while the bot still runs: no ack may be lost to the stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := fake.WaitAcked(ctx); err != nil {
			t.Errorf("fake Slack: %v", err)
		}
	})
	return s
}

// replies returns the ephemeral answers to slash commands in ch.
func (s *slackBot) replies(ch adapters.ChannelRef) []slacktest.Post {
	return keep(s.fake.Posts(ch), func(p slacktest.Post) bool { return p.Ephemeral })
}

// command types "/discourse text" as userID in ch and returns the bot's answer (Slack mrkdwn,
// as sent).
func (s *slackBot) command(t *testing.T, ch adapters.ChannelRef, userID, text string) string {
	t.Helper()
	before := len(s.replies(ch))
	s.fake.InjectSlashCommand(ch, userID, text)
	waitUntil(t, "the answer to /discourse "+text, func() bool { return len(s.replies(ch)) > before })
	return s.replies(ch)[before].Text
}

// press makes userID press the button whose label contains label, on the newest message in ch
// that has one, and returns what the bot then says: the message the reply replaced, or a new
// ephemeral one (as Flat, everything a reader sees).
func (s *slackBot) press(t *testing.T, ch adapters.ChannelRef, userID, label string) string {
	t.Helper()
	posts := s.fake.Posts(ch)
	for i := len(posts) - 1; i >= 0; i-- {
		for _, b := range posts[i].Buttons {
			if !strings.Contains(b.Text, label) {
				continue
			}
			old, n := posts[i].Flat, len(posts)
			s.fake.InjectBlockAction(ch, userID, b.ActionID, b.Value)
			var got string
			waitUntil(t, "the answer to pressing "+label, func() bool {
				ps := s.fake.Posts(ch)
				if ps[i].Flat != old {
					got = ps[i].Flat
					return true
				}
				for _, p := range ps[n:] {
					if p.Ephemeral {
						got = p.Flat
						return true
					}
				}
				return false
			})
			return got
		}
	}
	t.Fatalf("no button %q in %s", label, ch)
	return ""
}

// postTranscript runs a `post …` command as the admin, checks that it only previews, presses
// "Post to forum" and returns the answer.
func (s *slackBot) postTranscript(t *testing.T, cmd string, n int) string {
	t.Helper()
	before := len(s.forum.CreatedPosts())
	preview := s.command(t, slackGeneral, slacktest.AdminUser, cmd)
	mustReply(t, preview, fmt.Sprintf("Transcript of %d messages*", n))
	if got := len(s.forum.CreatedPosts()); got != before {
		t.Fatalf("the preview already posted to the forum (%d posts)", got-before)
	}
	return s.press(t, slackGeneral, slacktest.AdminUser, "Post to forum")
}

// notifications returns the bot's notifications in ch (messages linking to a forum topic), oldest
// first.
func (s *slackBot) notifications(ch adapters.ChannelRef) []slacktest.Post {
	return keep(s.fake.Posts(ch), func(p slacktest.Post) bool {
		return p.Via == "chat.postMessage" && strings.Contains(p.Flat, s.forum.URL()+"/t/")
	})
}

// waitNotifications waits until ch holds n notifications and returns them.
func (s *slackBot) waitNotifications(t *testing.T, ch adapters.ChannelRef, n int) []slacktest.Post {
	t.Helper()
	return waitCount(t, "notifications in "+ch.String(), n, func() []slacktest.Post { return s.notifications(ch) })
}

// slackTitleOf returns the topic title a notification links, as a reader sees it.
func slackTitleOf(p slacktest.Post) string {
	m := regexp.MustCompile(`<https?://[^|>]+\|([^>]*)>`).FindStringSubmatch(p.Flat)
	if m == nil {
		return ""
	}
	return slackShown(m[1])
}

// slackShown is mrkdwn text as Slack shows it: entities decoded, defusing joiners invisible.
func slackShown(s string) string {
	return strings.ReplaceAll(html.UnescapeString(s), "\u2060", "")
}

func slackTitles(ps []slacktest.Post) []string {
	var out []string
	for _, p := range ps {
		out = append(out, slackTitleOf(p))
	}
	return out
}

func TestSlackWatchThenPostArrivesInTheChannel(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, nil, nil)
	reply := s.command(t, slackGeneral, slacktest.AdminUser, "watch support")
	mustReply(t, reply, "support")
	waitUntil(t, "the public confirmation", func() bool {
		for _, p := range s.fake.Posts(slackGeneral) {
			if !p.Ephemeral && strings.Contains(p.Text, "changed this channel's forum notifications") {
				return true
			}
		}
		return false
	})

	s.forum.CreateTopic("Not for this channel", "<p>general chatter</p>", "alice", s.forum.cat["general"])
	topic, _ := s.forum.CreateTopic("Installer stops at step 3", "<p>It <b>hangs</b> at step 3.</p>", "bob", s.forum.cat["support"], "bug")
	got := s.waitNotifications(t, slackGeneral, 1)
	// The general topic came first: had it matched, the channel's in-order sender would have
	// delivered it first.
	if len(got) != 1 {
		t.Fatalf("got %d notifications, want 1: %q", len(got), slackTitles(got))
	}
	n := got[0]
	wantURL := fmt.Sprintf("%s/t/", s.forum.URL())
	if slackTitleOf(n) != "Installer stops at step 3" || !strings.Contains(n.Flat, wantURL) ||
		!strings.Contains(n.Flat, fmt.Sprint(topic)) {
		t.Errorf("notification does not link the title to the post:\n%s", n.Flat)
	}
	for _, want := range []string{"hangs at step 3", "[Support]", "bug", "@bob"} {
		if !strings.Contains(n.Flat, want) {
			t.Errorf("notification lacks %q:\n%s", want, n.Flat)
		}
	}
	if !strings.Contains(n.Text, "Installer stops at step 3") {
		t.Errorf("fallback text %q lacks the title (shown in push notifications)", n.Text)
	}
	if n.ThreadTS != "" || n.UnfurlLinks != "false" || n.UnfurlMedia != "false" {
		t.Errorf("thread_ts %q unfurl_links %q unfurl_media %q: want a top-level message without unfurls", n.ThreadTS, n.UnfurlLinks, n.UnfurlMedia)
	}
	if p := slacktest.Pings(n.Flat); len(p) > 0 {
		t.Errorf("notification pings %q", p)
	}
}

func TestSlackThreadRulePutsRepliesInTheTopicsThread(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, nil, nil)
	mustReply(t, s.command(t, slackGeneral, slacktest.AdminUser, "thread support"), "thread")
	postTopicsAandB(s.forum)
	var got []threadNote
	for _, p := range s.waitNotifications(t, slackGeneral, 5) {
		got = append(got, threadNote{title: slackTitleOf(p), id: p.TS, thread: p.ThreadTS})
	}
	checkThreadPerTopic(t, got, "the first notification's ts")
}

func TestSlackRateLimitStormDelaysButLosesNothing(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, nil, nil)
	mustReply(t, s.command(t, slackGeneral, slacktest.AdminUser, "watch support"), "support")
	waitUntil(t, "the public confirmation", func() bool { return s.fake.Calls("chat.postMessage") >= 1 })
	before := s.fake.Calls("chat.postMessage")

	const storm = 3
	s.fake.RateLimitNextN(storm, time.Second)
	want := []string{"First", "Second", "Third", "Fourth"}
	for _, title := range want {
		s.forum.CreateTopic(title, "<p>x</p>", "bob", s.forum.cat["support"])
	}
	got := s.waitNotifications(t, slackGeneral, len(want))
	waitStats(t, s.bot.Store(), func(st state.OutboxStats) bool { return st.Pending == 0 })
	if fmt.Sprint(slackTitles(got)) != fmt.Sprint(want) {
		t.Errorf("delivered %q, want each once and in order %q", slackTitles(got), want)
	}
	// Every 429 was served (the storm happened) and each notification was posted exactly once.
	if calls := s.fake.Calls("chat.postMessage") - before; calls != storm+len(want) {
		t.Errorf("chat.postMessage called %d times, want %d refused + %d posted", calls, storm, len(want))
	}
	if got := s.notifications(slackGeneral); len(got) != len(want) {
		t.Errorf("%d notifications after the outbox drained, want %d: %q", len(got), len(want), slackTitles(got))
	}
}

// TestSlackForumTextCannotPingOrLink: titles and excerpts are untrusted. Whatever they contain,
// the notification pings nobody, links nowhere but the forum, and still reads as written.
func TestSlackForumTextCannotPingOrLink(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, nil, nil)
	mustReply(t, s.command(t, slackGeneral, slacktest.AdminUser, "watch support"), "support")
	tests := []struct {
		name, title, excerpt string
	}{
		{"special mention in the title", "case1 <!channel> meeting now", "nothing to see"},
		{"special mentions in the excerpt", "case2 agenda", "<!here> and <!everyone|everyone> and <!subteam^S1|@team>"},
		{"bare words in the title", "case3 @here @channel @everyone", "@here read this"},
		{"user mention", "case4 ask <@U123>", "cc <@UADMIN|ada> and <@W999>"},
		{"entity that decodes to a mention", "case5 &lt;!channel&gt; &amp;lt;", "&lt;!everyone&gt; &lt;@U123&gt;"},
		{"injected link", "case6 <https://evil.example|click here>", "see <https://evil.example/x|the docs> or <mailto:a@evil.example>"},
	}
	for _, tt := range tests {
		s.forum.CreateTopic(tt.title, "<p>"+html.EscapeString(tt.excerpt)+"</p>", "mallory", s.forum.cat["support"])
	}
	got := s.waitNotifications(t, slackGeneral, len(tests))
	ourLink := regexp.MustCompile(`<` + regexp.QuoteMeta(s.forum.URL()) + `/t/[^|<>]+\|[^<>]*>`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n *slacktest.Post
			for i := range got {
				if strings.Contains(got[i].Flat, strings.Fields(tt.title)[0]) {
					n = &got[i]
				}
			}
			if n == nil {
				t.Fatalf("no notification for %q among %q", tt.title, slackTitles(got))
			}
			for _, text := range []string{n.Flat, n.Text} {
				if p := slacktest.Pings(text); len(p) > 0 {
					t.Errorf("live mentions %q in:\n%s", p, text)
				}
				// Once our own link is taken out, no "<…>" control sequence is left: no link,
				// no mention, no special command.
				if rest := ourLink.ReplaceAllString(text, ""); strings.ContainsAny(rest, "<>") {
					t.Errorf("markup injected outside the topic link:\n%s", rest)
				}
			}
			if title := slackTitleOf(*n); title != tt.title {
				t.Errorf("title reads %q, want %q as written", title, tt.title)
			}
			if shown := slackShown(n.Flat); !strings.Contains(shown, tt.excerpt) {
				t.Errorf("excerpt %q does not read as written in:\n%s", tt.excerpt, shown)
			}
		})
	}
}

func TestSlackNonAdminIsRefused(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
		f.AddMessage(slackGeneral, slacktest.Member, "something worth keeping", "")
	})
	for _, cmd := range []string{"watch support", "mute general", "remove 1", "post 3", "post thread https://fake.slack.com/archives/C0GENERAL/p1700000000000100", "test"} {
		mustReply(t, s.command(t, slackGeneral, slacktest.Member, cmd), "Only a channel admin")
	}
	checkNothingMade(t, s.bot, s.forum, "a plain member")
	for _, p := range s.fake.Posts(slackGeneral) {
		if !p.Ephemeral {
			t.Errorf("a refused command posted publicly: %q", p.Text)
		}
	}
	// Anyone may look.
	mustReply(t, s.command(t, slackGeneral, slacktest.Member, "status"), "")
}

// slackSeedTranscript fills #general with a conversation: a thread, then three top-level messages
// with Slack markup (mentions, links, bold, strike, emoji, code, a file). It returns the ts of
// the thread's root and of its last reply. The fake's clock makes the ts's, and so the links in
// the transcript, the same on every run.
func slackSeedTranscript(f *slacktest.Server) (root, reply string) {
	ch := slackGeneral
	f.AddMessage(ch, slacktest.Member, "Morning all", "")
	root = f.AddMessage(ch, slacktest.Member, "Has anyone seen the installer hang?", "")
	f.AddMessage(ch, slacktest.AdminUser, "Yes, on *step 3*", root)
	reply = f.AddMessage(ch, slacktest.Member, "Fixed it with `--verbose` :tada:", root)
	f.AddMessage(ch, slacktest.AdminUser, "The installer hangs at *step 3*, <@UMEMBER> any idea? The <https://example.org/docs|docs> say ~nothing~ little. Logs:\n```\nerror: &lt;nil&gt; &amp; more\n```", "")
	f.AddMessage(ch, slacktest.Member, "Run it with `--verbose` :eyes: and post in <#C0GENERAL|general>", "")
	f.AddFileMessage(ch, slacktest.Member, "Here is my log", "install.log", "https://fake.slack.com/files/UMEMBER/F1/install.log")
	return root, reply
}

func TestSlackTranscriptBecomesATopic(t *testing.T) {
	t.Parallel()
	var root, reply string
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
		root, reply = slackSeedTranscript(f)
	})
	answer := s.postTranscript(t, "post 3", 3)
	mustReply(t, answer, "Posted a transcript of 3 messages")
	topic := transcriptTopic(t, s.forum, answer, "Chat transcript: #general on Slack")
	golden(t, slackGoldenTranscript, topic.Raw)

	t.Run("post thread <link> previews the whole thread", func(t *testing.T) {
		preview := s.command(t, slackGeneral, slacktest.AdminUser, "post thread <"+slackThreadLink(root, reply)+"> Installer hang")
		for _, want := range []string{"Transcript of 3 messages*", "Has anyone seen the installer hang?", "Fixed it with"} {
			mustReply(t, preview, want)
		}
	})
}

// slackThreadLink is the link Slack's "Copy link" gives a reply in a thread.
func slackThreadLink(root, reply string) string {
	return slacktest.TeamURL + "archives/" + slacktest.GeneralID + "/p" + strings.Replace(reply, ".", "", 1) +
		"?thread_ts=" + root + "&cid=" + slacktest.GeneralID
}

// TestSlackTranscriptOfAThread: `post thread <link>` previews the thread and, confirmed, posts
// the thread and nothing else.
func TestSlackTranscriptOfAThread(t *testing.T) {
	t.Parallel()
	var root, reply string
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
		root, reply = slackSeedTranscript(f)
	})
	answer := s.postTranscript(t, "post thread <"+slackThreadLink(root, reply)+"> Installer hang", 3)
	mustReply(t, answer, "Posted a transcript of 3 messages")
	checkInstallerThread(t, s.forum, 1, "max", "ada")
}

// TestSlackTranscriptBadLinkIsExplained: a link the adapter refuses (another channel, no such
// message) gets the reason, not the generic apology.
func TestSlackTranscriptBadLinkIsExplained(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) { slackSeedTranscript(f) })
	for _, link := range []string{
		"https://fake.slack.com/archives/C0OTHER/p1700000000000100",   // another channel
		"https://fake.slack.com/archives/C0GENERAL/p1600000000000100", // no such message
		"https://discord.com/channels/1/2/3",                          // another platform
	} {
		mustReply(t, s.command(t, slackGeneral, slacktest.AdminUser, "post thread "+link), "not a message link of this chat")
		mustReply(t, s.command(t, slackGeneral, slacktest.AdminUser, "post "+link), "not a message link of this chat")
	}
	if n := len(s.forum.CreatedPosts()); n != 0 {
		t.Errorf("the forum got %d posts, want none", n)
	}
}

// TestSlackTranscriptOverTheCapIsRefused: a thread or a range from a link longer than
// transcript.max_messages is refused with the cap named, as on every platform, not cut.
func TestSlackTranscriptOverTheCapIsRefused(t *testing.T) {
	t.Parallel()
	var root, reply string
	s := startSlackBot(t, func(o *Options) { transcriptTo("topic")(o); o.Transcript.MaxMessages = 2 }, func(f *slacktest.Server) {
		root, reply = slackSeedTranscript(f)
	})
	for _, cmd := range []string{"post thread <" + slackThreadLink(root, reply) + ">",
		"post <" + slacktest.TeamURL + "archives/" + slacktest.GeneralID + "/p" + strings.Replace(root, ".", "", 1) + ">"} {
		mustReply(t, s.command(t, slackGeneral, slacktest.AdminUser, cmd), "more than the 2 messages one transcript may hold")
	}
	if n := len(s.forum.CreatedPosts()); n != 0 {
		t.Errorf("the forum got %d posts, want none", n)
	}
}

func TestSlackTranscriptComposerLink(t *testing.T) {
	t.Parallel()
	s := startSlackBot(t, transcriptTo("link"), func(f *slacktest.Server) { slackSeedTranscript(f) })
	answer := s.postTranscript(t, "post 3", 3)
	mustReply(t, answer, "Transcript of 3 messages ready")
	m := regexp.MustCompile(`<(https?://[^|>]+)\|open it in the forum's composer>`).FindStringSubmatch(answer)
	if m == nil {
		t.Fatalf("answer %q holds no composer link", answer)
	}
	// mrkdwn writes & as &amp; inside links
	q := composerLink(t, s.forum, html.UnescapeString(m[1]), "Chat transcript: #general on Slack")
	golden(t, slackGoldenTranscript, q.Get("body"))
}
