package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// End-to-end tests of the Telegram platform: bot.Run with the real adapter and SDK against the
// fake Bot API (telegramtest) and the fake forum. Commands are typed into the fake's chats; what
// the bot sends is read back from the fake as Telegram would have parsed it.

// tgGroup is the fake's default supergroup, and tgGroupLink the t.me/c prefix of its messages.
var tgGroup = adapters.ChannelRef{Platform: "telegram", ChatID: strconv.Itoa(telegramtest.DefaultChatID)}

const tgGroupLink = "https://t.me/c/1000000001/"

// tgMarker is a chat that watches Meta, for settling (see tgBot.settle).
var tgMarker = adapters.ChannelRef{Platform: "telegram", ChatID: "-1009999999999"}

// tgCarol is a third speaker for transcripts.
var tgCarol = telegramtest.User{ID: 1003, FirstName: "Carol", LastName: "Ng", Username: "carol"}

// newTelegramFake starts a fake Bot API with the marker chat; at the end of the test it must have
// understood every request.
func newTelegramFake(t *testing.T) *telegramtest.Server {
	t.Helper()
	tg := telegramtest.NewServer()
	tg.AddChat(-1009999999999, "supergroup", "Marker", false)
	closeFake(t, "the fake Bot API", tg)
	return tg
}

// tgBot is a bot under test, talking to a fake Bot API.
type tgBot struct {
	forum *site
	tg    *telegramtest.Server
	b     *Bot
	// cancel asks the bot to stop; stop asks and waits for Run's result.
	cancel context.CancelFunc
	stop   func() error
}

// startTelegramBot runs the bot against forum and tg (reached through endpoint, "" meaning tg
// itself) until the test ends; db may be shared between runs to test restarts. It returns once
// the forum poller has its cursor (so every later post is news) and the marker chat watches Meta.
// mods adjust the bot's options.
func startTelegramBot(t *testing.T, forum *site, tg *telegramtest.Server, db, endpoint string, mods ...botOption) *tgBot {
	t.Helper()
	r := launchTelegramBot(t, forum, tg, db, endpoint, mods...)
	mustReply(t, r.command(t, tgMarker, telegramtest.AdminUser, "/watch meta"), "watch meta")
	return r
}

// launchTelegramBot runs the bot against forum and tg, reached through endpoint ("" meaning tg
// itself), until the test ends. It returns once the forum poller has its cursor.
func launchTelegramBot(t *testing.T, forum *site, tg *telegramtest.Server, db, endpoint string, mods ...botOption) *tgBot {
	t.Helper()
	if endpoint == "" {
		endpoint = tg.URL()
	}
	// The chat log is bounded at 50 messages (and an age no test reaches: the fake's clock starts
	// on a fixed date); transcripts are posted as topics in Support.
	build := func(st state.Store) []adapters.Adapter {
		return []adapters.Adapter{must(telegram.New(telegram.Config{
			Token: telegramtest.Token, APIEndpoint: endpoint, PollTimeout: time.Second,
			Offsets: st, ChatLog: state.ChatLogOf(st), LogMaxMessages: 50, LogMaxAge: 876000 * time.Hour,
			Limits: &telegram.Limits{},
		}, testLogger(t)))}
	}
	run := runTestBot(t, forum.URL(), db, build, append([]botOption{transcriptTo("topic")}, mods...)...)
	return &tgBot{forum: forum, tg: tg, b: run.bot, cancel: run.cancel, stop: run.stop}
}

// newTelegramRun is a fresh forum, fake Bot API and bot.
func newTelegramRun(t *testing.T) *tgBot {
	return startTelegramBot(t, newSite(t), newTelegramFake(t), filepath.Join(t.TempDir(), "bot.db"), "")
}

// say injects a message from a user in ch and returns its message id.
func (r *tgBot) say(ch adapters.ChannelRef, from telegramtest.User, text string, entities ...telegramtest.Entity) int {
	return r.tg.Inject(telegramtest.Incoming{Channel: ch, From: from, Text: text, Entities: entities})
}

// command types text as from in ch and returns the bot's answer: the message that replies to it.
func (r *tgBot) command(t *testing.T, ch adapters.ChannelRef, from telegramtest.User, text string) string {
	t.Helper()
	return r.waitReply(t, ch, r.say(ch, from, text)).Text
}

