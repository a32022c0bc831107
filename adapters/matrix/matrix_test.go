package matrix_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/matrix/matrixtest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
)

// newValues is the adapter's store in memory; it outlives one adapter (a restart keeps it).
func newValues() *adapters.MemValues { return &adapters.MemValues{} }

// stored is the text value name holds.
func stored(v adapters.Values, name string) string {
	x, _, _ := v.Text(context.Background(), name)
	return x
}

func config(srv *matrixtest.Server) matrix.Config {
	return matrix.Config{
		Homeserver:  srv.URL(),
		UserID:      matrixtest.BotUser.String(),
		AccessToken: matrixtest.BotToken,
		SyncTimeout: 2 * time.Second,
		MinBackoff:  20 * time.Millisecond,
		Limits:      &matrix.Limits{}, // pacing_test.go paces
	}
}

func newAdapter(t *testing.T, cfg matrix.Config, v adapters.Values) *matrix.Adapter {
	t.Helper()
	a, err := matrix.New(cfg, adapters.Deps{Values: v})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// server starts a fake homeserver that must have understood every request by the end of the test.
func server(t *testing.T) *matrixtest.Server {
	return adaptertest.Strict(t, "the fake homeserver", matrixtest.NewServer())
}

// running starts an adapter and waits until it has synced once, so that what the test says
// next is news to it (the first sync ever treats old messages as history).
func running(t *testing.T, srv *matrixtest.Server, cfg matrix.Config, v adapters.Values) (*matrix.Adapter, *adaptertest.Recorder) {
	t.Helper()
	a := newAdapter(t, cfg, v)
	rec := &adaptertest.Recorder{}
	before := len(srv.Syncs())
	adaptertest.Start(t, a, rec)
	adaptertest.WaitFor(t, "the adapter's second sync", func() bool { return len(srv.Syncs()) >= before+2 })
	return a, rec
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, func(t *testing.T) (adapters.Adapter, adaptertest.Fake) {
		srv := server(t)
		a := newAdapter(t, config(srv), nil)
		return a, readyFake{srv, a}
	})
}

// readyFake waits, before the first injected command, until the adapter has made its first
// sync: a command sent before the bot ever synced is history to it, by design.
type readyFake struct {
	*matrixtest.Server
	a *matrix.Adapter
}

func (f readyFake) InjectCommand(ch adapters.ChannelRef, text string, admin bool) {
	// Not a failure if it never syncs: the suite's own wait for the answer then says what is missing.
	poll.Wait{Limit: 10 * time.Second}.Within(func() bool { return len(f.Syncs()) >= 2 })
	f.Server.InjectCommand(ch, text, admin)
}

