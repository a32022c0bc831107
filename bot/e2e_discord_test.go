package bot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
)

// End-to-end tests of the whole bot (bot.Run) against the fake forum and the fake Discord,
// through the real discordgo SDK: /discourse interactions over the gateway, notifications as
// embeds over the REST API, threads for the thread filter, transcripts from channel history
// with the interactive preview's buttons.

// discordGeneral is #general, the fake's channel where the bot may do everything.
var discordGeneral = adapters.ChannelRef{Platform: "discord", ChatID: discordtest.ChannelID}

const discordGoldenTranscript = "testdata/transcript_discord.md"

// startDiscordBot is startChatBot on Discord (connected: the gateway session is live and the
// command is registered).
func startDiscordBot(t *testing.T, extra botOption, seed func(*discordtest.Server)) *discordBot {
	t.Helper()
	return &discordBot{startChatBot(t, discordPlatform, extra, seed)}
}

// answers returns the bot's answers to one interaction (the response, then follow-ups).
func (d *discordBot) answers(interactionID string) []discordtest.Message {
	return keep(d.fake.Messages(), func(m discordtest.Message) bool { return m.Interaction == interactionID })
}

// message returns the bot's message with that id as it is now (edits included).
func (d *discordBot) message(t *testing.T, id string) discordtest.Message {
	t.Helper()
	for _, m := range d.fake.Messages() {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("the bot sent no message %s", id)
	return discordtest.Message{}
}

// command makes userID run "/discourse text" in ch (as typed subcommand options where they fit)
// and returns the bot's response to that interaction and the interaction id.
func (d *discordBot) command(t *testing.T, ch adapters.ChannelRef, userID, text string) (discordtest.Message, string) {
	t.Helper()
	id := d.fake.InjectCommandAs(ch, userID, text)
	waitUntil(t, "the answer to /discourse "+text, func() bool { return len(d.answers(id)) > 0 })
	return d.answers(id)[0], id
}

// press makes userID press the button whose label is label on msg (the bot's message in ch) and
// waits until the answer has replaced msg; it returns the message as replaced.
func (d *discordBot) press(t *testing.T, ch adapters.ChannelRef, userID string, msg discordtest.Message, label string) discordtest.Message {
	t.Helper()
	for _, b := range msg.Buttons() {
		if b.Label != label {
			continue
		}
		d.fake.InjectComponent(ch, userID, b.CustomID)
		var now discordtest.Message
		waitUntil(t, "the answer to pressing "+label, func() bool {
			now = d.message(t, msg.ID)
			return now.Content != msg.Content
		})
		return now
	}
	t.Fatalf("no button %q on the message %q; it has %+v", label, msg.Content, msg.Buttons())
	return discordtest.Message{}
}

// notifications returns the bot's embeds in ch (threads included), oldest first.
func (d *discordBot) notifications(ch adapters.ChannelRef) []discordtest.Message {
	return keep(d.fake.Messages(), func(m discordtest.Message) bool {
		return m.Channel == ch.ChatID && m.Interaction == "" && len(m.Embeds) > 0
	})
}

// waitNotifications waits until ch holds n notifications and returns them.
func (d *discordBot) waitNotifications(t *testing.T, ch adapters.ChannelRef, n int) []discordtest.Message {
	t.Helper()
	return waitCount(t, "notifications in "+ch.String(), n, func() []discordtest.Message { return d.notifications(ch) })
}

// announcements returns the bot's plain messages in ch (not answers, not embeds): what everyone
// in the channel sees, such as "changed this channel's forum notifications".
func (d *discordBot) announcements(ch adapters.ChannelRef) []discordtest.Message {
	return keep(d.fake.Messages(), func(m discordtest.Message) bool {
		return m.Channel == ch.ChatID && m.Interaction == "" && len(m.Embeds) == 0
	})
}

// discordEscape matches a Discord markdown backslash escape.
var discordEscape = regexp.MustCompile("\\\\([!-/:-@\\[-`{-~])")

// discordShown is Discord markdown as a reader sees it: escapes resolved, the invisible word
// joiners that defuse mass mentions gone.
func discordShown(s string) string {
	return strings.ReplaceAll(discordEscape.ReplaceAllString(s, "$1"), "\u2060", "")
}

func discordTitles(ms []discordtest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, discordShown(m.Embeds[0].Title))
	}
	return out
}