// waitReply waits for the bot's reply to message id in ch.
func (r *tgBot) waitReply(t *testing.T, ch adapters.ChannelRef, id int) telegramtest.Message {
	t.Helper()
	var reply telegramtest.Message
	waitUntil(t, fmt.Sprintf("the reply to message %d in %s", id, ch), func() bool {
		replies := tgRepliesTo(r.tg.Messages(ch), id)
		if len(replies) > 0 {
			reply = replies[0]
		}
		return len(replies) > 0
	})
	return reply
}

// tgRepliesTo lists the messages of msgs that reply to message id.
func tgRepliesTo(msgs []telegramtest.Message, id int) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range msgs {
		if m.ReplyTo == id {
			out = append(out, m)
		}
	}
	return out
}

// notes returns the notifications (messages linking to a forum post) the bot sent to ch about
// topics titled title (as a reader sees it), oldest first.
func (r *tgBot) notes(ch adapters.ChannelRef, title string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range r.tg.Messages(ch) {
		if !strings.Contains(m.Text, title) {
			continue
		}
		for _, e := range m.Entities {
			if e.Type == "text_link" && strings.HasPrefix(e.URL, r.forum.URL()+"/t/") {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// waitNotes waits until ch has received n notifications about title, and returns them.
func (r *tgBot) waitNotes(t *testing.T, ch adapters.ChannelRef, title string, n int) []telegramtest.Message {
	t.Helper()
	var got []telegramtest.Message
	waitUntil(t, fmt.Sprintf("%d notification(s) of %q in %s", n, title, ch), func() bool {
		got = r.notes(ch, title)
		return len(got) >= n
	})
	return got
}

// settle waits until the bot has delivered everything the forum holds: a marker topic in Meta
// reaches the marker chat, and the outbox is empty.
func (r *tgBot) settle(t *testing.T) {
	t.Helper()
	title := fmt.Sprintf("marker %d", time.Now().UnixNano())
	r.forum.CreateTopic(title, "<p>marker</p>", "system", r.forum.cat["meta"])
	r.waitNotes(t, tgMarker, title, 1)
	waitStats(t, r.b.Store(), func(s state.OutboxStats) bool { return s.Pending == 0 })
}

// tgEntity is an entity of type typ over the first occurrence of sub in text, in UTF-16 units
// as Telegram counts them.
func tgEntity(text, sub, typ string) telegramtest.Entity {
	i := strings.Index(text, sub)
	if i < 0 {
		panic(fmt.Sprintf("%q is not in %q", sub, text))
	}
	return telegramtest.Entity{Type: typ, Offset: len(utf16.Encode([]rune(text[:i]))), Length: len(utf16.Encode([]rune(sub)))}
}

// tgEntityTexts lists the text each entity of m covers, as "type:text".
func tgEntityTexts(m telegramtest.Message) []string {
	units := utf16.Encode([]rune(m.Text))
	var out []string
	for _, e := range m.Entities {
		if e.Offset >= 0 && e.Offset+e.Length <= len(units) {
			out = append(out, e.Type+":"+string(utf16.Decode(units[e.Offset:e.Offset+e.Length])))
		}
	}
	return out
}

func TestTelegramAdminWatchThenPostArrivesAsHTML(t *testing.T) {
	r := newTelegramRun(t)
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/watch support"), "Rule created")

	topic, _ := r.forum.CreateTopic("Installer stops at step 3", "<p>It <b>hangs</b> at step 3 &amp; exits.</p>", "bob", r.forum.cat["support"], "bug")
	r.forum.Reply(topic, "alice", "<p>Try --verbose</p>")
	got := r.waitNotes(t, tgGroup, "Installer stops at step 3", 2)
	r.settle(t)
	if n := len(r.notes(tgGroup, "Installer stops at step 3")); n != 2 {
		t.Errorf("the group got %d notifications, want 2 (the topic and its reply, once each)", n)
	}

	m := got[0]
	if m.ParseMode != "HTML" {
		t.Errorf("parse_mode = %q, want HTML", m.ParseMode)
	}
	if !m.DisablePreview {
		t.Error("the link preview is on; notifications turn it off")
	}
	postURL := ""
	for _, e := range m.Entities {
		if e.Type == "text_link" && strings.Contains(e.URL, "/t/") {
			postURL = e.URL
			break
		}
	}
	if !strings.HasPrefix(postURL, r.forum.URL()+"/t/") {
		t.Errorf("no entity links the title to the post: entities %+v", m.Entities)
	}
	for _, want := range []string{`<a href="` + postURL + `">Installer stops at step 3</a>`, "<b>", "<i>"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the HTML lacks %q:\n%s", want, m.HTML)
		}
	}
	for _, want := range []string{"[Support]", "#bug", "hangs at step 3 & exits", "bob"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the message a reader sees lacks %q:\n%s", want, m.Text)
		}
	}
	if ents := strings.Join(tgEntityTexts(m), "|"); !strings.Contains(ents, "bold:Installer stops at step 3") {
		t.Errorf("the title is not bold: entities %s", ents)
	}
	if !strings.Contains(got[1].Text, "Try --verbose") || !strings.Contains(got[1].Text, "alice") {
		t.Errorf("the reply's notification = %q", got[1].Text)
	}

	// The "/" menu was registered at start, /getchatid included.
	var menu []string
	for _, c := range r.tg.Commands() {
		menu = append(menu, c.Command)
	}
	if s := strings.Join(menu, " "); !strings.Contains(s, "watch") || !strings.Contains(s, "getchatid") {
		t.Errorf("setMyCommands menu = %v", menu)
	}
}

func TestTelegramThreadRulesAndForumTopics(t *testing.T) {
	r := newTelegramRun(t)
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/thread support"), "Rule created")
	// A rule set inside a forum topic delivers into that topic.
	topicCh := r.tg.AddTopic(telegramtest.DefaultChatID, "Releases")
	mustReply(t, r.command(t, topicCh, telegramtest.AdminUser, "/watch general"), "Rule created")

	topic, _ := r.forum.CreateTopic("Threaded on Telegram", "<p>first</p>", "alice", r.forum.cat["support"])
	r.forum.Reply(topic, "bob", "<p>second</p>")
	r.forum.Reply(topic, "alice", "<p>third</p>")
	r.forum.CreateTopic("Release notes", "<p>r</p>", "alice", r.forum.cat["general"])
	got := r.waitNotes(t, tgGroup, "Threaded on Telegram", 3)
	if got[0].ReplyTo != 0 || got[1].ReplyTo != got[0].ID || got[2].ReplyTo != got[0].ID {
		t.Errorf("replies are not replies to the topic's first notification %d: reply_to %d, %d, %d",
			got[0].ID, got[0].ReplyTo, got[1].ReplyTo, got[2].ReplyTo)
	}
	in := r.waitNotes(t, topicCh, "Release notes", 1)
	if in[0].Channel != topicCh {
		t.Errorf("the notification went to %s, want the forum topic %s", in[0].Channel, topicCh)
	}
}

func TestTelegramCommandForms(t *testing.T) {
	r := newTelegramRun(t)
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/watch@"+telegramtest.BotUsername+" support"), "Rule created")
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/discourse follow general"), "Rule created")
	// A command for another bot is not ours: no answer. The next command's answer proves it was
	// read and skipped, since updates are handled in order.
	other := r.say(tgGroup, telegramtest.AdminUser, "/watch@SomeOtherBot meta")
	status := r.command(t, tgGroup, telegramtest.MemberUser, "/status")
	if got := tgRepliesTo(r.tg.Messages(tgGroup), other); len(got) != 0 {
		t.Errorf("the bot answered a command for another bot: %q", got[0].Text)
	}
	for _, want := range []string{"watch support", "follow general"} {
		if !strings.Contains(status, want) {
			t.Errorf("status %q lacks %q", status, want)
		}
	}
	if strings.Contains(status, "meta") {
		t.Errorf("status %q shows the other bot's rule", status)
	}
}

func TestTelegramNonAdminWatchIsRefusedPolitely(t *testing.T) {
	r := newTelegramRun(t)
	reply := r.command(t, tgGroup, telegramtest.MemberUser, "/watch support")
	mustReply(t, reply, "Only a channel admin")
	if strings.Contains(strings.ToLower(reply), "error") || strings.Contains(reply, "Rule created") {
		t.Errorf("refusal = %q", reply)
	}
	mustReply(t, r.command(t, tgGroup, telegramtest.MemberUser, "/status"), "No rules yet")

	// Nothing reaches the group: a post in Support is not announced there.
	r.forum.CreateTopic("Not for the group", "<p>x</p>", "bob", r.forum.cat["support"])
	r.settle(t)
	if got := r.notes(tgGroup, "Not for the group"); len(got) != 0 {
		t.Errorf("a non-admin's rule delivered %q", got[0].Text)
	}
}

func TestTelegramRestartNeitherDropsNorRepeatsACommand(t *testing.T) {
	forum := newSite(t)
	tg := newTelegramFake(t)
	db := filepath.Join(t.TempDir(), "bot.db")

	// The first bot handles a command and is stopped before its next getUpdates could confirm it
	// to Telegram, which therefore still holds it: only the bot's stored offset says it is done.
	gate := newTelegramGate(t, tg)
	r1 := startTelegramBot(t, forum, tg, db, gate.URL())
	offset := tgOffset(t, r1.b.Store())
	gate.holdAfterUpdates()
	before := r1.say(tgGroup, telegramtest.AdminUser, "/watch support")
	mustReply(t, r1.waitReply(t, tgGroup, before).Text, "Rule created")
	waitUntil(t, "the update offset to be stored", func() bool { return tgOffset(t, r1.b.Store()) > offset })
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}
	if n := tg.PendingUpdates(); n != 1 {
		t.Fatalf("setup: Telegram holds %d unconfirmed updates, want the handled command", n)
	}

	// Typed while the bot is down: Telegram keeps it for the next getUpdates.
	down := r1.say(tgGroup, telegramtest.AdminUser, "/follow general")
	r2 := startTelegramBot(t, forum, tg, db, "")
	mustReply(t, r2.waitReply(t, tgGroup, down).Text, "Rule created")
	// Updates are handled in order, so once /status is answered a replay would have shown.
	status := r2.command(t, tgGroup, telegramtest.AdminUser, "/status")
	msgs := tg.Messages(tgGroup)
	if n := len(tgRepliesTo(msgs, before)); n != 1 {
		t.Errorf("the command before the restart was answered %d times, want 1", n)
	}
	if n := len(tgRepliesTo(msgs, down)); n != 1 {
		t.Errorf("the command sent while the bot was down was answered %d times, want 1", n)
	}
	for _, want := range []string{"watch support", "follow general"} {
		if !strings.Contains(status, want) {
			t.Errorf("status %q lacks %q", status, want)
		}
	}
}

// tgOffsetCursor is where the adapter stores its getUpdates offset.
const tgOffsetCursor = "telegram.update_offset.123456789"

// tgOffset returns the stored getUpdates offset.
func tgOffset(t *testing.T, st state.Store) int64 {
	t.Helper()
	v, _, err := st.Cursor(t.Context(), tgOffsetCursor)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tgHeldOffsets is the bot's store, except that once armed, storing the getUpdates offset waits
// until the context it is given ends or release is closed: it stands for a shutdown that arrives
// while the adapter records a handled update.
type tgHeldOffsets struct {
	state.Store
	armed   atomic.Bool
	release chan struct{}
}

func (s *tgHeldOffsets) SetCursor(ctx context.Context, name string, value int64) error {
	if name == tgOffsetCursor && s.armed.Load() {
		select {
		case <-ctx.Done():
		case <-s.release:
		}
	}
	return s.Store.SetCursor(ctx, name, value)
}

func TestTelegramStopRightAfterAnAnswerDoesNotRepeatIt(t *testing.T) {
	forum := newSite(t)
	tg := newTelegramFake(t)
	db := filepath.Join(t.TempDir(), "bot.db")
	opened, err := state.Open(t.Context(), "sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { opened.Close() })
	st := &tgHeldOffsets{Store: opened, release: make(chan struct{})}
	useStore := withStore(st)

	// SIGTERM arrives just as the bot has answered a command (its reply is out, the offset not yet
	// stored). A graceful stop must still record the command as handled.
	r1 := startTelegramBot(t, forum, tg, db, "", useStore)
	st.armed.Store(true)
	cmd := r1.say(tgGroup, telegramtest.AdminUser, "/watch support")
	mustReply(t, r1.waitReply(t, tgGroup, cmd).Text, "Rule created")
	r1.cancel()
	close(st.release)
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}
	st.armed.Store(false)

	r2 := startTelegramBot(t, forum, tg, db, "", useStore)
	r2.command(t, tgGroup, telegramtest.AdminUser, "/status")
	if n := len(tgRepliesTo(tg.Messages(tgGroup), cmd)); n != 1 {
		t.Errorf("the command was answered %d times, want 1", n)
	}
}

// tgRulesOf returns the rules the store holds for channel.
func tgRulesOf(t *testing.T, st state.Store, channel string) []state.Rule {
	t.Helper()
	all, err := st.AllRules(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []state.Rule
	for _, rule := range all {
		if rule.Channel == channel {
			out = append(out, rule)
		}
	}
	return out
}

func TestTelegramSupergroupMigrationKeepsTheRules(t *testing.T) {
	r := newTelegramRun(t)
	group := r.tg.AddChat(-4001, "group", "Old group", false)
	mustReply(t, r.command(t, group, telegramtest.AdminUser, "/watch support"), "Rule created")
	mustReply(t, r.command(t, group, telegramtest.AdminUser, "/follow general"), "Rule created")

	super := r.tg.Migrate(group, -1004001)
	waitUntil(t, "the rules to move to the supergroup", func() bool {
		return len(tgRulesOf(t, r.b.Store(), super.String())) == 2 && len(tgRulesOf(t, r.b.Store(), group.String())) == 0
	})

	r.forum.CreateTopic("After the upgrade", "<p>x</p>", "bob", r.forum.cat["support"])
	r.waitNotes(t, super, "After the upgrade", 1)
	status := r.command(t, super, telegramtest.AdminUser, "/status")
	for _, want := range []string{"watch support", "follow general"} {
		if !strings.Contains(status, want) {
			t.Errorf("status in the supergroup %q lacks %q", status, want)
		}
	}
	r.settle(t)
	if n := len(r.notes(super, "After the upgrade")); n != 1 {
		t.Errorf("the supergroup got %d notifications, want 1", n)
	}
	for _, m := range r.tg.Messages(group) {
		if m.ReplyTo == 0 {
			t.Errorf("the old group got a notification after the upgrade: %q", m.Text)
		}
	}
}

// tgGate is a proxy in front of the fake Bot API that can hold getUpdates calls: the bot then
// still sends but hears nothing new, and confirms nothing.
type tgGate struct {
	srv *httptest.Server

	mu     sync.Mutex
	open   chan struct{} // closed while getUpdates may pass
	isOpen bool
	armed  bool // hold once a getUpdates has passed with updates
}

func newTelegramGate(t *testing.T, tg *telegramtest.Server) *tgGate {
	t.Helper()
	target, err := url.Parse(tg.URL())
	if err != nil {
		t.Fatal(err)
	}
	g := &tgGate{}
	g.release()
	proxy := httputil.NewSingleHostReverseProxy(target)
	// A long poll cut by the bot's shutdown is no news: answer it quietly.
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	proxy.ModifyResponse = func(res *http.Response) error {
		g.mu.Lock()
		armed := g.armed
		g.mu.Unlock()
		if !armed || !tgIsGetUpdates(res.Request) {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		var env struct{ Result []json.RawMessage }
		if json.Unmarshal(body, &env) == nil && len(env.Result) > 0 {
			g.hold()
		}
		return nil
	}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if tgIsGetUpdates(req) {
			// Read the body first: only then does the server notice a client that hangs up.
			body, err := io.ReadAll(req.Body)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			g.mu.Lock()
			open := g.open
			g.mu.Unlock()
			select {
			case <-open:
			case <-req.Context().Done():
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func tgIsGetUpdates(req *http.Request) bool {
	return strings.HasSuffix(strings.ToLower(req.URL.Path), "/getupdates")
}

// URL is the endpoint the bot is given.
func (g *tgGate) URL() string { return g.srv.URL }

// hold makes later getUpdates calls wait (one already at the fake still returns).
func (g *tgGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = false
	if g.isOpen {
		g.open, g.isOpen = make(chan struct{}), false
	}
}

// holdAfterUpdates lets getUpdates pass until one returns updates, then holds the next ones: the
// bot handles that batch but never confirms it to Telegram.
func (g *tgGate) holdAfterUpdates() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = true
}

// release lets getUpdates calls pass.
func (g *tgGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = false
	if !g.isOpen {
		if g.open == nil {
			g.open = make(chan struct{})
		}
		close(g.open)
		g.isOpen = true
	}
}

func TestTelegramMigrationLosesNoPendingNotification(t *testing.T) {
	forum := newSite(t)
	tg := newTelegramFake(t)
	db := filepath.Join(t.TempDir(), "bot.db")
	group := tg.AddChat(-4001, "group", "Old group", false)
	r1 := startTelegramBot(t, forum, tg, db, "")
	mustReply(t, r1.command(t, group, telegramtest.AdminUser, "/watch support"), "Rule created")
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}

	// The group is upgraded and a post arrives before the bot has heard of the upgrade: its send to
	// the old id fails with migrate_to_chat_id. It must wait for the move, not be dropped.
	super := tg.Migrate(group, -1004001)
	forum.CreateTopic("Posted during the upgrade", "<p>x</p>", "bob", forum.cat["support"])
	gate := newTelegramGate(t, tg)
	gate.hold()
	sends := tg.Calls("sendMessage")
	r2 := launchTelegramBot(t, forum, tg, db, gate.URL())
	waitUntil(t, "a send to the old group", func() bool { return tg.Calls("sendMessage") > sends })
	gate.release()
	r2.waitNotes(t, super, "Posted during the upgrade", 1)
}

func TestTelegramGetChatID(t *testing.T) {
	r := newTelegramRun(t)
	// Anyone may ask, in any form.
	mustReply(t, r.command(t, tgGroup, telegramtest.MemberUser, "/getchatid"), "telegram:-1001000000001")
	mustReply(t, r.command(t, tgGroup, telegramtest.MemberUser, "/getchatid@"+telegramtest.BotUsername), "-1001000000001")
	topic := r.tg.AddTopic(telegramtest.DefaultChatID, "Releases")
	reply := r.command(t, topic, telegramtest.MemberUser, "/getchatid")
	mustReply(t, reply, topic.String())
	if topic.ThreadID == "" || !strings.Contains(reply, "topic's id is "+topic.ThreadID) {
		t.Errorf("/getchatid in topic %s answered %q", topic, reply)
	}
	if got := r.tg.Messages(topic); len(got) != 1 || got[0].Channel != topic {
		t.Errorf("the answer did not go into the topic: %+v", got)
	}
}

func TestTelegramMassMentionTitlePingsNobodyAndInjectsNoMarkup(t *testing.T) {
	r := newTelegramRun(t)
	r.command(t, tgGroup, telegramtest.AdminUser, "/watch support")
	r.forum.CreateTopic("@everyone <b>x</b>", "<p>@here look &lt;i&gt;y&lt;/i&gt;</p>", "bob", r.forum.cat["support"])
	m := r.waitNotes(t, tgGroup, "<b>x</b>", 1)[0]

	for _, mass := range []string{"@everyone", "@here"} {
		if strings.Contains(m.Text, mass) {
			t.Errorf("the message still says %s as a mention:\n%q", mass, m.Text)
		}
	}
	for _, want := range []string{"@\u2060everyone <b>x</b>", "<i>y</i>"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the forum's text is not shown literally: want %q in %q", want, m.Text)
		}
	}
	for _, e := range tgEntityTexts(m) {
		if strings.HasSuffix(e, ":x") || strings.HasSuffix(e, ":y") {
			t.Errorf("forum text became markup: entity %s in %q", e, m.HTML)
		}
		if strings.HasPrefix(e, "mention:") {
			t.Errorf("the message mentions someone: %s", e)
		}
	}
}

// Transcripts.

// tgConversation is a chat in the default group, with Telegram entities, ending in the messages
// a transcript of the last 3 should hold. It returns the ids of the messages, in order.
func (r *tgBot) tgConversation() []int {
	ids := []int{r.say(tgGroup, telegramtest.MemberUser, "Good morning, anyone around?")}
	q := "The installer stops at step 3 with exit code 2. Any idea?"
	ids = append(ids, r.say(tgGroup, telegramtest.MemberUser, q, tgEntity(q, "step 3", "bold")))
	a := "Run it with --verbose and see the docs first"
	docs := tgEntity(a, "the docs", "text_link")
	docs.URL = "https://example.org/docs/install"
	ids = append(ids, r.say(tgGroup, telegramtest.AdminUser, a, tgEntity(a, "--verbose", "code"), docs))
	l := "Log:\nERROR disk_full at /var/tmp\nsame *again*"
	ids = append(ids, r.say(tgGroup, tgCarol, l, tgEntity(l, "ERROR disk_full at /var/tmp", "pre")))
	return ids
}

func TestTelegramTranscriptFromTheChatLog(t *testing.T) {
	r := newTelegramRun(t)
	ids := r.tgConversation()
	reply := r.command(t, tgGroup, telegramtest.AdminUser, "/post 3")
	mustReply(t, reply, "Posted a transcript of 3 messages")

	// Every message was recorded; the command and the bot's own answer were not.
	if n, err := r.b.Store().ChatLogCount(t.Context(), tgGroup.String()); err != nil || n != len(ids) {
		t.Errorf("chat log holds %d messages (%v), want %d", n, err, len(ids))
	}
	created := r.forum.CreatedPosts()
	if len(created) != 1 {
		t.Fatalf("the forum received %d posts, want 1", len(created))
	}
	p := created[0]
	if p.CategoryID != r.forum.cat["support"] || !strings.HasPrefix(p.Title, "Chat transcript:") {
		t.Errorf("topic %q in category %d, want a transcript title in Support (%d)", p.Title, p.CategoryID, r.forum.cat["support"])
	}
	if !strings.Contains(reply, r.forum.URL()+"/t/") && !strings.Contains(reply, p.Title) {
		t.Errorf("the reply does not name the topic: %q", reply)
	}
	golden(t, "testdata/transcript_telegram.md", p.Raw)
	if strings.Contains(p.Raw, "Good morning") {
		t.Error("the transcript holds a message older than the last 3")
	}
}

func TestTelegramTranscriptLinksBackToTheChat(t *testing.T) {
	r := newTelegramRun(t)
	ids := r.tgConversation()
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/post 3"), "Posted a transcript")
	created := r.forum.CreatedPosts()
	if len(created) != 1 {
		t.Fatalf("the forum received %d posts, want 1", len(created))
	}
	if want := fmt.Sprintf("](%s%d)", tgGroupLink, ids[1]); !strings.Contains(created[0].Raw, want) {
		t.Errorf("the transcript does not link to its first message (%s):\n%s", want, created[0].Raw)
	}
}

func TestTelegramTranscriptFromAMessageLink(t *testing.T) {
	r := newTelegramRun(t)
	ids := r.tgConversation()
	reply := r.command(t, tgGroup, telegramtest.AdminUser, fmt.Sprintf("/post %s%d", tgGroupLink, ids[2]))
	mustReply(t, reply, "Posted a transcript of 2 messages")
	checkTranscript(t, oneTranscript(t, r.forum), []string{"**@alice_admin:** Run it with `--verbose`", "**@carol:** Log:"},
		[]string{"Good morning", "exit code 2"}) // sent before the linked message
}

func TestTelegramTranscriptRefusalsAreExplained(t *testing.T) {
	r := newTelegramRun(t)
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/post 3"), "recorded no messages here yet")
	r.tgConversation()
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/post 600"), "At most 500")
	mustReply(t, r.command(t, tgGroup, telegramtest.AdminUser, "/post "+tgGroupLink+"99999"), "not in my chat log")
	if got := r.forum.CreatedPosts(); len(got) != 0 {
		t.Errorf("refused requests created %d forum posts", len(got))
	}
}

func TestTelegramNonAdminPostIsRefused(t *testing.T) {
	r := newTelegramRun(t)
	r.tgConversation()
	reply := r.command(t, tgGroup, telegramtest.MemberUser, "/post 3")
	mustReply(t, reply, "Only a channel admin")
	if got := r.forum.CreatedPosts(); len(got) != 0 {
		t.Errorf("a non-admin's /post created %d forum posts", len(got))
	}
}

func TestTelegramChatLogStaysWithinItsBound(t *testing.T) {
	r := newTelegramRun(t)
	for i := 1; i <= 200; i++ {
		r.say(tgGroup, telegramtest.MemberUser, fmt.Sprintf("message %d", i))
	}
	// Updates are handled in order: once this is answered, all 200 were recorded.
	r.command(t, tgGroup, telegramtest.MemberUser, "/status")
	n, err := r.b.Store().ChatLogCount(t.Context(), tgGroup.String())
	if err != nil || n != 50 {
		t.Fatalf("chat log holds %d messages (%v), want telegram.log.max_messages = 50", n, err)
	}
	log, err := r.b.Store().ChatLog(t.Context(), tgGroup.String(), 0)
	if err != nil || len(log) != 50 {
		t.Fatalf("ChatLog = %d messages, %v", len(log), err)
	}
	if log[0].Text != "message 151" || log[49].Text != "message 200" {
		t.Errorf("the log kept %q … %q, want the newest: message 151 … message 200", log[0].Text, log[49].Text)
	}
}
