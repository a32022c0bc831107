package bot

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix/matrixtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost/mattermosttest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
)

// End-to-end tests of transcripts started from a message's own menu or by a reply to it: the
// platform's real payloads, through the real SDKs, to the same preview and buttons as `post`.

// shortcut makes userID pick "Post to forum from here" on the message ts in #general, send the
// form it opens as it comes (empty), and returns the bot's ephemeral answer (as Flat, everything
// a reader sees).
func (s *slackBot) shortcut(t *testing.T, userID, ts string) string {
	t.Helper()
	return s.shortcutForm(t, userID, ts, nil)
}

// shortcutForm is shortcut with the form filled with values (by input: slack.FormTitle,
// slack.FormCategory).
func (s *slackBot) shortcutForm(t *testing.T, userID, ts string, values map[string]string) string {
	t.Helper()
	before, views := len(s.replies(slackGeneral)), len(s.fake.Views())
	s.fake.InjectMessageShortcut(slackGeneral, userID, slack.ShortcutCallbackID, ts)
	waitUntil(t, "the form the message shortcut opens", func() bool { return len(s.fake.Views()) > views })
	s.fake.SubmitView(s.fake.Views()[views].ID, values)
	waitUntil(t, "the answer to the form", func() bool { return len(s.replies(slackGeneral)) > before })
	return s.replies(slackGeneral)[before].Flat
}

func TestSlackMessageShortcutStartsTheTranscriptThere(t *testing.T) {
	t.Parallel()
	var from, root, reply string
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
		f.AddMessage(slackGeneral, slacktest.Member, "Morning all", "")
		from = f.AddMessage(slackGeneral, slacktest.Member, "Where does the installer log to?", "")
		f.AddMessage(slackGeneral, slacktest.AdminUser, "To /var/log/installer", "")
		f.AddMessage(slackGeneral, slacktest.Member, "Found it, thanks", "")
		root = f.AddMessage(slackGeneral, slacktest.Member, "Anyone on the beta?", "")
		f.AddMessage(slackGeneral, slacktest.AdminUser, "Not yet", root)
		reply = f.AddMessage(slackGeneral, slacktest.Member, "It is out on Friday", root)
		f.AddMessage(slackGeneral, slacktest.AdminUser, "Good to know", root)
	})

	preview := s.shortcut(t, slacktest.AdminUser, from)
	for _, want := range []string{"Transcript of 4 messages", "Where does the installer log to?", "Anyone on the beta?"} {
		mustReply(t, preview, want)
	}
	if n := len(s.forum.CreatedPosts()); n != 0 {
		t.Fatalf("the shortcut posted to the forum at once (%d posts), want a preview", n)
	}
	mustReply(t, s.press(t, slackGeneral, slacktest.AdminUser, "Start later"), "Transcript of 3 messages")
	answer := s.press(t, slackGeneral, slacktest.AdminUser, "Post to forum")
	mustReply(t, answer, "Posted a transcript of 3 messages")
	checkTranscript(t, oneTranscript(t, s.forum), []string{"To /var/log/installer", "Found it, thanks", "Anyone on the beta?"},
		[]string{"Morning all", "Where does the installer log to?"}) // before its start

	t.Run("on a reply in a thread, the rest of the thread", func(t *testing.T) {
		preview := s.shortcut(t, slacktest.AdminUser, reply)
		for _, want := range []string{"Transcript of 2 messages", "It is out on Friday", "Good to know"} {
			mustReply(t, preview, want)
		}
		mustReply(t, s.press(t, slackGeneral, slacktest.AdminUser, "Start earlier"), "Transcript of 3 messages")
	})

	t.Run("a member is refused, privately", func(t *testing.T) {
		before := len(s.forum.CreatedPosts())
		mustReply(t, s.shortcut(t, slacktest.Member, from), "Only a channel admin")
		for _, p := range s.fake.Posts(slackGeneral) {
			if !p.Ephemeral {
				t.Errorf("a refused shortcut posted publicly: %q", p.Text)
			}
		}
		if n := len(s.forum.CreatedPosts()); n != before {
			t.Errorf("a member's shortcut reached the forum")
		}
	})
}