func content(t *testing.T, ev *event.Event) event.MessageEventContent {
	t.Helper()
	var c event.MessageEventContent
	if err := json.Unmarshal(ev.Content.VeryRaw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func raw(t *testing.T, ev *event.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Content.VeryRaw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCommandForms(t *testing.T) {
	srv := server(t)
	_, rec := running(t, srv, config(srv), nil)
	room := srv.MainRoom()
	ch := srv.Channel()
	tests := []struct {
		name    string
		content map[string]any
		want    string // the command text, "" for none
	}{
		{"bang prefix", map[string]any{"msgtype": "m.text", "body": "!discourse watch general"}, "watch general"},
		{"bare bang asks for help", map[string]any{"msgtype": "m.text", "body": "!discourse"}, "help"},
		{"a pill mention", map[string]any{"msgtype": "m.text", "body": "Discourse: status pill",
			"format": "org.matrix.custom.html", "formatted_body": `<a href="https://matrix.to/#/@discourse:localhost">Discourse</a>: status pill`,
			"m.mentions": map[string]any{"user_ids": []string{"@discourse:localhost"}}}, "status pill"},
		{"a typed user id", map[string]any{"msgtype": "m.text", "body": "@discourse:localhost status typed"}, "status typed"},
		{"the name and a colon", map[string]any{"msgtype": "m.text", "body": "discourse: status named"}, "status named"},
		{"a word is no mention", map[string]any{"msgtype": "m.text", "body": "discourse is a forum"}, ""},
		{"another bang command", map[string]any{"msgtype": "m.text", "body": "!discoursebot status"}, ""},
		{"a notice is ignored", map[string]any{"msgtype": "m.notice", "body": "!discourse status notice"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Say(room, matrixtest.AdminUser, tt.content)
			sentinel := "status sentinel " + tt.name
			srv.InjectCommand(ch, sentinel, true)
			adaptertest.WaitPosted(t, srv, ch, "echo: "+sentinel)
			cmds := rec.Received()
			rec.Commands = nil
			var got []string
			for _, c := range cmds {
				if c.Text != sentinel {
					got = append(got, c.Text)
				}
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("commands = %q, want %q", got, want)
			}
		})
	}
}

func TestReplyInThreadIsANoticeWithoutMentions(t *testing.T) {
	srv := server(t)
	_, rec := running(t, srv, config(srv), nil)
	room := srv.MainRoom()
	root := srv.SayText(room, matrixtest.MemberUser, "a thread about the forum")
	cmdID := srv.SayInThread(room, matrixtest.MemberUser, root, "!discourse post thread")
	p := adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: post thread")
	if p.Thread != root.String() {
		t.Errorf("reply went to thread %q, want %q", p.Thread, root)
	}
	cmds := rec.Received()
	if len(cmds) != 1 || cmds[0].Thread != adapters.MessageRef(root) || cmds[0].Message != adapters.MessageRef(cmdID) || cmds[0].IsAdmin {
		t.Errorf("command = %+v, want thread %s, message %s, not admin", cmds, root, cmdID)
	}
	if cmds[0].Invoker.ID != matrixtest.MemberUser.String() || cmds[0].Invoker.DisplayName != "Dave" {
		t.Errorf("invoker = %+v, want dave with his display name", cmds[0].Invoker)
	}
	sent := srv.Sent(room)
	c := raw(t, sent[len(sent)-1])
	if c["msgtype"] != "m.notice" {
		t.Errorf("reply msgtype = %v, want m.notice", c["msgtype"])
	}
	if m, ok := c["m.mentions"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("reply m.mentions = %v, want {}", c["m.mentions"])
	}
}

func TestAdminFollowsPowerLevels(t *testing.T) {
	srv := server(t)
	_, rec := running(t, srv, config(srv), nil)
	ch := srv.Channel()
	srv.InjectCommand(ch, "status as member", false)
	adaptertest.WaitPosted(t, srv, ch, "echo: status as member")
	srv.SetPowerLevel(srv.MainRoom(), matrixtest.MemberUser, 50)
	srv.InjectCommand(ch, "status as moderator", false)
	adaptertest.WaitPosted(t, srv, ch, "echo: status as moderator")
	cmds := rec.Received()
	if len(cmds) != 2 || cmds[0].IsAdmin || !cmds[1].IsAdmin {
		t.Errorf("IsAdmin before and after dave got power level 50: %+v", cmds)
	}
}

func TestNotificationIsANoticeThatPingsNobody(t *testing.T) {
	srv := server(t)
	a, _ := running(t, srv, config(srv), nil)
	n := adapters.Notification{
		TopicTitle: "Tell @room <script>x</script>", URL: "https://forum.example.org/t/x/1/1",
		AuthorName: "Alice", AuthorUser: "alice", CategoryPath: "Support", Tags: []string{"bug"},
		Excerpt: "hi @carol:localhost & **not bold** @everyone", IsFirstPost: true,
	}
	ref, err := a.Notify(t.Context(), srv.Channel(), n, "")
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent(srv.MainRoom())
	ev := sent[len(sent)-1]
	if ev.ID.String() != string(ref) {
		t.Fatalf("Notify returned %q, the event is %q", ref, ev.ID)
	}
	c := content(t, ev)
	r := raw(t, ev)
	if c.MsgType != event.MsgNotice || c.Format != event.FormatHTML {
		t.Errorf("msgtype %q format %q, want an HTML m.notice", c.MsgType, c.Format)
	}
	if m, ok := r["m.mentions"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("m.mentions = %v, want {}", r["m.mentions"])
	}
	for _, form := range []string{c.Body, c.FormattedBody} {
		if strings.Contains(form, "@room") || strings.Contains(form, "@everyone") {
			t.Errorf("a live mass mention in %q", form)
		}
	}
	if strings.Contains(c.FormattedBody, "<script>") || !strings.Contains(c.FormattedBody, "&lt;script&gt;") {
		t.Errorf("forum text not escaped in formatted_body: %q", c.FormattedBody)
	}
	if !strings.Contains(c.FormattedBody, `<a href="https://forum.example.org/t/x/1/1">`) || !strings.Contains(c.Body, "https://forum.example.org/t/x/1/1") {
		t.Errorf("the post's link is missing: body %q, html %q", c.Body, c.FormattedBody)
	}
}

func TestThreadRuleUsesMThread(t *testing.T) {
	srv := server(t)
	a, _ := running(t, srv, config(srv), nil)
	n := adapters.Notification{TopicTitle: "Root", URL: "https://forum.example.org/t/r/2/1", IsFirstPost: true}
	root, err := a.Notify(t.Context(), srv.Channel(), n, "")
	if err != nil {
		t.Fatal(err)
	}
	n.Excerpt, n.IsFirstPost = "a reply", false
	if _, err := a.Notify(t.Context(), srv.Channel(), n, root); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent(srv.MainRoom())
	rel := content(t, sent[len(sent)-1]).RelatesTo
	if rel == nil || rel.Type != event.RelThread || rel.EventID != id.EventID(root) {
		t.Errorf("m.relates_to = %+v, want an m.thread under %s", rel, root)
	}
}

func TestRestartNeitherLosesNorReplays(t *testing.T) {
	srv := server(t)
	v := newValues()
	ch := srv.Channel()
	stop := adaptertest.Start(t, newAdapter(t, config(srv), v), &adaptertest.Recorder{})
	adaptertest.WaitFor(t, "a stored sync token", func() bool { return stored(v, "matrix.since") != "" })
	srv.InjectCommand(ch, "status one", true)
	adaptertest.WaitPosted(t, srv, ch, "echo: status one")
	adaptertest.WaitFor(t, "the token after the command", func() bool { return len(srv.Syncs()) >= 3 })
	stop()
	srv.InjectCommand(ch, "status while down", true)
	_, rec2 := running(t, srv, config(srv), v)
	adaptertest.WaitPosted(t, srv, ch, "echo: status while down")
	srv.InjectCommand(ch, "status two", true)
	adaptertest.WaitPosted(t, srv, ch, "echo: status two")
	if texts := rec2.Texts(); strings.Join(texts, "|") != "status while down|status two" {
		t.Errorf("after the restart the bot answered %q, want the command sent while it was down, then the new one", texts)
	}
}

func TestSyncRateLimitWaitsRetryAfter(t *testing.T) {
	srv := server(t)
	running(t, srv, config(srv), nil)
	srv.RateLimitSyncNext(300 * time.Millisecond)
	n := len(srv.Syncs())
	srv.SayText(srv.MainRoom(), matrixtest.MemberUser, "wake the sync")
	adaptertest.WaitFor(t, "the limited sync", func() bool { return len(srv.Syncs()) > n })
	limitedAt := time.Now()
	adaptertest.WaitFor(t, "the sync after the limit", func() bool { return len(srv.Syncs()) > n+1 })
	if waited := time.Since(limitedAt); waited < 250*time.Millisecond {
		t.Errorf("the sync after M_LIMIT_EXCEEDED came after %v, want the server's 300ms", waited)
	}
}

func TestSyncOutageIsRetried(t *testing.T) {
	srv := server(t)
	a, _ := running(t, srv, config(srv), nil)
	srv.FailSyncs(3)
	n := len(srv.Syncs())
	srv.SayText(srv.MainRoom(), matrixtest.MemberUser, "wake the sync")
	adaptertest.WaitFor(t, "three failed syncs and a good one", func() bool { return len(srv.Syncs()) >= n+5 })
	srv.InjectCommand(srv.Channel(), "status after outage", true)
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status after outage")
	if a.Reconnects() < 1 {
		t.Errorf("Reconnects = %d after three failed syncs, want at least 1", a.Reconnects())
	}
	if !a.Connected() {
		t.Error("not Connected after the outage ended")
	}
}

func TestInvitesFollowInviteFrom(t *testing.T) {
	srv := server(t)
	cfg := config(srv)
	cfg.InviteFrom = []string{matrixtest.AdminUser.String()}
	running(t, srv, cfg, nil)
	fromAdmin := srv.CreateRoom(matrixtest.AdminUser, "Admin's room", false)
	srv.Invite(fromAdmin, matrixtest.AdminUser, matrixtest.BotUser)
	fromDave := srv.CreateRoom(matrixtest.MemberUser, "Dave's room", false)
	srv.Invite(fromDave, matrixtest.MemberUser, matrixtest.BotUser)
	adaptertest.WaitFor(t, "the bot to join the admin's room", func() bool { return srv.Membership(fromAdmin, matrixtest.BotUser) == "join" })
	adaptertest.WaitFor(t, "the bot to decline dave's invitation", func() bool { return srv.Membership(fromDave, matrixtest.BotUser) == "leave" })
}

func TestEncryptedRoomIsRefusedOnce(t *testing.T) {
	srv := server(t)
	v := newValues()
	a, rec := running(t, srv, config(srv), v)
	room := srv.CreateRoom(matrixtest.AdminUser, "Secret", true)
	srv.Invite(room, matrixtest.AdminUser, matrixtest.BotUser)
	ch := adapters.ChannelRef{Platform: "matrix", ChatID: room.String()}
	adaptertest.WaitPosted(t, srv, ch, "does not support encryption")
	srv.Say(room, matrixtest.AdminUser, map[string]any{"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEn…"})
	srv.InjectCommand(srv.Channel(), "status sentinel", true)
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status sentinel")
	if n := len(srv.Posted(ch)); n != 1 {
		t.Errorf("the bot posted %d messages in the encrypted room, want its one notice", n)
	}
	if len(rec.Received()) != 1 {
		t.Errorf("commands = %+v, want only the sentinel", rec.Received())
	}
	_, err := a.Notify(t.Context(), ch, adapters.Notification{TopicTitle: "x"}, "")
	if !adapters.IsPermanent(err) || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("Notify into the encrypted room = %v, want a permanent error that names encryption", err)
	}
	report, err := a.Check(t.Context(), []adapters.ChannelRef{ch, srv.Channel()})
	adaptertest.WantReport(t, report, err, false, "ENCRYPTED", "whoami: ok as @discourse:localhost")
}

func TestHistory(t *testing.T) {
	srv := server(t)
	a, _ := running(t, srv, config(srv), nil)
	room := srv.MainRoom()
	first := srv.SayText(room, matrixtest.AdminUser, "first words")
	srv.Say(room, matrixtest.MemberUser, map[string]any{"msgtype": "m.text", "body": "see *this*",
		"format": "org.matrix.custom.html", "formatted_body": `see <strong>this</strong> and <a href="https://matrix.to/#/@carol:localhost">Carol</a>, <a href="https://example.org/a">a page</a>`})
	srv.Say(room, matrixtest.AdminUser, map[string]any{"msgtype": "m.text",
		"body":         "> <@dave:localhost> see *this*\n\nmy answer",
		"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": first}}})
	root := srv.SayText(room, matrixtest.MemberUser, "thread root")
	srv.SayInThread(room, matrixtest.AdminUser, root, "in the thread")
	lines := func(h adapters.History) string {
		var out []string
		for _, m := range h.Messages {
			out = append(out, m.User.DisplayName+": "+m.Text)
		}
		return strings.Join(out, "\n")
	}
	tests := []struct {
		name string
		q    adapters.HistoryQuery
		want string
	}{
		{"last n", adapters.HistoryQuery{Limit: 2}, "Dave: thread root\nCarol: in the thread"},
		{"from a link", adapters.HistoryQuery{FromLink: room.EventURI(first).MatrixToURL(), Limit: 5},
			"Carol: first words\nDave: see **this** and @Carol, [a page](https://example.org/a)\nCarol: my answer\nDave: thread root\nCarol: in the thread"},
		{"a thread by its root", adapters.HistoryQuery{Thread: adapters.MessageRef(root)}, "Dave: thread root\nCarol: in the thread"},
		{"a thread by a link into it", adapters.HistoryQuery{ThreadLink: "https://matrix.to/#/" + room.String() + "/" + root.String()}, "Dave: thread root\nCarol: in the thread"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Channel = srv.Channel()
			h, err := a.History(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := lines(h); got != tt.want {
				t.Errorf("history:\n%s\nwant:\n%s", got, tt.want)
			}
			if h.ChannelName != "General" || h.Messages[0].Link == "" {
				t.Errorf("channel name %q, first link %q", h.ChannelName, h.Messages[0].Link)
			}
		})
	}
	other := srv.CreateRoom(matrixtest.AdminUser, "Elsewhere", false)
	_, err := a.History(t.Context(), adapters.HistoryQuery{Channel: srv.Channel(), FromLink: other.EventURI("$x").MatrixToURL()})
	if !errors.Is(err, adapters.ErrBadLink) {
		t.Errorf("a link into another room = %v, want ErrBadLink", err)
	}
	if _, err := a.History(t.Context(), adapters.HistoryQuery{Channel: srv.Channel(), FromLink: "https://example.org/not-matrix"}); !errors.Is(err, adapters.ErrBadLink) {
		t.Errorf("a web link = %v, want ErrBadLink", err)
	}
}