// discordNoMentions checks that a message was sent with allowed_mentions parsing nothing and
// listing nobody: {"parse": []} (discordgo adds "replied_user": false).
func discordNoMentions(t *testing.T, m discordtest.Message) {
	t.Helper()
	var am struct {
		Parse       *[]string `json:"parse"`
		Users       []string  `json:"users"`
		Roles       []string  `json:"roles"`
		RepliedUser bool      `json:"replied_user"`
	}
	if m.AllowedMentionsJSON == "" {
		t.Errorf("message %s was sent without allowed_mentions: Discord parses every mention in it", m.ID)
		return
	}
	if err := json.Unmarshal([]byte(m.AllowedMentionsJSON), &am); err != nil {
		t.Errorf("allowed_mentions %s: %v", m.AllowedMentionsJSON, err)
		return
	}
	if am.Parse == nil || len(*am.Parse) != 0 || len(am.Users) != 0 || len(am.Roles) != 0 || am.RepliedUser {
		t.Errorf("allowed_mentions %s, want {\"parse\": []}", m.AllowedMentionsJSON)
	}
}

func TestDiscordWatchThenPostArrivesAsAnEmbed(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, nil, nil)
	reply, _ := d.command(t, discordGeneral, discordtest.AdminID, "watch support")
	mustReply(t, discordShown(reply.Content), "support")
	if !reply.Ephemeral {
		t.Errorf("the answer %q is visible to everyone, want it ephemeral", reply.Content)
	}
	waitUntil(t, "the public confirmation", func() bool {
		for _, m := range d.announcements(discordGeneral) {
			if strings.Contains(m.Content, "changed this channel's forum notifications") {
				return true
			}
		}
		return false
	})

	d.forum.CreateTopic("Not for this channel", "<p>general chatter</p>", "alice", d.forum.cat["general"])
	topic, _ := d.forum.CreateTopic("Installer stops at step 3", "<p>It <b>hangs</b> at step 3.</p>", "bob", d.forum.cat["support"], "bug")
	got := d.waitNotifications(t, discordGeneral, 1)
	// The general topic came first: had it matched, the channel's in-order sender would have
	// delivered it first.
	if len(got) != 1 || len(got[0].Embeds) != 1 {
		t.Fatalf("got %d notifications, want 1 with one embed: %q", len(got), discordTitles(got))
	}
	n, e := got[0], got[0].Embeds[0]
	if discordShown(e.Title) != "Installer stops at step 3" {
		t.Errorf("embed title %q", e.Title)
	}
	if !strings.HasPrefix(e.URL, d.forum.URL()+"/t/") || !strings.Contains(e.URL, fmt.Sprint(topic)) {
		t.Errorf("embed links %q, want the post on %s (topic %d)", e.URL, d.forum.URL(), topic)
	}
	if !strings.Contains(discordShown(e.Description), "hangs at step 3") {
		t.Errorf("embed description %q lacks the excerpt", e.Description)
	}
	if e.Author == nil || !strings.Contains(e.Author.Name, "bob") {
		t.Errorf("embed author %+v, want bob", e.Author)
	}
	fields := map[string]string{}
	for _, f := range e.Fields {
		fields[f.Name] = discordShown(f.Value)
	}
	if fields["Category"] != "[Support]" || fields["Tags"] != "bug" {
		t.Errorf("embed fields %q, want the category and the tags", fields)
	}
	if e.Color != 0x0088CC {
		t.Errorf("embed colour %06X, want the category's 0088CC", e.Color)
	}
	if n.Thread != "" || n.Ephemeral {
		t.Errorf("notification in thread %q (ephemeral %v), want a plain channel message", n.Thread, n.Ephemeral)
	}
	discordNoMentions(t, n)
}

