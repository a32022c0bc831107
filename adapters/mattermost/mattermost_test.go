package mattermost

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost/mattermosttest"
)

// newFake starts a fake server and an adapter for it (not running); the test fails if the fake
// met a request it does not understand.
func newFake(t *testing.T) (*Adapter, *mattermosttest.Server) {
	t.Helper()
	srv := adaptertest.Strict(t, "the fake", mattermosttest.NewServer())
	a, err := New(Config{URL: srv.URL(), Token: mattermosttest.Token, Limits: &Limits{}}, // the fake has no rate limit: unpaced
		slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.minBackoff, a.maxBackoff = 20*time.Millisecond, 200*time.Millisecond
	return a, srv
}

// running starts the adapter with a recorder and waits until its websocket is up.
func running(t *testing.T) (*Adapter, *mattermosttest.Server, *adaptertest.Recorder) {
	t.Helper()
	a, srv := newFake(t)
	rec := &adaptertest.Recorder{}
	adaptertest.Start(t, a, rec)
	adaptertest.WaitFor(t, "the websocket to connect", func() bool { return srv.Live() > 0 })
	return a, srv, rec
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func countPosted(f adaptertest.Fake, ch adapters.ChannelRef, text string) int {
	n := 0
	for _, p := range f.Posted(ch) {
		if strings.Contains(p.Text, text) {
			n++
		}
	}
	return n
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, func(t *testing.T) (adapters.Adapter, adaptertest.Fake) {
		a, srv := newFake(t)
		return a, srv
	})
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"https server", Config{URL: "https://chat.example.org/", Token: "x"}, true},
		{"subpath install", Config{URL: "https://example.org/chat", Token: "x"}, true},
		{"no url", Config{Token: "x"}, false},
		{"no scheme", Config{URL: "chat.example.org", Token: "x"}, false},
		{"websocket url", Config{URL: "wss://chat.example.org", Token: "x"}, false},
		{"no token", Config{URL: "https://chat.example.org"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, nil)
			if (err == nil) != tt.ok {
				t.Errorf("New(%+v) error = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
}

func TestCommandAdminFlag(t *testing.T) {
	_, srv, rec := running(t)
	ch := srv.Channel()
	sysadmin := srv.AddUser("root")
	srv.Join(ch, sysadmin)
	srv.SetSystemAdmin(sysadmin, true)
	promoted := srv.AddUser("erin")
	srv.Join(ch, promoted)
	srv.SetAdmin(promoted, true)
	tests := []struct {
		name  string
		user  string
		admin bool
	}{
		{"channel admin", srv.AdminID(), true},
		{"plain member", srv.MemberID(), false},
		{"system admin without channel role", sysadmin, true},
		{"member made channel admin", promoted, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "status " + tt.name
			srv.InjectPost(ch, tt.user, "@discourse "+text, "")
			adaptertest.WaitPosted(t, srv, ch, "echo: "+text)
			cmds := rec.Received()
			c := cmds[len(cmds)-1]
			if c.Text != text || c.IsAdmin != tt.admin || c.Invoker.ID != tt.user {
				t.Errorf("command %d = %+v, want text %q, invoker %s, IsAdmin %v", i, c, text, tt.user, tt.admin)
			}
			if c.Message == "" || c.Invoker.Username == "" {
				t.Errorf("command lacks its message ref or the invoker's username: %+v", c)
			}
		})
	}
}

func TestDirectMessageCommand(t *testing.T) {
	_, srv, rec := running(t)
	dm := srv.DirectChannel(srv.MemberID())
	srv.InjectCommand(dm, "status", false)
	p := adaptertest.WaitPosted(t, srv, dm, "echo: status")
	if p.Thread != "" {
		t.Errorf("reply in a direct message was threaded: %+v", p)
	}
	c := rec.Received()[0]
	if c.Channel.ChatID != dm.ChatID || c.IsAdmin {
		t.Errorf("direct command = %+v, want channel %s and no admin right", c, dm.ChatID)
	}
	// Mattermost has no slash commands: help and hints must name the bot as users write it.
	if c.Invocation != "@"+mattermosttest.BotUsername {
		t.Errorf("invocation = %q, want @%s", c.Invocation, mattermosttest.BotUsername)
	}
}

func TestThreadedCommandGetsThreadedReply(t *testing.T) {
	_, srv, rec := running(t)
	ch := srv.Channel()
	root := srv.InjectPost(ch, srv.MemberID(), "we should watch support", "")
	srv.InjectPost(ch, srv.AdminID(), "@discourse post thread", root)
	p := adaptertest.WaitPosted(t, srv, ch, "echo: post thread")
	if p.Thread != root {
		t.Errorf("reply posted in thread %q, want the command's thread %q", p.Thread, root)
	}
	if c := rec.Received()[0]; string(c.Thread) != root {
		t.Errorf("command thread = %q, want %q", c.Thread, root)
	}
}

func TestOnlyCommandsAreHandled(t *testing.T) {
	_, srv, rec := running(t)
	ch := srv.Channel()
	for _, msg := range []string{
		"just chatting",
		"thanks @discourse",
		"@discourse-dev status",
		"@dave watch support",
	} {
		srv.InjectPost(ch, srv.MemberID(), msg, "")
	}
	srv.InjectCommand(ch, "status", true) // a sync point: handled after the posts above
	adaptertest.WaitPosted(t, srv, ch, "echo: status")
	if cmds := rec.Received(); len(cmds) != 1 {
		t.Errorf("handled %d commands, want only the one addressed to the bot: %+v", len(cmds), cmds)
	}
	// The bot sees its own replies on the websocket and must not answer them.
	if n := len(srv.Posted(ch)); n != 1 {
		t.Errorf("the bot posted %d messages, want 1", n)
	}
}

// TestCommandDuringOutageIsAnsweredOnce: the websocket is down (the server refuses it) while a
// user sends a command; once it is back, the bot re-syncs and answers it, exactly once.
func TestCommandDuringOutageIsAnsweredOnce(t *testing.T) {
	_, srv, rec := running(t)
	ch := srv.Channel()
	srv.InjectCommand(ch, "status before", true)
	adaptertest.WaitPosted(t, srv, ch, "echo: status before")

	srv.SetOffline(true)
	srv.DropConnections()
	srv.InjectCommand(ch, "watch support during the gap", true)
	adaptertest.WaitFor(t, "the bot to try reconnecting twice", func() bool { return srv.Rejected() >= 2 })
	if n := countPosted(srv, ch, "during the gap"); n != 0 {
		t.Fatalf("answered %d times while the websocket was down", n)
	}
	srv.SetOffline(false)
	adaptertest.WaitPosted(t, srv, ch, "echo: watch support during the gap")

	srv.InjectCommand(ch, "status after", true) // handled after any duplicate would have been
	adaptertest.WaitPosted(t, srv, ch, "echo: status after")
	if n := countPosted(srv, ch, "during the gap"); n != 1 {
		t.Errorf("the gap's command was answered %d times, want once", n)
	}
	if n := len(rec.Received()); n != 3 {
		t.Errorf("handled %d commands, want 3", n)
	}
}

func TestRevokedTokenStopsRun(t *testing.T) {
	a, srv := newFake(t)
	srv.RevokeToken()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := a.Run(ctx, &adaptertest.Recorder{})
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Run with a revoked token = %v (ctx %v), want an auth error", err, ctx.Err())
	}
	if strings.Contains(err.Error(), mattermosttest.Token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestNotifyErrors(t *testing.T) {
	a, srv := newFake(t)
	other := srv.AddChannel("elsewhere", false)
	locked := srv.AddChannel("announcements", true)
	srv.SetReadOnly(locked, true)
	n := adapters.Notification{TopicTitle: "Hello", URL: "https://forum.example.org/t/1"}
	tests := []struct {
		name   string
		ch     adapters.ChannelRef
		thread adapters.MessageRef
	}{
		{"unknown channel", adapters.ChannelRef{Platform: "mattermost", ChatID: "nosuchchannel00000000000000"}, ""},
		{"bot not in channel", other, ""},
		{"bot may not post", locked, ""},
		{"thread root gone", srv.Channel(), "nosuchpost000000000000000a"},
		{"not a mattermost channel", adapters.ChannelRef{Platform: "slack", ChatID: "C1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Notify(t.Context(), tt.ch, n, tt.thread)
			if !adapters.IsPermanent(err) {
				t.Errorf("Notify = %v, want a permanent error", err)
			}
		})
	}
	srv.Close()
	_, err := a.Notify(t.Context(), srv.Channel(), n, "")
	if err == nil || adapters.IsPermanent(err) {
		t.Errorf("Notify to a server that is down = %v, want a retryable error", err)
	}
	if _, ok := adapters.RetryAfterOf(err); ok {
		t.Errorf("a network error became a rate limit: %v", err)
	}
}

// TestMentionAfterTextThatChangesLengthWhenLowercased: some letters take more (Ⱥ → ⱥ) or fewer
// (İ → i) bytes lowercased. A chat user typing them before the bot's mention must neither crash
// the daemon (a slice past the message's end) nor garble the command.
func TestMentionAfterTextThatChangesLengthWhenLowercased(t *testing.T) {
	_, srv, rec := running(t)
	ch := srv.Channel()
	srv.InjectPost(ch, srv.MemberID(), "ȺȺȺȺ @discourse", "")
	srv.InjectPost(ch, srv.AdminID(), "İİ @discourse status", "")
	adaptertest.WaitPosted(t, srv, ch, "echo: status")
	if cmds := rec.Received(); len(cmds) != 1 || cmds[0].Text != "status" {
		t.Errorf("commands = %+v, want one: status", cmds)
	}
}
