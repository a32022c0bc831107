package telegram_test

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
)

// newFake starts a fake Bot API that must have understood every request by the end of the test.
func newFake(t *testing.T) *telegramtest.Server {
	t.Helper()
	return adaptertest.Strict(t, "the fake Bot API", telegramtest.NewServer())
}

// newAdapter makes an adapter talking to s; mod adjusts the config.
func newAdapter(t *testing.T, s *telegramtest.Server, logs *syncbuf.Buffer, mod func(*telegram.Config)) *telegram.Adapter {
	t.Helper()
	cfg := telegram.Config{
		Token:       telegramtest.Token,
		APIEndpoint: s.URL(),
		PollTimeout: time.Second,
		Offsets:     &adapters.MemValues{},
		Limits:      &telegram.Limits{}, // the fake has no flood limits; a group's 3 s spacing would only slow the tests
	}
	if mod != nil {
		mod(&cfg)
	}
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := telegram.New(cfg, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// running starts an adapter on a new fake until the test ends; mod adjusts its config. h (nil: a
// new Recorder, answering "echo: <command>") is its handler.
func running(t *testing.T, h *adaptertest.Recorder, mod func(*telegram.Config)) (*telegramtest.Server, *telegram.Adapter, *adaptertest.Recorder) {
	t.Helper()
	s := newFake(t)
	a := newAdapter(t, s, nil, mod)
	if h == nil {
		h = &adaptertest.Recorder{}
	}
	adaptertest.Start(t, a, h)
	return s, a, h
}

// sentinel injects a command and waits for its echo: every update injected in ch before it has
// then been handled, since the adapter handles a chat's updates in order. The command is
// numbered, so that an earlier sentinel's echo does not count.
func sentinel(t *testing.T, s *telegramtest.Server, ch adapters.ChannelRef) {
	t.Helper()
	text := "status sentinel " + itoa(len(s.Messages(ch)))
	s.InjectCommand(ch, text, true)
	adaptertest.WaitPosted(t, s, ch, "echo: "+text)
}

func containsAny(s string, subs ...string) string {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return sub
		}
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestConformance(t *testing.T) { adaptertest.Run(t, conformance("")) }

// TestConformancePublicGroups runs the suite with the default chat public too: its links are
// then t.me/<username>/<id>, as are those of the other chat (always public).
func TestConformancePublicGroups(t *testing.T) { adaptertest.Run(t, conformance("ForumFriends")) }

// conformance sets up the suite's adapter, with a chat log, on a fake whose default chat has
// username ("": a private supergroup).
func conformance(username string) adaptertest.Setup {
	return func(t *testing.T) (adapters.Adapter, adaptertest.Fake) {
		s := newFake(t)
		if username != "" {
			s.SetUsername(s.Channel(), username)
		}
		return newAdapter(t, s, nil, func(c *telegram.Config) { c.ChatLog = &adaptertest.ChatLog{} }), s
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  telegram.Config
		want string
	}{
		{"empty token", telegram.Config{}, "token is empty"},
		{"not a bot token", telegram.Config{Token: "hello"}, "does not look like a bot token"},
		{"endpoint without scheme", telegram.Config{Token: "1:abc", APIEndpoint: "localhost:8081"}, "api_endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := telegram.New(tt.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := telegram.New(telegram.Config{Token: "1:abc"}, nil); err != nil {
		t.Fatalf("New with a token only: %v", err)
	}
}

func TestCommandForms(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // the handler's command text, "" when the adapter must ignore it
	}{
		{"discourse prefix", "/discourse watch support tag:bug", "watch support tag:bug"},
		{"bare watch", "/watch support", "watch support"},
		{"bare status addressed to us", "/status@discourse_test_bot", "status"},
		{"addressed case-insensitively", "/follow@Discourse_Test_Bot announcements", "follow announcements"},
		{"bare discourse means help", "/discourse", "help"},
		{"start in a private chat", "/start", "help"},
		{"another bot's command", "/watch@other_bot support", ""},
		{"a command that is not ours", "/weather Paris", ""},
		{"ordinary text", "watch support", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, h := running(t, nil, nil)
			ch := s.Channel()
			s.Inject(telegramtest.Incoming{Channel: ch, From: telegramtest.AdminUser, Text: tt.text})
			sentinel(t, s, ch)
			cmds := h.Received()
			var got []string
			for _, c := range cmds[:len(cmds)-1] {
				got = append(got, c.Text)
			}
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("%q reached the handler as %q; want it ignored", tt.text, got)
			case tt.want != "" && (len(got) != 1 || got[0] != tt.want):
				t.Errorf("%q reached the handler as %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestCommandFields(t *testing.T) {
	s, _, h := running(t, nil, nil)
	topic := s.AddTopic(telegramtest.DefaultChatID, "Support")
	id := s.Inject(telegramtest.Incoming{Channel: topic, From: telegramtest.AdminUser, Text: "/watch support"})
	p := adaptertest.WaitPosted(t, s, topic, "echo: watch support")
	c := h.Received()[0]
	if c.Channel != topic {
		t.Errorf("command channel = %v, want the topic %v", c.Channel, topic)
	}
	if c.Invoker.ID != "1001" || c.Invoker.Username != "alice_admin" || c.Invoker.DisplayName != "Alice Admin" {
		t.Errorf("invoker = %+v", c.Invoker)
	}
	if string(c.Message) != itoa(id) || string(c.Thread) != topic.ThreadID {
		t.Errorf("command message/thread = %q/%q, want %d/%s", c.Message, c.Thread, id, topic.ThreadID)
	}
	if c.Time.IsZero() {
		t.Error("command has no time")
	}
	if p.Thread != itoa(id) {
		t.Errorf("the reply answers message %q, want the command %d", p.Thread, id)
	}
}

func TestAdminVerdict(t *testing.T) {
	tests := []struct {
		name   string
		chat   func(s *telegramtest.Server) adapters.ChannelRef
		status string // the invoker's status in the chat
		asChat bool
		want   bool
	}{
		{"administrator", defaultChat, "administrator", false, true},
		{"creator", defaultChat, "creator", false, true},
		{"member", defaultChat, "member", false, false},
		{"restricted member", defaultChat, "restricted", false, false},
		{"anonymous group admin", defaultChat, "member", true, true},
		{"private chat with the bot", func(s *telegramtest.Server) adapters.ChannelRef {
			return s.AddChat(4242, "private", "Carol", false)
		}, "member", false, true},
		{"channel post", func(s *telegramtest.Server) adapters.ChannelRef {
			return s.AddChat(-1002000000002, "channel", "News", false)
		}, "member", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, h := running(t, nil, nil)
			ch := tt.chat(s)
			carol := telegramtest.User{ID: 4242, FirstName: "Carol", Username: "carol"}
			s.AddUser(carol)
			s.SetMember(ch, carol.ID, tt.status)
			s.Inject(telegramtest.Incoming{Channel: ch, From: carol, AsChat: tt.asChat, Text: "/status"})
			adaptertest.WaitPosted(t, s, ch, "echo: status")
			if got := h.Received()[0].IsAdmin; got != tt.want {
				t.Errorf("IsAdmin = %v, want %v", got, tt.want)
			}
		})
	}
}

func defaultChat(s *telegramtest.Server) adapters.ChannelRef { return s.Channel() }

func TestAdminVerdictIsCached(t *testing.T) {
	s, _, _ := running(t, nil, nil)
	ch := s.Channel()
	for _, text := range []string{"/status one", "/status two", "/status three"} {
		s.Inject(telegramtest.Incoming{Channel: ch, From: telegramtest.MemberUser, Text: text})
	}
	adaptertest.WaitPosted(t, s, ch, "echo: status three")
	if n := s.Calls("getChatMember"); n != 1 {
		t.Errorf("three commands by one user cost %d getChatMember calls, want 1", n)
	}
}

func TestGetChatID(t *testing.T) {
	s, _, h := running(t, nil, nil)
	ch := s.Channel()
	s.Inject(telegramtest.Incoming{Channel: ch, Text: "/getchatid"})
	adaptertest.WaitPosted(t, s, ch, "telegram:-1001000000001.")
	topic := s.AddTopic(telegramtest.DefaultChatID, "Releases")
	s.Inject(telegramtest.Incoming{Channel: topic, Text: "/getchatid@discourse_test_bot"})
	adaptertest.WaitPosted(t, s, topic, "telegram:-1001000000001/"+topic.ThreadID)
	if n := len(h.Received()); n != 0 {
		t.Errorf("/getchatid reached the handler %d times; the adapter answers it itself", n)
	}
}

func TestRegistersCommandMenu(t *testing.T) {
	s, _, _ := running(t, nil, nil)
	adaptertest.WaitFor(t, "setMyCommands", func() bool { return len(s.Commands()) > 0 })
	var names []string
	for _, c := range s.Commands() {
		names = append(names, c.Command)
	}
	for _, want := range []string{"discourse", "watch", "follow", "mute", "thread", "tag_added", "remove", "status", "help", "post", "test", "getchatid"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("the menu lacks /%s: %v", want, names)
		}
	}
}

func TestLongReplyIsSplit(t *testing.T) {
	long := strings.Repeat("rule line with <angle> & ampersand\n", 300) // ~10 500 characters
	s, _, _ := running(t, &adaptertest.Recorder{Answer: func(adapters.Command) adapters.Reply {
		return adapters.Reply{Text: adapters.Text{{Kind: adapters.Bold, Text: "Rules:"}, {Text: "\n" + long + "END"}}}
	}}, nil)
	ch := s.Channel()
	s.InjectCommand(ch, "status", true)
	adaptertest.WaitPosted(t, s, ch, "END")
	var total strings.Builder
	for _, m := range s.Messages(ch) {
		if n := len([]rune(m.Text)); n > telegram.MaxMessageLength {
			t.Errorf("a reply part has %d characters, over Telegram's %d", n, telegram.MaxMessageLength)
		}
		total.WriteString(m.Text)
	}
	if got := strings.Count(total.String(), "<angle> & ampersand"); got != 300 {
		t.Errorf("the split reply holds %d of the 300 lines", got)
	}
}

func TestObserveChatLog(t *testing.T) {
	log := &adaptertest.ChatLog{}
	s, _, _ := running(t, nil, func(c *telegram.Config) { c.ChatLog = log })
	ch := s.Channel()
	first := s.Inject(telegramtest.Incoming{Channel: ch, From: telegramtest.MemberUser, Text: "Hello *world* see docs",
		Entities: []telegramtest.Entity{{Type: "bold", Offset: 6, Length: 7}, {Type: "text_link", Offset: 18, Length: 4, URL: "https://example.org/docs"}}})
	second := s.Inject(telegramtest.Incoming{Channel: ch, From: telegramtest.AdminUser, Text: "a reply", ReplyTo: first})
	s.Inject(telegramtest.Incoming{Channel: ch, Extra: map[string]any{"new_chat_members": []telegramtest.User{{ID: 7, FirstName: "New"}}}})
	s.Inject(telegramtest.Incoming{Channel: ch, Extra: map[string]any{"photo": []map[string]any{{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}}, "caption": "look"}})
	topic := s.AddTopic(telegramtest.DefaultChatID, "Support")
	inTopic := s.Inject(telegramtest.Incoming{Channel: topic, Text: "in a topic"})
	sentinel(t, s, ch)

	got := log.All()
	if len(got) != 4 {
		t.Fatalf("observed %d messages, want 4 (the join and the commands are not chat): %+v", len(got), got)
	}
	tests := []struct {
		name  string
		got   adapters.Message
		check func(m adapters.Message) bool
	}{
		{"entities become markdown", got[0], func(m adapters.Message) bool {
			return m.Text == `Hello **\*world\*** see [docs](https://example.org/docs)`
		}},
		{"sender", got[0], func(m adapters.Message) bool {
			return m.User.ID == "1002" && m.User.Username == "bob" && !m.IsBot && !m.Time.IsZero()
		}},
		{"ids and link", got[0], func(m adapters.Message) bool {
			return string(m.ID) == itoa(first) && m.Link == "https://t.me/c/1000000001/"+itoa(first) && m.Channel == ch
		}},
		{"reply-to", got[1], func(m adapters.Message) bool {
			return string(m.ID) == itoa(second) && string(m.ReplyTo) == itoa(first)
		}},
		{"media is named, not fetched", got[2], func(m adapters.Message) bool { return m.Text == "[photo] look" }},
		{"topic", got[3], func(m adapters.Message) bool {
			return m.Channel == topic && string(m.Thread) == topic.ThreadID && m.ReplyTo == "" && string(m.ID) == itoa(inTopic)
		}},
	}
	for _, tt := range tests {
		if !tt.check(tt.got) {
			t.Errorf("%s: got %+v", tt.name, tt.got)
		}
	}
}

func TestObserveOffByDefault(t *testing.T) {
	s, a, _ := running(t, nil, nil)
	s.Inject(telegramtest.Incoming{Channel: s.Channel(), Text: "chatter"})
	sentinel(t, s, s.Channel())
	if _, err := a.History(t.Context(), adapters.HistoryQuery{Channel: s.Channel(), Limit: 10}); !errors.Is(err, adapters.ErrNoHistory) {
		t.Errorf("without a chat log History = %v, want ErrNoHistory", err)
	}
}

func TestMigration(t *testing.T) {
	s, a, h := running(t, nil, nil)
	group := s.AddChat(-4001, "group", "Small group", false)
	to := s.Migrate(group, -1004001)
	sentinel(t, s, to)
	moves := h.Moved()
	if len(moves) != 1 || moves[0][0] != group || moves[0][1] != to {
		t.Fatalf("moves = %v, want [%v → %v]", moves, group, to)
	}
	// The old id is gone: a notification to it tells the bot to move the channel (its pending
	// notifications follow) and asks to be retried, naming the new chat.
	_, err := a.Notify(t.Context(), group, adaptertest.Sample("After the move"), "")
	if _, retry := adapters.RetryAfterOf(err); !retry || !strings.Contains(err.Error(), "-1004001") {
		t.Errorf("Notify to the migrated group: %v, want a retry-after error naming the supergroup", err)
	}
	if moves := h.Moved(); len(moves) != 2 || moves[1][0] != group || moves[1][1] != to {
		t.Errorf("a send refused by the migration should move the channel: moves = %v", moves)
	}
	if _, err := a.Notify(t.Context(), to, adaptertest.Sample("After the move"), ""); err != nil {
		t.Fatalf("Notify to the supergroup: %v", err)
	}
	adaptertest.WaitPosted(t, s, to, "After the move")
}

func TestRestartNeitherDropsNorRepeats(t *testing.T) {
	s := newFake(t)
	store := &adapters.MemValues{}
	ch := s.Channel()
	// A 30 s long poll: stopping must abort it, not wait it out (runOneCommand allows 10 s).
	mod := func(c *telegram.Config) { c.Offsets = store; c.PollTimeout = 30 * time.Second }

	h1 := runOneCommand(t, s, mod)

	s.InjectCommand(ch, "watch two", true) // sent while the bot is down
	h2 := &adaptertest.Recorder{}
	adaptertest.Start(t, newAdapter(t, s, nil, mod), h2)
	adaptertest.WaitPosted(t, s, ch, "echo: watch two")
	sentinel(t, s, ch)
	if texts := h2.Texts(); len(texts) != 2 || texts[0] != "watch two" || !strings.HasPrefix(texts[1], "status sentinel") {
		t.Errorf("after the restart the handler got %q, want [watch two, status sentinel]", texts)
	}
	if n := len(h1.Received()); n != 1 {
		t.Errorf("before the restart the handler got %d commands, want 1", n)
	}
}

// runOneCommand runs an adapter on s until it has answered "watch one" in the default chat, then
// stops it, within 10 s however long its long poll, and returns what its handler received.
func runOneCommand(t *testing.T, s *telegramtest.Server, mod func(*telegram.Config)) *adaptertest.Recorder {
	t.Helper()
	h := &adaptertest.Recorder{}
	stop := adaptertest.Start(t, newAdapter(t, s, nil, mod), h)
	s.InjectCommand(s.Channel(), "watch one", true)
	adaptertest.WaitPosted(t, s, s.Channel(), "echo: watch one")
	stop() // fails the test unless Run returns nil within 10 s
	return h
}

func TestReconnectAfterServerErrors(t *testing.T) {
	s, _, _ := running(t, nil, nil)
	ch := s.Channel()
	sentinel(t, s, ch)
	s.FailNext("getUpdates", http.StatusBadGateway)
	s.FailNext("getUpdates", http.StatusBadGateway)
	s.DropConnections()
	s.InjectCommand(ch, "status after 502", true)
	adaptertest.WaitPosted(t, s, ch, "echo: status after 502")
}

func TestWebhookBlocksRun(t *testing.T) {
	s := newFake(t)
	s.SetWebhook("https://hooks.example.org/secret-path")
	a := newAdapter(t, s, nil, nil)
	err := a.Run(t.Context(), &adaptertest.Recorder{})
	if !errors.Is(err, telegram.ErrWebhookSet) {
		t.Fatalf("Run with a webhook set: %v, want ErrWebhookSet", err)
	}
	if s.Webhook() == "" || s.Calls("deleteWebhook") != 0 {
		t.Error("Run deleted the webhook; it must leave it to the owner")
	}
	report, err := a.Check(t.Context(), nil)
	if all := adaptertest.WantReport(t, report, err, true, "webhook: SET (hooks.example.org)"); strings.Contains(all, "secret-path") {
		t.Errorf("Check report shows the webhook's path:\n%s", all)
	}
}

func TestBadTokenStopsRunWithoutLeakingIt(t *testing.T) {
	s := newFake(t)
	const wrong = "987654:WrongTokenSecretPart"
	logs := &syncbuf.Buffer{}
	a := newAdapter(t, s, logs, func(c *telegram.Config) { c.Token = wrong })
	err := a.Run(t.Context(), &adaptertest.Recorder{})
	if err == nil || !strings.Contains(err.Error(), "token was refused") {
		t.Fatalf("Run with a wrong token: %v, want the token refused", err)
	}
	if leak := containsAny(err.Error()+logs.String(), wrong, "WrongTokenSecretPart"); leak != "" {
		t.Errorf("the token leaked into the error or the logs: %v\n%s", err, logs.String())
	}
}

func TestTokenRedactedFromTransportErrors(t *testing.T) {
	s := newFake(t)
	logs := &syncbuf.Buffer{}
	url := s.URL()
	s.Close() // every request now fails with a transport error that quotes the URL
	a := newAdapter(t, s, logs, func(c *telegram.Config) { c.APIEndpoint = url })
	_, err := a.Notify(t.Context(), adapters.ChannelRef{Platform: "telegram", ChatID: "-100"}, adaptertest.Sample("x"), "")
	if err == nil {
		t.Fatal("Notify to a closed server succeeded")
	}
	if adapters.IsPermanent(err) {
		t.Errorf("a network error was classified permanent: %v", err)
	}
	stop := adaptertest.Start(t, a, &adaptertest.Recorder{})
	adaptertest.WaitFor(t, "a logged connection failure", func() bool { return strings.Contains(logs.String(), "retrying") })
	stop()
	secret := strings.SplitN(telegramtest.Token, ":", 2)[1]
	if leak := containsAny(err.Error()+logs.String(), telegramtest.Token, secret); leak != "" {
		t.Errorf("the token leaked: %v\n%s", err, logs.String())
	}
	if !strings.Contains(err.Error(), "<redacted>") {
		t.Errorf("error %q does not show where the token was cut", err)
	}
}

func TestNotifyErrorVerdicts(t *testing.T) {
	tests := []struct {
		name      string
		prepare   func(s *telegramtest.Server) adapters.ChannelRef
		permanent bool
		retry     time.Duration
	}{
		{"chat not found", func(s *telegramtest.Server) adapters.ChannelRef {
			return adapters.ChannelRef{Platform: "telegram", ChatID: "-100999"}
		}, true, 0},
		{"bot kicked", func(s *telegramtest.Server) adapters.ChannelRef {
			s.SetMember(s.Channel(), telegramtest.BotID, "kicked")
			return s.Channel()
		}, true, 0},
		{"topic not found", func(s *telegramtest.Server) adapters.ChannelRef {
			ch := s.Channel()
			ch.ThreadID = "77"
			return ch
		}, true, 0},
		{"bad chat id", func(s *telegramtest.Server) adapters.ChannelRef {
			return adapters.ChannelRef{Platform: "telegram", ChatID: "general"}
		}, true, 0},
		{"429", func(s *telegramtest.Server) adapters.ChannelRef {
			s.RateLimitNext(3 * time.Second)
			return s.Channel()
		}, false, 3 * time.Second},
		{"502", func(s *telegramtest.Server) adapters.ChannelRef {
			s.FailNext("sendMessage", http.StatusBadGateway)
			return s.Channel()
		}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			a := newAdapter(t, s, nil, nil)
			_, err := a.Notify(t.Context(), tt.prepare(s), adaptertest.Sample("Verdict"), "")
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if got := adapters.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			wait, limited := adapters.RetryAfterOf(err)
			if tt.retry != 0 && (!limited || wait != tt.retry) {
				t.Errorf("retry after = %v/%v, want %v (%v)", wait, limited, tt.retry, err)
			}
			if tt.retry == 0 && limited {
				t.Errorf("unexpected retry-after verdict: %v", err)
			}
		})
	}
}

func TestNotifyIntoTopicAndThread(t *testing.T) {
	s := newFake(t)
	a := newAdapter(t, s, nil, nil)
	topic := s.AddTopic(telegramtest.DefaultChatID, "Announcements")
	first, err := a.Notify(t.Context(), topic, adaptertest.Sample("Topic root"), "")
	if err != nil {
		t.Fatalf("Notify into a topic: %v", err)
	}
	reply := adaptertest.Sample("Topic root")
	reply.Excerpt = "second post"
	if _, err := a.Notify(t.Context(), topic, reply, first); err != nil {
		t.Fatalf("Notify into the thread: %v", err)
	}
	msgs := s.Messages(topic)
	if len(msgs) != 2 {
		t.Fatalf("the topic holds %d messages, want 2", len(msgs))
	}
	if msgs[0].ReplyTo != 0 || itoa(msgs[1].ReplyTo) != string(first) {
		t.Errorf("reply_to = %d, %d; want 0, %s", msgs[0].ReplyTo, msgs[1].ReplyTo, first)
	}
	for _, m := range msgs {
		if !m.DisablePreview || m.ParseMode != "HTML" {
			t.Errorf("message %d: preview disabled %v, parse mode %q", m.ID, m.DisablePreview, m.ParseMode)
		}
	}
	if n := len(s.Messages(s.Channel())); n != 0 {
		t.Errorf("%d messages went to the General topic", n)
	}
	// The thread's first message was deleted: the reply is posted anyway.
	if _, err := a.Notify(t.Context(), topic, reply, "999"); err != nil {
		t.Errorf("Notify into a vanished thread: %v", err)
	}
}

func TestNotifyDefusesMentionsAndMarkup(t *testing.T) {
	hostile := []struct {
		name    string
		title   string
		excerpt string
	}{
		{"everyone", "@everyone look", "@here too"},
		{"slack channel", "<!channel> alert", "<!here> and <@U123>"},
		{"mattermost", "@channel @all", "@ALL caps"},
		{"html injection", "<b>bold</b> <a href=\"https://evil.example\">x</a>", "</i><pre>code</pre>"},
		{"pre-escaped", "&lt;b&gt; stays literal", "&amp; &quot;"},
		{"markdown", "**bold** _it_ [x](https://evil.example)", "`code`"},
		{"lone ampersand and angles", "a & b < c > d", "x<y"},
	}
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			a := newAdapter(t, s, nil, nil)
			n := adaptertest.Sample(tt.title)
			n.Excerpt = tt.excerpt
			n.AuthorName = "@everyone"
			n.CategoryPath = "<b>Cat</b>/@here"
			n.Tags = []string{"@channel", "<i>"}
			if _, err := a.Notify(t.Context(), s.Channel(), n, ""); err != nil {
				t.Fatalf("Notify (the fake rejects malformed HTML): %v", err)
			}
			m := s.Messages(s.Channel())[0]
			for _, ping := range []string{"@everyone", "@here", "@channel", "@all", "@ALL"} {
				if strings.Contains(m.Text, ping) {
					t.Errorf("a live %q reached the chat: %q", ping, m.Text)
				}
			}
			for _, want := range []string{tt.title, tt.excerpt} {
				if want = adapters.DefuseMentions(want); !strings.Contains(m.Text, want) {
					t.Errorf("the text does not show %q literally: %q", want, m.Text)
				}
			}
			for _, e := range m.Entities {
				switch {
				case e.Type == "text_link" && e.URL != n.URL && !strings.HasPrefix(e.URL, "https://forum.example.org/u/"):
					t.Errorf("an injected link to %q", e.URL)
				case e.Type != "text_link" && e.Type != "bold" && e.Type != "italic":
					t.Errorf("an injected %s entity", e.Type)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(s *telegramtest.Server) []adapters.ChannelRef
		log     bool
		want    []string
		wantErr bool
	}{
		{"all good", func(s *telegramtest.Server) []adapters.ChannelRef {
			return []adapters.ChannelRef{s.Channel(), {Platform: "slack", ChatID: "C1"}}
		}, true, []string{"getMe: ok as @discourse_test_bot", "privacy mode: off", "webhook: none", "telegram:-1001000000001: ok"}, false},
		{"privacy mode on with the chat log", func(s *telegramtest.Server) []adapters.ChannelRef {
			s.SetPrivacyMode(true)
			return nil
		}, true, []string{"privacy mode: ON", "/setprivacy"}, false},
		{"unknown chat", func(s *telegramtest.Server) []adapters.ChannelRef {
			return []adapters.ChannelRef{{Platform: "telegram", ChatID: "-100555"}}
		}, false, []string{"telegram:-100555: FAILED: getChat: Bad Request: chat not found"}, true},
		{"bot kicked", func(s *telegramtest.Server) []adapters.ChannelRef {
			s.SetMember(s.Channel(), telegramtest.BotID, "kicked")
			return []adapters.ChannelRef{s.Channel()}
		}, false, []string{"FAILED"}, true},
		{"topic in a chat without topics", func(s *telegramtest.Server) []adapters.ChannelRef {
			ch := s.Channel()
			ch.ThreadID = "5"
			return []adapters.ChannelRef{ch}
		}, false, []string{"has no topics"}, true},
		{"channel", func(s *telegramtest.Server) []adapters.ChannelRef {
			return []adapters.ChannelRef{s.AddChat(-1002000000002, "channel", "News", false)}
		}, false, []string{`ok, channel "News", bot is administrator`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFake(t)
			a := newAdapter(t, s, nil, func(c *telegram.Config) {
				if tt.log {
					c.ChatLog = &adaptertest.ChatLog{}
				}
			})
			report, err := a.Check(t.Context(), tt.prepare(s))
			adaptertest.WantReport(t, report, err, tt.wantErr, tt.want...)
		})
	}
}

func TestHistoryIsUnavailable(t *testing.T) {
	a := newAdapter(t, newFake(t), nil, nil)
	if _, err := a.History(t.Context(), adapters.HistoryQuery{Limit: 10}); !errors.Is(err, adapters.ErrNoHistory) {
		t.Errorf("History: %v, want ErrNoHistory", err)
	}
}

func TestUpdateIDsRestartedBelowTheStoredOffset(t *testing.T) {
	s := newFake(t)
	store := &adapters.MemValues{}
	ch := s.Channel()
	mod := func(c *telegram.Config) { c.Offsets = store }

	runOneCommand(t, s, mod) // an offset is stored

	// A week later Telegram numbers updates from a random, lower id.
	s.RestartUpdateIDs(1000)
	s.InjectCommand(ch, "watch two", true)
	h2 := &adaptertest.Recorder{}
	adaptertest.Start(t, newAdapter(t, s, nil, mod), h2)
	adaptertest.WaitPosted(t, s, ch, "echo: watch two")
}

// TestSlowChatDoesNotHoldUpAnother: a transcript running in one group (the handler blocks) must not
// keep another group's command from its answer, and the slow group's later command waits its turn.
func TestSlowChatDoesNotHoldUpAnother(t *testing.T) {
	release := make(chan struct{})
	s, _, _ := running(t, &adaptertest.Recorder{Answer: func(c adapters.Command) adapters.Reply {
		if c.Text == "post 30" {
			<-release
		}
		return adapters.Reply{Text: adapters.Text{{Text: "echo: " + c.Text}}}
	}}, nil)
	slow := s.Channel()
	other := s.AddChat(-1002000000077, "supergroup", "Other", false)
	s.InjectCommand(slow, "post 30", true)
	s.InjectCommand(slow, "status after", true)
	s.InjectCommand(other, "status", true)
	adaptertest.WaitPosted(t, s, other, "echo: status")
	for _, m := range s.Messages(slow) {
		if strings.Contains(m.Text, "echo: status after") {
			t.Fatal("a later command of the slow chat was answered before the one in front of it")
		}
	}
	close(release)
	adaptertest.WaitPosted(t, s, slow, "echo: status after")
}
