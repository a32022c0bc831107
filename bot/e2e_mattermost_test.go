package bot

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost/mattermosttest"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// End-to-end tests of the whole bot (bot.Run) against the fake forum and the fake Mattermost,
// through the real v6 client: "@discourse …" mentions over the websocket, notifications as
// message attachments, transcripts from the posts API.

const mmGoldenTranscript = "testdata/transcript_mattermost.md"

// startMattermostBot is startChatBot on Mattermost (connected: the websocket is up).
func startMattermostBot(t *testing.T, extra botOption, seed func(*mattermosttest.Server)) *mmBot {
	t.Helper()
	return &mmBot{startChatBot(t, mattermostPlatform, extra, seed)}
}

// replies returns the bot's text posts (answers to commands) in the main channel, as stored.
func (r *mmBot) replies() []*model.Post {
	return keep(r.fake.Posts(r.fake.Channel()), func(p *model.Post) bool {
		return p.UserId == r.fake.BotID() && p.Message != "" && p.Type == "" // not its join message
	})
}

// notifications returns the bot's attachment posts in the main channel, oldest first.
func (r *mmBot) notifications() []*model.Post {
	return keep(r.fake.Posts(r.fake.Channel()), func(p *model.Post) bool {
		return p.UserId == r.fake.BotID() && len(p.Attachments()) > 0
	})
}

func (r *mmBot) waitNotifications(t *testing.T, n int) []*model.Post {
	t.Helper()
	return waitCount(t, "notifications", n, r.notifications)
}

// command has carol (admin) or dave (plain member) write "@discourse text" in the main channel
// and returns the bot's answer, as stored (Mattermost markdown).
func (r *mmBot) command(t *testing.T, admin bool, text string) string {
	t.Helper()
	before := len(r.replies())
	r.fake.InjectCommand(r.fake.Channel(), text, admin)
	waitUntil(t, "the answer to @discourse "+text, func() bool { return len(r.replies()) > before })
	return r.replies()[before].Message
}

func TestMattermostWatchThenPostArrivesAsAnAttachment(t *testing.T) {
	t.Parallel()
	r := startMattermostBot(t, nil, nil)
	mustReply(t, mattermosttest.Shown(r.command(t, true, "watch support")), "Rule created: **watch** `support`")

	r.forum.CreateTopic("Not for this channel", "<p>general chatter</p>", "alice", r.forum.cat["general"])
	topic, _ := r.forum.CreateTopic("Installer stops at step 3", "<p>It <b>hangs</b> at step 3.</p>", "bob", r.forum.cat["support"], "bug")
	got := r.waitNotifications(t, 1)
	if len(got) != 1 { // the general topic came first: had it matched, it would have arrived first
		t.Fatalf("got %d notifications, want 1", len(got))
	}
	atts := got[0].Attachments()
	if len(atts) != 1 {
		t.Fatalf("notification has %d attachments, want 1", len(atts))
	}
	a := atts[0]
	if mattermosttest.Shown(a.Title) != "Installer stops at step 3" || !strings.HasPrefix(a.TitleLink, r.forum.URL()+"/t/") ||
		!strings.Contains(a.TitleLink, fmt.Sprint(topic)) {
		t.Errorf("attachment title %q links %q, want the topic title linked to the post", a.Title, a.TitleLink)
	}
	if !strings.Contains(mattermosttest.Shown(a.Text), "hangs at step 3") || !strings.Contains(mattermosttest.Shown(a.AuthorName), "@bob") {
		t.Errorf("attachment text %q author %q", a.Text, a.AuthorName)
	}
	fields := map[string]string{}
	for _, f := range a.Fields {
		fields[f.Title] = mattermosttest.Shown(fmt.Sprint(f.Value))
	}
	if fields["Category"] != "[Support]" || fields["Tags"] != "bug" {
		t.Errorf("attachment fields %q, want the category and the tags", fields)
	}
	if !strings.Contains(a.Fallback, "Installer stops at step 3") {
		t.Errorf("fallback %q lacks the title (desktop and push notifications show it)", a.Fallback)
	}
	if got[0].RootId != "" {
		t.Errorf("a watch notification went into thread %q", got[0].RootId)
	}
}

func TestMattermostPlainMemberIsRefused(t *testing.T) {
	t.Parallel()
	r := startMattermostBot(t, transcriptTo("topic"), func(f *mattermosttest.Server) {
		f.InjectPost(f.Channel(), f.MemberID(), "something worth keeping", "")
	})
	for _, cmd := range []string{"watch support", "thread general", "remove 1", "post 3", "test"} {
		mustReply(t, mattermosttest.Shown(r.command(t, false, cmd)), "Only a channel admin")
	}
	checkNothingMade(t, r.bot, r.forum, "a plain member")
	// Anyone may look, and a channel admin may act.
	mustReply(t, mattermosttest.Shown(r.command(t, false, "status")), "")
	mustReply(t, mattermosttest.Shown(r.command(t, true, "watch support")), "Rule created: **watch** `support`")
}