func TestDiscordMemberWithoutManageChannelsIsRefused(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, transcriptTo("topic"), func(f *discordtest.Server) {
		f.AddUserMessage(discordtest.ChannelID, discordtest.MemberID, "something worth keeping")
	})
	for _, cmd := range []string{"watch support", "thread general", "remove 1", "post 3", "test"} {
		reply, _ := d.command(t, discordGeneral, discordtest.MemberID, cmd)
		mustReply(t, discordShown(reply.Content), "Only a channel admin")
		if len(reply.Buttons()) != 0 {
			t.Errorf("the refusal of %q has buttons %+v", cmd, reply.Buttons())
		}
	}
	checkNothingMade(t, d.bot, d.forum, "a member without Manage Channels")
	if a := d.announcements(discordGeneral); len(a) != 0 {
		t.Errorf("a refused command announced in the channel: %q", a[0].Content)
	}
	// Anyone may look; given Manage Channels, the same member may act.
	d.command(t, discordGeneral, discordtest.MemberID, "status")
	d.fake.SetAdmin(discordtest.MemberID, true)
	reply, _ := d.command(t, discordGeneral, discordtest.MemberID, "watch support")
	if strings.Contains(reply.Content, "Only a channel admin") {
		t.Fatalf("a member with Manage Channels was refused: %q", reply.Content)
	}
	if rules, _ := d.bot.Store().AllRules(t.Context()); len(rules) != 1 {
		t.Errorf("after watch support by a member with Manage Channels: rules %+v, want 1", rules)
	}
}

// TestDiscordForumMentionsPingNobody: forum titles and excerpts are untrusted. However they
// mention @everyone, @here, a user or a role, the notification pings nobody, says so to Discord
// in allowed_mentions, and still reads as written.
func TestDiscordForumMentionsPingNobody(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, nil, nil)
	d.command(t, discordGeneral, discordtest.AdminID, "watch support")
	title := "@everyone the server is down, @here look"
	excerpt := "<@" + discordtest.MemberID + "> and <@&" + discordtest.ModRoleID + "> please check @everyone"
	d.forum.CreateTopic(title, "<p>"+strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(excerpt)+"</p>", "mallory", d.forum.cat["support"])
	n := d.waitNotifications(t, discordGeneral, 1)[0]
	if p := n.Pings(); len(p) > 0 {
		t.Errorf("the notification pings %q", p)
	}
	discordNoMentions(t, n)
	e := n.Embeds[0]
	if got := discordShown(e.Title); got != title {
		t.Errorf("title reads %q, want %q as written", got, title)
	}
	if got := discordShown(e.Description); !strings.Contains(got, excerpt) {
		t.Errorf("excerpt reads %q, want it to contain %q as written", got, excerpt)
	}
	// Defence in depth: even were allowed_mentions lost, no mass mention is left live.
	for _, s := range []string{e.Title, e.Description, n.Content} {
		if strings.Contains(s, "@everyone") || strings.Contains(s, "@here") {
			t.Errorf("live mass mention in %q", s)
		}
	}
}

// TestDiscordDroppedGatewayLosesNoInteraction: a command run while the bot's gateway socket is
// down waits in the session; the bot resumes the session (no new IDENTIFY), gets the command
// replayed and answers it once.
func TestDiscordDroppedGatewayLosesNoInteraction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(*discordtest.Server)
	}{
		{"dropped socket", (*discordtest.Server).DropConnections},
		{"op 7 reconnect", (*discordtest.Server).RequestReconnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := startDiscordBot(t, nil, nil)
			d.command(t, discordGeneral, discordtest.AdminID, "status") // the session is live
			tt.fault(d.fake)
			id := d.fake.InjectCommandAs(discordGeneral, discordtest.AdminID, "watch support")
			waitUntil(t, "the answer to the command run during the outage", func() bool { return len(d.answers(id)) > 0 })
			mustReply(t, discordShown(d.answers(id)[0].Content), "support")

			// The rule works: a post after the outage arrives. By then a duplicate run of the
			// command would have answered too.
			d.forum.CreateTopic("After the outage", "<p>x</p>", "bob", d.forum.cat["support"])
			if got := discordTitles(d.waitNotifications(t, discordGeneral, 1)); fmt.Sprint(got) != "[After the outage]" {
				t.Errorf("notifications %q, want the one post", got)
			}
			if n := len(d.answers(id)); n != 1 {
				t.Errorf("the command was answered %d times, want once", n)
			}
			if announced := len(keep(d.announcements(discordGeneral), func(m discordtest.Message) bool {
				return strings.Contains(m.Content, "changed this channel's forum notifications")
			})); announced != 1 {
				t.Errorf("the rule change was announced %d times, want once", announced)
			}
			if rules, _ := d.bot.Store().AllRules(t.Context()); len(rules) != 1 {
				t.Errorf("rules %+v, want the one watch rule", rules)
			}
			intents, resumes := d.fake.Identifies()
			if len(intents) != 1 || resumes < 1 {
				t.Errorf("identifies %d, resumes %d: want the session resumed, not a new one", len(intents), resumes)
			}
		})
	}
}

