package bot

import (
	"encoding/json"
	"html"
	"path/filepath"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix/matrixtest"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// End-to-end tests of the whole bot (bot.Run) against the fake forum and the fake homeserver,
// through the real mautrix client: "!discourse …" commands over /sync, notifications as
// m.notice, threads as m.thread, transcripts from /messages, the sync token in the store.

// mxBot is a bot running with Matrix as its only chat platform.
type mxBot struct {
	forum *site
	mx    *matrixtest.Server
	bot   *Bot
	run   *testRun
	db    string
}

func startMatrixBot(t *testing.T, extra botOption, seed func(*matrixtest.Server)) *mxBot {
	t.Helper()
	fake := matrixtest.NewServer()
	if seed != nil {
		seed(fake)
	}
	closeFake(t, "fake homeserver", fake)
	r := &mxBot{forum: newSite(t), mx: fake, db: filepath.Join(t.TempDir(), "bot.db")}
	r.start(t, extra)
	return r
}

// start runs the bot on r's database and waits until it has synced twice (so it has a token).
func (r *mxBot) start(t *testing.T, extra botOption) {
	t.Helper()
	before := len(r.mx.Syncs())
	r.run = runTestBot(t, r.forum.URL(), r.db, func(st state.Store) []adapters.Adapter {
		return []adapters.Adapter{matrixPlatform.adapter(t, r.mx, st)}
	}, extra)
	r.bot = r.run.bot
	waitUntil(t, "the bot's second sync", func() bool { return len(r.mx.Syncs()) >= before+2 })
}

// notices returns the bot's messages in the main room, oldest first, as contents.
func (r *mxBot) notices(t *testing.T) []event.MessageEventContent {
	var out []event.MessageEventContent
	for _, ev := range r.mx.Sent(r.mx.MainRoom()) {
		var c event.MessageEventContent
		if err := json.Unmarshal(ev.Content.VeryRaw, &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// command has carol (admin) or dave (plain member) write "!discourse text" and returns the
// bot's answer's plain body.
func (r *mxBot) command(t *testing.T, admin bool, text string) string {
	t.Helper()
	before := len(r.notices(t))
	r.mx.InjectCommand(r.mx.Channel(), text, admin)
	waitUntil(t, "the answer to !discourse "+text, func() bool { return len(r.notices(t)) > before })
	return r.notices(t)[before].Body
}

func TestMatrixWatchThenPostArrivesAsANotice(t *testing.T) {
	t.Parallel()
	r := startMatrixBot(t, nil, nil)
	mustReply(t, r.command(t, true, "watch support"), "Rule created: watch support")
	r.forum.CreateTopic("Not for this room", "<p>general chatter</p>", "alice", r.forum.cat["general"])
	r.forum.CreateTopic("Installer stops at step 3", "<p>It <b>hangs</b> at step 3.</p>", "bob", r.forum.cat["support"], "bug")
	waitUntil(t, "the notification", func() bool { return len(r.notices(t)) >= 2 })
	n := r.notices(t)[1]
	if n.MsgType != event.MsgNotice || n.Format != event.FormatHTML {
		t.Errorf("notification msgtype %q format %q, want an HTML m.notice", n.MsgType, n.Format)
	}
	if !strings.Contains(n.Body, "Installer stops at step 3") || !strings.Contains(n.Body, "[Support] bug") || !strings.Contains(n.Body, "@bob") ||
		!strings.Contains(n.Body, "hangs at step 3") || !strings.Contains(n.Body, r.forum.URL()+"/t/") {
		t.Errorf("notification body %q", n.Body)
	}
	if !strings.Contains(n.FormattedBody, `<a href="`+r.forum.URL()+"/t/") {
		t.Errorf("formatted_body %q does not link the post", n.FormattedBody)
	}
	if len(r.notices(t)) != 2 {
		t.Errorf("the general topic was announced too: %d messages", len(r.notices(t)))
	}
}

func TestMatrixPlainMemberIsRefusedAndModeratorMayAct(t *testing.T) {
	t.Parallel()
	r := startMatrixBot(t, nil, nil)
	mustReply(t, r.command(t, false, "watch support"), "Only a channel admin")
	mustReply(t, r.command(t, false, "status"), "")
	r.mx.SetPowerLevel(r.mx.MainRoom(), matrixtest.MemberUser, 50)
	mustReply(t, r.command(t, false, "watch support"), "Rule created: watch support")
}

func TestMatrixForumTextPingsNobody(t *testing.T) {
	t.Parallel()
	r := startMatrixBot(t, nil, nil)
	mustReply(t, r.command(t, true, "watch support"), "Rule created")
	r.forum.CreateTopic("@room the server is down <script>", "<p>"+html.EscapeString("@everyone @here see <b>this</b>")+"</p>", "mallory", r.forum.cat["support"])
	waitUntil(t, "the notification", func() bool { return len(r.notices(t)) >= 2 })
	sent := r.mx.Sent(r.mx.MainRoom())
	var raw map[string]any
	_ = json.Unmarshal(sent[1].Content.VeryRaw, &raw)
	if m, ok := raw["m.mentions"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("m.mentions = %v, want {}", raw["m.mentions"])
	}
	n := r.notices(t)[1]
	for _, text := range []string{n.Body, n.FormattedBody} {
		for _, live := range []string{"@room", "@everyone", "@here"} {
			if strings.Contains(text, live) {
				t.Errorf("%q is live in %q", live, text)
			}
		}
	}
	if strings.Contains(n.FormattedBody, "<script>") || strings.Contains(n.FormattedBody, "<b>this") {
		t.Errorf("forum text became markup in formatted_body %q", n.FormattedBody)
	}
	if shown := strings.ReplaceAll(n.Body, "\u2060", ""); !strings.Contains(shown, "@room the server is down") {
		t.Errorf("the title does not read as written: %q", n.Body)
	}
}

func TestMatrixThreadRule(t *testing.T) {
	t.Parallel()
	r := startMatrixBot(t, nil, nil)
	mustReply(t, r.command(t, true, "thread support"), "Rule created")
	topic, _ := r.forum.CreateTopic("Threaded topic", "<p>first</p>", "bob", r.forum.cat["support"])
	waitUntil(t, "the first notification", func() bool { return len(r.notices(t)) >= 2 })
	r.forum.Reply(topic, "alice", "<p>a reply</p>")
	waitUntil(t, "the reply", func() bool { return len(r.notices(t)) >= 3 })
	sent := r.mx.Sent(r.mx.MainRoom())
	rel := r.notices(t)[2].RelatesTo
	if rel == nil || rel.Type != event.RelThread || rel.EventID != sent[1].ID {
		t.Errorf("the reply's relation %+v, want an m.thread under the first notification %s", rel, sent[1].ID)
	}
}

// mxAskAboutTheInstaller has dave greet the main room and then ask about the installer; it
// returns the question's event.
func mxAskAboutTheInstaller(f *matrixtest.Server) id.EventID {
	f.SayText(f.MainRoom(), matrixtest.MemberUser, "Morning all")
	return f.SayText(f.MainRoom(), matrixtest.MemberUser, "Has anyone seen the installer hang?")
}

func TestMatrixTranscriptBecomesATopic(t *testing.T) {
	t.Parallel()
	var first id.EventID
	r := startMatrixBot(t, transcriptTo("topic"), func(f *matrixtest.Server) {
		room := f.MainRoom()
		first = mxAskAboutTheInstaller(f)
		f.Say(room, matrixtest.AdminUser, map[string]any{"msgtype": "m.text", "body": "Yes, on **step 3**",
			"format": "org.matrix.custom.html", "formatted_body": `Yes, on <strong>step 3</strong>, see <a href="https://example.org/docs">the docs</a>`})
		f.Say(room, matrixtest.MemberUser, map[string]any{"msgtype": "m.text",
			"body":         "> <@carol:localhost> Yes, on **step 3**\n\nFixed it, thanks",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": first}}})
	})
	answer := r.command(t, true, "post "+r.mx.MainRoom().EventURI(first).MatrixToURL())
	mustReply(t, answer, "Posted a transcript of 3 messages")
	// Speakers are the transcript's forum-safe handles: the localparts.
	checkTranscript(t, oneTranscript(t, r.forum),
		[]string{"**@dave:** Has anyone", "**@carol:**", "Has anyone seen the installer hang?", "Yes, on **step 3**, see [the docs](https://example.org/docs)", "Fixed it, thanks", "https://matrix.to/#/"},
		[]string{"Morning all", "> <@carol:localhost>", "!discourse"})
}

// TestMatrixRestartNeitherLosesNorReplays: the sync token lives in the bot's store, so a
// command written while the bot was stopped is answered once after it starts again, and none
// before the stop is answered twice.
func TestMatrixRestartNeitherLosesNorReplays(t *testing.T) {
	t.Parallel()
	r := startMatrixBot(t, nil, nil)
	mustReply(t, r.command(t, true, "watch support"), "Rule created")
	if err := r.run.stop(); err != nil {
		t.Fatal(err)
	}
	r.mx.InjectCommand(r.mx.Channel(), "status", true)
	before := len(r.notices(t))
	r.start(t, nil)
	waitUntil(t, "the answer to the command sent while the bot was down", func() bool { return len(r.notices(t)) > before })
	mustReply(t, r.notices(t)[before].Body, "watch support")
	mustReply(t, r.command(t, true, "status"), "watch support")
	if n := len(r.notices(t)); n != before+2 {
		t.Errorf("after the restart the bot sent %d messages, want 2 (no command answered twice): %+v", n-before, r.notices(t)[before:])
	}
}