// TestSlackShortcutFormNamesTitleAndCategory: the title and category given in the shortcut's
// form make the topic's, through the preview's buttons.
func TestSlackShortcutFormNamesTitleAndCategory(t *testing.T) {
	t.Parallel()
	var from string
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
		from = f.AddMessage(slackGeneral, slacktest.Member, "Where does the installer log to?", "")
		f.AddMessage(slackGeneral, slacktest.AdminUser, "To /var/log/installer", "")
	})
	preview := s.shortcutForm(t, slacktest.AdminUser, from,
		map[string]string{slack.FormTitle: "2 places the installer logs to", slack.FormCategory: "support/installs"})
	mustReply(t, preview, "Transcript of 2 messages")
	mustReply(t, s.press(t, slackGeneral, slacktest.AdminUser, "Post to forum"), "Posted a transcript of 2 messages")
	created := s.forum.CreatedPosts()
	if len(created) != 1 || created[0].Title != "2 places the installer logs to" || created[0].CategoryID != s.forum.cat["support/installs"] {
		t.Fatalf("the forum got %+v, want one topic with the form's title in support/installs", created)
	}
}

// menuCommand makes userID pick "Post to forum from here" in the Apps menu of message id in ch and
// returns the bot's response to that interaction.
func (d *discordBot) menuCommand(t *testing.T, ch adapters.ChannelRef, userID, id string) discordtest.Message {
	t.Helper()
	in := d.fake.InjectMessageCommand(ch, userID, discord.MenuCommandName, id)
	waitUntil(t, "the answer to the message command", func() bool { return len(d.answers(in)) > 0 })
	return d.answers(in)[0]
}

func TestDiscordMessageCommandStartsTheTranscriptThere(t *testing.T) {
	t.Parallel()
	var (
		ids, thread []string
		root        string
	)
	d := startDiscordBot(t, transcriptTo("topic"), func(f *discordtest.Server) {
		ids = discordTranscriptSeed(f)
		root = f.AddUserMessage(discordtest.ChannelID, discordtest.MemberID, "Anyone on the beta?")
		f.StartThread(discordtest.ChannelID, root, discordtest.MemberID, "beta")
		thread = []string{
			f.AddUserMessage(root, discordtest.AdminID, "Not yet"),
			f.AddUserMessage(root, discordtest.MemberID, "It is out on Friday"),
			f.AddUserMessage(root, discordtest.AdminID, "Good to know"),
		}
	})

	preview := d.menuCommand(t, discordGeneral, discordtest.AdminID, ids[1])
	for _, want := range []string{"Transcript of 5 messages", "Has anyone seen the installer hang?", "Anyone on the beta?"} {
		mustReply(t, preview.Content, want)
	}
	if !preview.Ephemeral {
		t.Errorf("the preview is visible to everyone, want it ephemeral")
	}
	if n := len(d.forum.CreatedPosts()); n != 0 {
		t.Fatalf("the message command posted to the forum at once (%d posts), want a preview", n)
	}
	later := d.press(t, discordGeneral, discordtest.AdminID, preview, commands.ActionStartLater)
	mustReply(t, later.Content, "Transcript of 4 messages")
	answer := d.press(t, discordGeneral, discordtest.AdminID, later, commands.ActionPost)
	mustReply(t, discordShown(answer.Content), "Posted a transcript of 4 messages")
	checkTranscript(t, oneTranscript(t, d.forum), []string{"Here is mine"}, // the newest message
		[]string{"Morning all", "Has anyone seen the installer hang?"}) // before its start

	t.Run("in a thread, the rest of the thread", func(t *testing.T) {
		in := adapters.ChannelRef{Platform: "discord", ChatID: discordtest.ChannelID, ThreadID: root} // a thread's id is its first message's
		preview := d.menuCommand(t, in, discordtest.AdminID, thread[1])
		for _, want := range []string{"Transcript of 2 messages", "It is out on Friday", "Good to know"} {
			mustReply(t, preview.Content, want)
		}
	})

	t.Run("a bot's message cannot start one", func(t *testing.T) {
		mustReply(t, discordShown(d.menuCommand(t, discordGeneral, discordtest.AdminID, ids[3]).Content), "cannot start at that message")
	})

	t.Run("a member is refused, privately", func(t *testing.T) {
		before := len(d.forum.CreatedPosts())
		reply := d.menuCommand(t, discordGeneral, discordtest.MemberID, ids[1])
		mustReply(t, discordShown(reply.Content), "Only a channel admin")
		if !reply.Ephemeral || len(reply.Buttons()) != 0 {
			t.Errorf("the refusal is public (%v) or has buttons %+v", !reply.Ephemeral, reply.Buttons())
		}
		if n := len(d.forum.CreatedPosts()); n != before {
			t.Errorf("a member's message command reached the forum")
		}
	})
	if u := d.fake.Unhandled(); len(u) != 0 {
		t.Errorf("the fake Discord did not understand: %q", u)
	}
}