func TestDiscordThreadRuleMakesOneThreadPerTopic(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, nil, nil)
	reply, _ := d.command(t, discordGeneral, discordtest.AdminID, "thread support")
	mustReply(t, discordShown(reply.Content), "thread")
	postTopicsAandB(d.forum)
	got := d.waitNotifications(t, discordGeneral, 5)
	var notes []threadNote
	for i, m := range got {
		notes = append(notes, threadNote{title: discordTitles(got)[i], id: m.ID, thread: m.Thread})
	}
	// A thread started from a message has the message's id.
	checkThreadPerTopic(t, notes, "the thread of A's first notification")
	a1, a2, b1, a3, b2 := got[0], got[1], got[2], got[3], got[4]
	for _, tt := range []struct {
		root discordtest.Message
		name string
	}{{a1, "Topic A"}, {b1, "Topic B"}} {
		th, ok := d.fake.Thread(tt.root.ID)
		if !ok || th.Name != tt.name || th.ParentID != discordtest.ChannelID {
			t.Errorf("thread of %q: %+v (found %v), want one named after the topic in #general", tt.name, th, ok)
		}
	}
	// One thread per topic: none was started from a reply.
	for _, m := range []discordtest.Message{a2, a3, b2} {
		if _, ok := d.fake.Thread(m.ID); ok {
			t.Errorf("a thread was started from the reply %s", m.ID)
		}
	}
	for _, m := range got {
		discordNoMentions(t, m)
	}
}

// discordTranscriptSeed fills #general with a conversation with Discord markdown (bold, strike,
// a user mention, a custom emoji, code), a bot message (left out of transcripts) and a file. It
// returns the ids of the messages, oldest first.
func discordTranscriptSeed(f *discordtest.Server) []string {
	ch := discordtest.ChannelID
	return []string{
		f.AddUserMessage(ch, discordtest.MemberID, "Morning all"),
		f.AddUserMessage(ch, discordtest.MemberID, "Has anyone seen the installer hang?"),
		f.AddUserMessage(ch, discordtest.AdminID, "Yes, on **step 3**. <@"+discordtest.MemberID+"> try `--verbose` <:tada:741000000000000001>"),
		f.AddUserMessage(ch, discordtest.BotID, "a notification the bot sent"),
		f.AddUserMessage(ch, discordtest.AdminID, "Logs:\n```\nerror: <nil> & *more*\n```"),
		f.AddUserMessage(ch, discordtest.MemberID, "Here is mine, ~~fixed~~ still broken", "install.log"),
	}
}

// discordStableIDs replaces the seeded messages' ids, which the fake makes from the clock, with
// their place in the seed ("{msg2}"), so the transcript compares with a golden file.
func discordStableIDs(s string, ids []string) string {
	for i, id := range ids {
		s = strings.ReplaceAll(s, id, fmt.Sprintf("{msg%d}", i+1))
	}
	return s
}