func TestRateLimitedReplyIsSentAfterTheWait(t *testing.T) {
	srv := server(t)
	running(t, srv, config(srv), nil)
	srv.RateLimitNext(200 * time.Millisecond)
	srv.InjectCommand(srv.Channel(), "status limited", true)
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status limited")
}

type problems []string

func (p *problems) Has(string) bool { return false }

func (p *problems) Add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func TestConfigSection(t *testing.T) {
	tests := []struct {
		name string
		yaml Config
		want string // the keys with problems, joined
	}{
		{"a token", Config{UserID: "@bot:example.org", AccessToken: "t"}, ""},
		{"a password file", Config{UserID: "@bot:example.org", PasswordFile: "/run/secrets/pw"}, ""},
		{"no credential", Config{UserID: "@bot:example.org"}, "access_token"},
		{"a bare user name", Config{UserID: "bot", AccessToken: "t"}, "homeserver user_id"},
		{"a bad homeserver", Config{Homeserver: "matrix.example.org", UserID: "@bot:example.org", AccessToken: "t"}, "homeserver"},
		{"inviters", Config{UserID: "@bot:example.org", AccessToken: "t", InviteFrom: []string{"@admin:example.org", ":example.org", "admin"}}, "invite_from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec := matrix.Platform.NewSection().(*matrix.Config)
			*sec = tt.yaml
			matrix.Platform.Defaults(sec, func(string) bool { return false })
			var p problems
			matrix.Platform.Validate(sec, &p)
			var keys []string
			for _, x := range p {
				keys = append(keys, strings.SplitN(x, ":", 2)[0])
			}
			if got := strings.Join(keys, " "); got != tt.want {
				t.Errorf("problems %q, want keys %q", p, tt.want)
			}
		})
	}
	sec := &matrix.Config{UserID: "@bot:example.org", AccessToken: "t"}
	matrix.Platform.Defaults(sec, func(string) bool { return false })
	if sec.Homeserver != "https://example.org" {
		t.Errorf("default homeserver = %q, want the user id's server", sec.Homeserver)
	}
	if matrix.Platform.Name() != "matrix" || !matrix.Platform.Abilities().History {
		t.Errorf("descriptor %s %+v", matrix.Platform.Name(), matrix.Platform.Abilities())
	}
}