// TestTelegramReplyWithPostStartsThere: "/post" sent as a reply to a message posts from that
// message on (Telegram shows no preview); a member's reply is refused.
func TestTelegramReplyWithPostStartsThere(t *testing.T) {
	r := newTelegramRun(t)
	ids := r.tgConversation()
	cmd := r.tg.Inject(telegramtest.Incoming{Channel: tgGroup, From: telegramtest.MemberUser, Text: "/post", ReplyTo: ids[2]})
	mustReply(t, r.waitReply(t, tgGroup, cmd).Text, "Only a channel admin")
	if n := len(r.forum.CreatedPosts()); n != 0 {
		t.Fatalf("a member's reply reached the forum (%d posts)", n)
	}

	cmd = r.tg.Inject(telegramtest.Incoming{Channel: tgGroup, From: telegramtest.AdminUser, Text: "/post", ReplyTo: ids[2]})
	mustReply(t, r.waitReply(t, tgGroup, cmd).Text, "Posted a transcript of 2 messages")
	checkTranscript(t, oneTranscript(t, r.forum), []string{"Run it with `--verbose`", "Log:"},
		[]string{"Good morning", "exit code 2"}) // sent before the message replied to
}

// TestMattermostPostInAThreadStartsAtItsMessage: "@discourse post" replying to a message (in its
// thread) posts from that message on, thread replies and later posts alike; a member is refused.
func TestMattermostPostInAThreadStartsAtItsMessage(t *testing.T) {
	t.Parallel()
	var seed *mmSeed
	r := startMattermostBot(t, transcriptTo("topic"), func(f *mattermosttest.Server) { seed = mmSeedTranscript(f) })
	say := func(userID string) string {
		before := len(r.replies())
		r.fake.InjectPost(r.fake.Channel(), userID, "@"+mattermosttest.BotUsername+" post", seed.root)
		waitUntil(t, "the answer to @discourse post", func() bool { return len(r.replies()) > before })
		return mattermosttest.Shown(r.replies()[before].Message)
	}
	mustReply(t, say(r.fake.AdminID()), "Posted a transcript of 6 messages")
	checkTranscript(t, oneTranscript(t, r.forum), []string{"Has anyone seen the installer hang?", "Fixed it with", "Here is my log"},
		[]string{"Morning all"}) // before the message replied to
	mustReply(t, say(r.fake.MemberID()), "Only a channel admin")
	if n := len(r.forum.CreatedPosts()); n != 1 {
		t.Errorf("a member's reply reached the forum (%d posts)", n)
	}
}