// TestDiscordTranscriptWithButtons: /discourse post 3 previews the last three messages with
// buttons; "◀ Start earlier" takes one more; "Post to forum" creates the topic, and only then.
func TestDiscordTranscriptWithButtons(t *testing.T) {
	t.Parallel()
	var ids []string
	d := startDiscordBot(t, transcriptTo("topic"), func(f *discordtest.Server) {
		ids = discordTranscriptSeed(f)
	})
	preview, _ := d.command(t, discordGeneral, discordtest.AdminID, "post 3")
	for _, want := range []string{"Transcript of 3 messages", "From **@alice**", "Yes, on", "To **@bob**", "Here is mine"} {
		mustReply(t, preview.Content, want)
	}
	if !preview.Ephemeral {
		t.Errorf("the preview is visible to everyone, want it ephemeral")
	}
	discordNoMentions(t, preview)
	var labels []string
	for _, b := range preview.Buttons() {
		labels = append(labels, b.Label)
	}
	if want := []string{commands.ActionStartEarlier, commands.ActionStartLater, commands.ActionEndEarlier, commands.ActionPost}; fmt.Sprint(labels) != fmt.Sprint(want) {
		t.Errorf("preview buttons %q, want %q", labels, want)
	}
	if n := len(d.forum.CreatedPosts()); n != 0 {
		t.Fatalf("the preview already posted to the forum (%d posts)", n)
	}

	earlier := d.press(t, discordGeneral, discordtest.AdminID, preview, commands.ActionStartEarlier)
	for _, want := range []string{"Transcript of 4 messages", "From **@bob**", "Has anyone seen"} {
		mustReply(t, earlier.Content, want)
	}
	if n := len(d.forum.CreatedPosts()); n != 0 {
		t.Fatalf("moving the start posted to the forum (%d posts)", n)
	}

	answer := d.press(t, discordGeneral, discordtest.AdminID, earlier, commands.ActionPost)
	mustReply(t, discordShown(answer.Content), "Posted a transcript of 4 messages")
	if len(answer.Buttons()) != 0 {
		t.Errorf("the answer still shows buttons %+v", answer.Buttons())
	}
	topic := transcriptTopic(t, d.forum, answer.Content, "Chat transcript: #general on Discord")
	golden(t, discordGoldenTranscript, discordStableIDs(topic.Raw, ids))
	for _, outside := range []string{"Morning all", "a notification the bot sent"} {
		if strings.Contains(topic.Raw, outside) {
			t.Errorf("the transcript holds %q, outside the range or the bot's own", outside)
		}
	}
}

// TestDiscordTranscriptRefusedToAMember: without Manage Channels, post previews nothing and
// posts nothing.
func TestDiscordTranscriptRefusedToAMember(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, transcriptTo("topic"), func(f *discordtest.Server) { discordTranscriptSeed(f) })
	for _, cmd := range []string{"post 3", "post", "post 2 to " + d.forum.URL() + "/t/existing-topic/1"} {
		reply, _ := d.command(t, discordGeneral, discordtest.MemberID, cmd)
		mustReply(t, discordShown(reply.Content), "Only a channel admin")
		if len(reply.Buttons()) != 0 {
			t.Errorf("the refusal of %q has buttons %+v", cmd, reply.Buttons())
		}
	}
	if n := len(d.forum.CreatedPosts()); n != 0 {
		t.Errorf("the forum got %d posts from a member without Manage Channels", n)
	}
}

// discordComposerLink is the composer link in an answer: "[open it in the forum's composer](<url>)".
var discordComposerLink = regexp.MustCompile(`\[open it in the forum's composer\]\(<(https?://[^<>]+)>\)`)

// discordPostRange runs "post 3" as the admin in #general, presses "◀ Start earlier" and then
// "Post to forum", and returns the answer that replaced the preview.
func (d *discordBot) postRange(t *testing.T) discordtest.Message {
	t.Helper()
	preview, _ := d.command(t, discordGeneral, discordtest.AdminID, "post 3")
	earlier := d.press(t, discordGeneral, discordtest.AdminID, preview, commands.ActionStartEarlier)
	return d.press(t, discordGeneral, discordtest.AdminID, earlier, commands.ActionPost)
}

// TestDiscordTranscriptComposerLink: in link mode the answer is a composer link whose body is
// the same transcript the topic mode posts.
func TestDiscordTranscriptComposerLink(t *testing.T) {
	t.Parallel()
	var ids []string
	d := startDiscordBot(t, transcriptTo("link"), func(f *discordtest.Server) {
		ids = discordTranscriptSeed(f)
	})
	answer := d.postRange(t)
	mustReply(t, answer.Content, "Transcript of 4 messages ready")
	m := discordComposerLink.FindStringSubmatch(answer.Content)
	if m == nil {
		t.Fatalf("answer %q holds no composer link", answer.Content)
	}
	q := composerLink(t, d.forum, m[1], "Chat transcript: #general on Discord")
	if !*update { // TestDiscordTranscriptWithButtons writes the golden file
		golden(t, discordGoldenTranscript, discordStableIDs(q.Get("body"), ids))
	}
}