// Config is the section as a test table writes it.
type Config = matrix.Config

// TestLongAbsenceLosesNoCommand: more messages than one sync shows arrive while the bot is
// stopped; the command among the oldest of them is found in the gap and answered once.
func TestLongAbsenceLosesNoCommand(t *testing.T) {
	srv := server(t)
	v := newValues()
	stop := adaptertest.Start(t, newAdapter(t, config(srv), v), &adaptertest.Recorder{})
	adaptertest.WaitFor(t, "a stored sync token", func() bool { return stored(v, "matrix.since") != "" })
	stop()
	srv.InjectCommand(srv.Channel(), "status from long ago", true)
	for i := range 150 {
		srv.SayText(srv.MainRoom(), matrixtest.MemberUser, fmt.Sprintf("chatter %d", i))
	}
	_, rec := running(t, srv, config(srv), v)
	adaptertest.WaitPosted(t, srv, srv.Channel(), "echo: status from long ago")
	if n := len(rec.Received()); n != 1 {
		t.Errorf("the bot handled %d commands, want the one from the gap once", n)
	}
}

func TestTheLongestReplyArrivesWhole(t *testing.T) {
	srv := server(t)
	link := "https://forum.example.org/new-topic?title=x&body=" + strings.Repeat("a%20b&", 1640)
	text := adapters.Text{{Text: "Open the composer: "}, {Kind: adapters.Link, Text: "new topic", URL: link}}
	a := newAdapter(t, config(srv), nil)
	if n := len(text.String()); n > a.MaxReplyLength() || n < a.MaxReplyLength()-200 {
		t.Fatalf("the test's reply is %d long, want just under the limit %d", n, a.MaxReplyLength())
	}
	adaptertest.Start(t, a, &adaptertest.Recorder{Answer: func(adapters.Command) adapters.Reply { return adapters.Reply{Text: text} }})
	adaptertest.WaitFor(t, "the second sync", func() bool { return len(srv.Syncs()) >= 2 })
	srv.InjectCommand(srv.Channel(), "post 3", true)
	adaptertest.WaitPosted(t, srv, srv.Channel(), "Open the composer")
	c := content(t, srv.Sent(srv.MainRoom())[0])
	if !strings.Contains(c.Body, link) || !strings.Contains(c.FormattedBody, html.EscapeString(link)) {
		t.Errorf("the link was cut: body %d bytes, formatted_body %d bytes", len(c.Body), len(c.FormattedBody))
	}
}