// TestMatrixReplyWithPostStartsThere: "!discourse post" sent as a reply (m.in_reply_to) posts
// from the event it answers on, the reply fallback stripped; a member's reply is refused.
func TestMatrixReplyWithPostStartsThere(t *testing.T) {
	t.Parallel()
	var from id.EventID
	r := startMatrixBot(t, transcriptTo("topic"), func(f *matrixtest.Server) {
		from = mxAskAboutTheInstaller(f)
		f.SayText(f.MainRoom(), matrixtest.AdminUser, "Yes, on step 3")
		f.SayText(f.MainRoom(), matrixtest.MemberUser, "Fixed it, thanks")
	})
	reply := func(who id.UserID) string {
		before := len(r.notices(t))
		r.mx.Say(r.mx.MainRoom(), who, map[string]any{"msgtype": "m.text",
			"body":         "> <@dave:localhost> Has anyone seen the installer hang?\n\n!discourse post",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": from}}})
		waitUntil(t, "the answer to the reply", func() bool { return len(r.notices(t)) > before })
		return r.notices(t)[before].Body
	}
	mustReply(t, reply(matrixtest.AdminUser), "Posted a transcript of 3 messages")
	checkTranscript(t, oneTranscript(t, r.forum), []string{"Has anyone seen the installer hang?", "Yes, on step 3", "Fixed it, thanks"},
		[]string{"Morning all"}) // before the message replied to
	mustReply(t, reply(matrixtest.MemberUser), "Only a channel admin")
	if n := len(r.forum.CreatedPosts()); n != 1 {
		t.Errorf("a member's reply reached the forum (%d posts)", n)
	}

	t.Run("in a thread, the rest of the thread", func(t *testing.T) {
		room := r.mx.MainRoom()
		root := r.mx.SayText(room, matrixtest.MemberUser, "Anyone on the beta?")
		r.mx.SayInThread(room, matrixtest.AdminUser, root, "Not yet")
		at := r.mx.SayInThread(room, matrixtest.MemberUser, root, "It is out on Friday")
		r.mx.SayInThread(room, matrixtest.AdminUser, root, "Good to know")
		r.mx.SayText(room, matrixtest.MemberUser, "Outside the thread")
		before := len(r.notices(t))
		r.mx.Say(room, matrixtest.AdminUser, map[string]any{"msgtype": "m.text", "body": "!discourse post",
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root, "is_falling_back": false,
				"m.in_reply_to": map[string]any{"event_id": at}}})
		waitUntil(t, "the answer in the thread", func() bool { return len(r.notices(t)) > before })
		mustReply(t, r.notices(t)[before].Body, "Posted a transcript of 2 messages")
		raw := r.forum.CreatedPosts()[1].Raw
		for _, unwanted := range []string{"Not yet", "Outside the thread"} {
			if strings.Contains(raw, unwanted) {
				t.Errorf("transcript holds %q:\n%s", unwanted, raw)
			}
		}
	})
}

// TestARefusedPressKeepsThePreview: a press that is refused or fails (the moderator lost the
// right to post; the forum is down) is answered in a message of its own, to the presser alone;
// the preview stays with its buttons, which work again afterwards.
func TestARefusedPressKeepsThePreview(t *testing.T) {
	t.Parallel()
	t.Run("slack", func(t *testing.T) {
		t.Parallel()
		var from string
		s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
			from = f.AddMessage(slackGeneral, slacktest.Member, "Where does the installer log to?", "")
			f.AddMessage(slackGeneral, slacktest.AdminUser, "To /var/log/installer", "")
		})
		preview := s.shortcut(t, slacktest.AdminUser, from)
		s.forum.SetOutage(true)
		mustReply(t, s.press(t, slackGeneral, slacktest.AdminUser, "Post to forum"), "The forum refused the transcript")
		if got := s.replies(slackGeneral)[0]; got.Flat != preview || got.Replaced {
			t.Fatalf("the failure replaced the preview: %q", got.Flat)
		}
		s.forum.SetOutage(false)
		mustReply(t, s.press(t, slackGeneral, slacktest.AdminUser, "Post to forum"), "Posted a transcript of 2 messages")
	})
	t.Run("discord", func(t *testing.T) {
		t.Parallel()
		var ids []string
		d := startDiscordBot(t, transcriptTo("topic"), func(f *discordtest.Server) { ids = discordTranscriptSeed(f) })
		preview := d.menuCommand(t, discordGeneral, discordtest.AdminID, ids[4])
		d.fake.SetAdmin(discordtest.AdminID, false)
		var post string
		for _, b := range preview.Buttons() {
			if b.Label == commands.ActionPost {
				post = b.CustomID
			}
		}
		in := d.fake.InjectComponent(discordGeneral, discordtest.AdminID, post)
		waitUntil(t, "the refusal", func() bool { return len(d.answers(in)) > 0 })
		refusal := d.answers(in)[0]
		mustReply(t, discordShown(refusal.Content), "Only a channel admin")
		if refusal.ID == preview.ID || !refusal.Ephemeral {
			t.Errorf("the refusal replaced the preview or is public: %+v", refusal)
		}
		if now := d.message(t, preview.ID); now.Content != preview.Content || len(now.Buttons()) != len(preview.Buttons()) {
			t.Errorf("the preview changed to %q", now.Content)
		}
		d.fake.SetAdmin(discordtest.AdminID, true)
		mustReply(t, discordShown(d.press(t, discordGeneral, discordtest.AdminID, preview, commands.ActionPost).Content), "Posted a transcript of 2 messages")
	})
}

// TestSlackShortcutBeyondTheCapIsRefused: a message older than transcript.max_messages can
// hold is refused with the cap named, and nothing is posted.
func TestSlackShortcutBeyondTheCapIsRefused(t *testing.T) {
	t.Parallel()
	var old string
	s := startSlackBot(t, func(o *Options) { transcriptTo("topic")(o); o.Transcript.MaxMessages = 2 }, func(f *slacktest.Server) {
		old = f.AddMessage(slackGeneral, slacktest.Member, "Long ago", "")
		f.AddMessage(slackGeneral, slacktest.Member, "Later", "")
		f.AddMessage(slackGeneral, slacktest.Member, "Latest", "")
	})
	mustReply(t, s.shortcut(t, slacktest.AdminUser, old), "not among the last 2 messages here")
	if n := len(s.forum.CreatedPosts()); n != 0 {
		t.Errorf("the forum got %d posts, want none", n)
	}
}