// TestDiscordLongComposerLinkStaysWhole: a composer link is offered up to 6 000 characters, but
// a Discord message holds 2 000. A link that does not fit one message must not be cut in two:
// the bot should fall back to creating the topic (as it does past 6 000).
func TestDiscordLongComposerLinkStaysWhole(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, transcriptTo("link"), func(f *discordtest.Server) {
		for i := 0; i < 16; i++ {
			f.AddUserMessage(discordtest.ChannelID, discordtest.MemberID, fmt.Sprintf("message %d: %s", i, strings.Repeat("lorem ipsum dolor ", 6)))
		}
	})
	preview, _ := d.command(t, discordGeneral, discordtest.AdminID, "post 16")
	answer := d.press(t, discordGeneral, discordtest.AdminID, preview, commands.ActionPost)
	if created := d.forum.CreatedPosts(); len(created) == 1 {
		mustReply(t, discordShown(answer.Content), "Posted a transcript of 16 messages")
		return // fell back to a topic: fine
	}
	// The answer replaced the preview; its continuations are ephemeral follow-ups.
	parts := []string{fmt.Sprintf("%d characters", len([]rune(answer.Content)))}
	for _, m := range d.fake.Messages() {
		if m.Ephemeral && m.ID != answer.ID && m.Interaction != preview.Interaction {
			parts = append(parts, fmt.Sprintf("%d characters", len([]rune(m.Content))))
		}
	}
	m := discordComposerLink.FindStringSubmatch(answer.Content)
	if m == nil {
		t.Fatalf("no whole composer link in the answer; it came in %d messages (%s)", len(parts), strings.Join(parts, ", "))
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if body := u.Query().Get("body"); !strings.Contains(body, "message 15:") || !strings.Contains(body, "[/quote]") {
		t.Errorf("the composer link's body is cut:\n%s", body)
	}
}

// TestDiscordTranscriptOfAThread: `post thread` run inside a thread previews the thread's
// messages and, confirmed with the button, posts them and nothing from the channel.
func TestDiscordTranscriptOfAThread(t *testing.T) {
	t.Parallel()
	d := startDiscordBot(t, transcriptTo("topic"), nil)
	root := d.topicThread(t)
	inThread := adapters.ChannelRef{Platform: "discord", ChatID: discordtest.ChannelID, ThreadID: root.ID}
	d.fake.AddUserMessage(discordtest.ChannelID, discordtest.MemberID, "Outside the thread")
	d.fake.AddUserMessage(root.ID, discordtest.MemberID, "Same here, it hangs at step 3")
	d.fake.AddUserMessage(root.ID, discordtest.AdminID, "Run it with `--verbose`")
	d.fake.AddUserMessage(root.ID, discordtest.MemberID, "That fixed it, thanks")

	preview, _ := d.command(t, inThread, discordtest.AdminID, "post thread Installer hang")
	for _, want := range []string{"Transcript of 3 messages", "Same here", "That fixed it"} {
		mustReply(t, preview.Content, want)
	}
	if preview.Thread != root.ID {
		t.Errorf("the preview went to thread %q, want the thread %q it was asked in", preview.Thread, root.ID)
	}
	answer := d.press(t, inThread, discordtest.AdminID, preview, commands.ActionPost)
	mustReply(t, discordShown(answer.Content), "Posted a transcript of 3 messages")
	checkThreadTranscript(t, d.forum, 1, "Installer hang",
		[]string{"**@bob:** Same here, it hangs at step 3", "**@alice:** Run it with `--verbose`", "**@bob:** That fixed it, thanks"},
		[]string{"Outside the thread", "Installer hangs"}) // the channel, and the bot's own notifications
}

// topicThread makes the bot start a thread in #general: a thread rule on Support, then a topic
// with a reply. It returns the thread's starter, the topic's first notification.
func (d *discordBot) topicThread(t *testing.T) discordtest.Message {
	t.Helper()
	d.command(t, discordGeneral, discordtest.AdminID, "thread support")
	topic, _ := d.forum.CreateTopic("Installer hangs", "<p>first</p>", "alice", d.forum.cat["support"])
	d.forum.Reply(topic, "bob", "<p>second</p>") // starts the thread
	return d.waitNotifications(t, discordGeneral, 2)[0]
}