// TestPasswordLoginOnce: without a token the bot logs in with its password once, keeps the
// token and device in the store, uses them after a restart, and logs in again (same device)
// only when the server revoked the token.
func TestPasswordLoginOnce(t *testing.T) {
	srv := server(t)
	v := newValues()
	cfg := config(srv)
	cfg.AccessToken, cfg.Password, cfg.DeviceID = "", matrixtest.Password, "DISCOURSEBOT"
	check := func(wantLogins int) {
		t.Helper()
		a := newAdapter(t, cfg, v)
		report, err := a.Check(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(report[0], "ok as @discourse:localhost (device DISCOURSEBOT)") {
			t.Errorf("whoami line %q", report[0])
		}
		if n := srv.Logins(); n != wantLogins {
			t.Errorf("%d password logins, want %d", n, wantLogins)
		}
	}
	check(1)
	if stored(v, "matrix.access_token") == "" || stored(v, "matrix.device_id") != "DISCOURSEBOT" {
		t.Fatalf("stored token %q device %q", stored(v, "matrix.access_token"), stored(v, "matrix.device_id"))
	}
	check(1) // a restart: the stored token
	srv.RevokeTokens()
	check(2) // revoked: one new login
}

func TestCheckReportsMembershipAndPower(t *testing.T) {
	srv := server(t)
	a := newAdapter(t, config(srv), nil)
	notJoined := srv.CreateRoom(matrixtest.AdminUser, "Elsewhere", false)
	report, err := a.Check(t.Context(), []adapters.ChannelRef{srv.Channel(), {Platform: "matrix", ChatID: notJoined.String()}})
	adaptertest.WantReport(t, report, err, false,
		"room "+srv.MainRoom().String()+" (General): joined; bot power level 0 (room admins for commands: 50 or more)",
		"room "+notJoined.String()+": NOT joined: invite @discourse:localhost to it")
	srv.RevokeTokens()
	if _, err := newAdapter(t, config(srv), nil).Check(t.Context(), nil); !adapters.IsPermanent(err) {
		t.Errorf("check with a revoked token = %v, want a permanent error", err)
	}
}

func TestRunStopsOnARefusedToken(t *testing.T) {
	srv := server(t)
	srv.RevokeTokens()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := newAdapter(t, config(srv), nil).Run(ctx, &adaptertest.Recorder{})
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "M_UNKNOWN_TOKEN") {
		t.Errorf("Run with a refused token = %v (context %v), want the server's M_UNKNOWN_TOKEN at once", err, ctx.Err())
	}
}