// TestMattermostForumMentionsPingNobody: forum titles, excerpts, names, categories and tags are
// untrusted; no mention in them may notify a Mattermost user, and they still read as written.
func TestMattermostForumMentionsPingNobody(t *testing.T) {
	t.Parallel()
	r := startMattermostBot(t, nil, nil)
	mustReply(t, mattermosttest.Shown(r.command(t, true, "watch support")), "Rule created: **watch** `support`")
	title := "@channel the server is down, @all @here look"
	excerpt := "@carol and @dave please check [@channel](https://evil.example) **@here**"
	r.forum.CreateTopic(title, "<p>"+html.EscapeString(excerpt)+"</p>", "mallory", r.forum.cat["support"])
	n := r.waitNotifications(t, 1)[0]
	for _, text := range mattermosttest.Texts(n) {
		if m := mattermosttest.LiveMention.FindString(text); m != "" {
			t.Errorf("live mention %q in %q", m, text)
		}
	}
	a := n.Attachments()[0]
	if mattermosttest.Shown(a.Title) != title || !strings.Contains(mattermosttest.Shown(a.Text), excerpt) {
		t.Errorf("title %q and text %q do not read as written", mattermosttest.Shown(a.Title), mattermosttest.Shown(a.Text))
	}
	if a.TitleLink == "" || strings.Contains(a.Text, "](https://evil.example)") {
		t.Errorf("markup injected: title link %q, text %q", a.TitleLink, a.Text)
	}
	// The server's own count (mentions in the message and attachment texts, as the real server
	// counts them): the notification added none; a real mention after it does.
	ch := r.fake.Channel()
	if c, d := r.fake.Mentions(ch, r.fake.AdminID()), r.fake.Mentions(ch, r.fake.MemberID()); c != 0 || d != 0 {
		t.Errorf("the notification mentioned carol %d and dave %d times", c, d)
	}
	r.fake.InjectPost(ch, r.fake.MemberID(), "@carol see above", "")
	if c := r.fake.Mentions(ch, r.fake.AdminID()); c != 1 {
		t.Errorf("carol has %d mentions after dave's @carol, want 1", c)
	}
}

// TestMattermostCommandDuringOutageIsAnsweredAfterReconnect: a command written while the bot's
// websocket is down is found by the re-sync after it reconnects, and answered once.
func TestMattermostCommandDuringOutageIsAnsweredAfterReconnect(t *testing.T) {
	t.Parallel()
	r := startMattermostBot(t, nil, nil)
	// A sync point: the re-sync that follows the first connection is done once a command sent
	// after it is answered, so it cannot be what finds the command sent during the outage.
	r.fake.InjectCommand(r.fake.Channel(), "status", true)
	waitUntil(t, "the answer to status", func() bool { return len(r.replies()) > 0 })
	sessions := r.fake.Sessions()
	r.fake.SetOffline(true)
	r.fake.DropConnections()
	waitUntil(t, "the websocket to drop", func() bool { return r.fake.Live() == 0 })
	before := len(r.replies())
	r.fake.InjectCommand(r.fake.Channel(), "watch support", true)
	// The bot tries to reconnect while the command waits unseen.
	waitUntil(t, "a refused reconnection", func() bool { return r.fake.Rejected() > 0 })
	if n := len(r.replies()); n != before {
		t.Fatalf("the command was answered while the websocket was down (%d replies)", n-before)
	}
	r.fake.SetOffline(false)
	waitUntil(t, "the answer after reconnecting", func() bool { return len(r.replies()) > before })
	if got := mattermosttest.Shown(r.replies()[before].Message); !strings.Contains(got, "Rule created: **watch** `support`") {
		t.Errorf("answer %q", got)
	}
	if r.fake.Sessions() <= sessions {
		t.Errorf("answered without a new websocket session")
	}
	// The rule works: a support post arrives, and the command was answered once.
	r.forum.CreateTopic("After the outage", "<p>x</p>", "bob", r.forum.cat["support"])
	r.waitNotifications(t, 1)
	if n := len(r.replies()) - before; n != 1 {
		t.Errorf("the command was answered %d times, want once", n)
	}
}

// mmSeed is the conversation of the transcript tests in the main channel: a greeting, a thread,
// then three messages with markdown (bold, a link, strike, code, a mention, a channel name).
type mmSeed struct {
	posts                []string // ids in creation order
	root, reply, outside string
}

func mmSeedTranscript(f *mattermosttest.Server) *mmSeed {
	ch, carol, dave := f.Channel(), f.AdminID(), f.MemberID()
	s := &mmSeed{}
	add := func(user, text, root string) string {
		id := f.InjectPost(ch, user, text, root)
		s.posts = append(s.posts, id)
		return id
	}
	s.outside = add(dave, "Morning all", "")
	s.root = add(dave, "Has anyone seen the installer hang?", "")
	add(carol, "Yes, on **step 3**", s.root)
	s.reply = add(dave, "Fixed it with `--verbose` :tada:", s.root)
	add(carol, "The installer hangs at **step 3**, @dave any idea? The [docs](https://example.org/docs) say ~~nothing~~ little. Logs:\n```\nerror: <nil> & more\n```", "")
	add(dave, "Run it with `--verbose` :eyes: and post in ~town-square", "")
	add(dave, "Here is my log: https://paste.example.org/install.log", "")
	return s
}

// normalize replaces what changes from run to run (the fake's port, random user and post ids)
// with stable names, so that the transcript can be compared with a golden file.
func (s *mmSeed) normalize(f *mattermosttest.Server, raw string) string {
	pairs := []string{f.URL(), "https://chat.example.org", f.AdminID(), "carol-id", f.MemberID(), "dave-id"}
	for i, id := range s.posts {
		pairs = append(pairs, id, fmt.Sprintf("post-%d-id", i+1))
	}
	return strings.NewReplacer(pairs...).Replace(raw)
}

func TestMattermostTranscriptBecomesATopic(t *testing.T) {
	t.Parallel()
	var seed *mmSeed
	r := startMattermostBot(t, transcriptTo("topic"), func(f *mattermosttest.Server) {
		seed = mmSeedTranscript(f)
	})
	answer := mattermosttest.Shown(r.command(t, true, "post 3"))
	mustReply(t, answer, "Posted a transcript of 3 messages")
	topic := transcriptTopic(t, r.forum, answer, "Chat transcript: ")
	golden(t, mmGoldenTranscript, seed.normalize(r.fake, topic.Raw))

	t.Run("post thread <link>", func(t *testing.T) {
		answer := mattermosttest.Shown(r.command(t, true, "post thread "+r.fake.Permalink(seed.reply)+" Installer hang"))
		mustReply(t, answer, "Posted a transcript of 3 messages")
		checkInstallerThread(t, r.forum, 2, "dave", "carol")
	})
}

func TestMattermostTranscriptComposerLink(t *testing.T) {
	t.Parallel()
	var seed *mmSeed
	r := startMattermostBot(t, transcriptTo("link"), func(f *mattermosttest.Server) {
		seed = mmSeedTranscript(f)
	})
	answer := r.command(t, true, "post 3")
	mustReply(t, mattermosttest.Shown(answer), "Transcript of 3 messages ready")
	m := regexp.MustCompile(`\]\((https?://[^)\s]+)\)`).FindStringSubmatch(answer)
	if m == nil {
		t.Fatalf("answer %q holds no composer link", answer)
	}
	q := composerLink(t, r.forum, m[1], "Chat transcript: ")
	golden(t, mmGoldenTranscript, seed.normalize(r.fake, q.Get("body")))
}

// TestMattermostThreadRuleRepliesWithRootID: `thread` puts a topic's replies under its first
// notification (root_id).
func TestMattermostThreadRuleRepliesWithRootID(t *testing.T) {
	t.Parallel()
	r := startMattermostBot(t, nil, nil)
	mustReply(t, mattermosttest.Shown(r.command(t, true, "thread support")), "Rule created: **thread** `support`")
	topic, _ := r.forum.CreateTopic("Threaded", "<p>first</p>", "alice", r.forum.cat["support"])
	r.forum.Reply(topic, "bob", "<p>second</p>")
	got := r.waitNotifications(t, 2)
	if got[0].RootId != "" || got[1].RootId != got[0].Id {
		t.Errorf("root ids %q, %q: want the reply under the first notification %q", got[0].RootId, got[1].RootId, got[0].Id)
	}
	waitStats(t, r.bot.Store(), func(s state.OutboxStats) bool { return s.Pending == 0 })
}

// TestMattermostTranscriptNamesTheChannelAsMattermostDoes: Mattermost writes channels as
// "~town-square", and the adapter names them so; the transcript must not make it "#~town-square".
func TestMattermostTranscriptNamesTheChannelAsMattermostDoes(t *testing.T) {
	t.Parallel()
	r := startMattermostBot(t, transcriptTo("topic"), func(f *mattermosttest.Server) { mmSeedTranscript(f) })
	mustReply(t, mattermosttest.Shown(r.command(t, true, "post 3")), "Posted a transcript of 3 messages")
	created := r.forum.CreatedPosts()
	if len(created) != 1 {
		t.Fatalf("the forum got %d posts, want 1", len(created))
	}
	if !strings.HasPrefix(created[0].Title, "Chat transcript: ~town-square on Mattermost") ||
		!strings.Contains(created[0].Raw, "View in ~town-square on Mattermost") {
		t.Errorf("title %q, first line %q: want the channel named ~town-square", created[0].Title, strings.SplitN(created[0].Raw, "\n", 3)[1])
	}
}
