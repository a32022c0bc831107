package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
)

func general() adapters.ChannelRef {
	return adapters.ChannelRef{Platform: "discord", ChatID: discordtest.ChannelID}
}

func sample(title string) adapters.Notification {
	return adapters.Notification{
		TopicID: 42, PostID: 4200, PostNumber: 1, TopicTitle: title,
		URL: "https://forum.example.org/t/welcome/42/1", AuthorName: "Alice Smith", AuthorUser: "alice",
		AvatarURL: "https://forum.example.org/a.png", CategoryPath: "Support/Installs", CategoryColor: "0088CC",
		Tags: []string{"bug"}, Excerpt: "The installer stops.", IsFirstPost: true,
	}
}

// threadReply is the notification of reply number n of the topic sample(title).
func threadReply(title string, n int, excerpt string) adapters.Notification {
	r := sample(title)
	r.PostNumber, r.IsFirstPost, r.Excerpt = n, false, excerpt
	return r
}

// startThread notifies the first post of a topic in #general and a reply to it ("a reply"),
// which starts the topic's thread. It returns the first message, the reply and the thread.
func startThread(t *testing.T, a *discord.Adapter, title string) (root, reply adapters.MessageRef, thread adapters.ChannelRef) {
	t.Helper()
	root, err := a.Notify(t.Context(), general(), sample(title), "")
	if err != nil {
		t.Fatalf("notify the topic: %v", err)
	}
	if reply, err = a.Notify(t.Context(), general(), threadReply(title, 2, "a reply"), root); err != nil {
		t.Fatalf("notify a reply: %v", err)
	}
	return root, reply, adapters.ChannelRef{Platform: "discord", ChatID: discordtest.ChannelID, ThreadID: string(root)}
}

// lastMessage returns the fake's record of the last message the bot sent.
func lastMessage(t *testing.T, srv *discordtest.Server) discordtest.Message {
	t.Helper()
	ms := srv.Messages()
	if len(ms) == 0 {
		t.Fatal("the bot sent nothing")
	}
	return ms[len(ms)-1]
}

// assertMentionsNobody checks that a message was sent with allowed_mentions {"parse":[]} and
// would ping nobody.
func assertMentionsNobody(t *testing.T, m discordtest.Message) {
	t.Helper()
	var am struct {
		Parse *[]string `json:"parse"`
	}
	if err := json.Unmarshal([]byte(m.AllowedMentionsJSON), &am); err != nil || am.Parse == nil || len(*am.Parse) != 0 {
		t.Errorf("allowed_mentions = %q, want parse: []", m.AllowedMentionsJSON)
	}
	if p := m.Pings(); len(p) > 0 {
		t.Errorf("message pings %v", p)
	}
}

func TestMentionInjection(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	tests := []struct {
		name, title, excerpt string
		absent               []string // must not appear in what users read
		present              []string // escaped forms that must
	}{
		{"everyone and here", "Hello @everyone", "and @here too", []string{"@everyone", "@here"}, nil},
		{"slack and mattermost forms", "@channel news", "@all <!channel>", []string{"@channel", "@all", "<!channel>"}, []string{`\<!channel\>`}},
		{"user and role mentions", "ping <@123456789012345678>", "<@&123456789012345678> <@U123>", []string{"<@1", "<@&", "<@U123>"}, []string{`\<@123456789012345678\>`}},
		{"entities stay literal", "a &lt;b&gt;", "&amp; &lt;", nil, []string{"&lt;b&gt;", "&amp; &lt;"}},
		{"HTML is shown, not interpreted", "<b>bold</b>", "<script>x</script>", []string{"<b>", "<script>"}, []string{`\<b\>bold\</b\>`}},
		{"markdown cannot link or format", "[click](https://evil.example)", "**big** __u__ ~~s~~ ||spoiler|| `code`", []string{"[click](", "**big**", "||spoiler||"}, []string{`\[click\]\(https://evil.example\)`, `\*\*big\*\*`, `\|\|spoiler\|\|`}},
		{"heading and quote at line start", "# Title", "> quoted\n- item", []string{"> quoted", "- item", "# Title"}, []string{`\# Title`, `\> quoted`, `\- item`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := sample(tt.title)
			n.Excerpt = tt.excerpt
			if _, err := a.Notify(t.Context(), general(), n, ""); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			m := lastMessage(t, srv)
			assertMentionsNobody(t, m)
			if len(m.Embeds) != 1 {
				t.Fatalf("want one embed, got %+v", m.Embeds)
			}
			text := "\n" + m.Embeds[0].Title + "\n" + m.Embeds[0].Description + "\n" + m.Embeds[0].Author.Name
			for _, bad := range tt.absent {
				if live(text, bad) {
					t.Errorf("%q appears unescaped in %q", bad, text)
				}
			}
			for _, good := range tt.present {
				if !strings.Contains(text, good) {
					t.Errorf("%q not in %q", good, text)
				}
			}
		})
	}
}

// live reports whether bad occurs in text without a backslash escaping its first character.
func live(text, bad string) bool {
	for i := 0; i+len(bad) <= len(text); i++ {
		if strings.HasPrefix(text[i:], bad) && (i == 0 || text[i-1] != '\\') {
			return true
		}
	}
	return false
}

func TestCommands(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	rec := &adaptertest.Recorder{}
	adaptertest.Start(t, a, rec)
	ch := general()
	tests := []struct {
		name    string
		user    string
		sub     string
		opts    []discordtest.Option
		text    string
		isAdmin bool
	}{
		{"admin watches with tags", discordtest.AdminID, "watch", []discordtest.Option{{Name: "category", Value: "support"}, {Name: "tags", Value: "bug linux"}}, "watch support tag:bug tag:linux", true},
		{"member asks status", discordtest.MemberID, "status", nil, "status", false},
		{"member without Manage Channels tries to mute", discordtest.MemberID, "mute", []discordtest.Option{{Name: "category", Value: "meta"}}, "mute meta", false},
		{"remove by number", discordtest.AdminID, "remove", []discordtest.Option{{Name: "n", Value: 2}}, "remove 2", true},
		{"post a count", discordtest.AdminID, "post", []discordtest.Option{{Name: "count", Value: 30}}, "post 30", true},
		{"a whole line", discordtest.AdminID, "run", []discordtest.Option{{Name: "command", Value: "watch group:staff"}}, "watch group:staff", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.InjectInteraction(ch, tt.user, tt.sub, tt.opts...)
			adaptertest.WaitPosted(t, srv, ch, "echo: "+tt.text)
			cmds := rec.Received()
			if len(cmds) != i+1 {
				t.Fatalf("handler got %d commands, want %d", len(cmds), i+1)
			}
			c := cmds[i]
			if c.Text != tt.text || c.IsAdmin != tt.isAdmin || c.Invoker.ID != tt.user || c.Channel != ch {
				t.Errorf("command = %+v, want text %q admin %v from %s in %v", c, tt.text, tt.isAdmin, tt.user, ch)
			}
			if c.Invoker.Username == "" || c.Time.IsZero() {
				t.Errorf("invoker or time missing: %+v", c)
			}
		})
	}
	t.Run("a user made admin by role", func(t *testing.T) {
		srv.SetAdmin("730000000000000009", true)
		srv.InjectCommandAs(ch, "730000000000000009", "follow meta")
		adaptertest.WaitPosted(t, srv, ch, "echo: follow meta")
		if c := rec.Received()[len(rec.Received())-1]; !c.IsAdmin {
			t.Errorf("a Moderators member arrived with IsAdmin false")
		}
	})
	t.Run("a direct message is never admin", func(t *testing.T) {
		dm := adapters.ChannelRef{Platform: "discord", ChatID: "750000000000000001"}
		srv.InjectCommandAs(dm, discordtest.AdminID, "status")
		adaptertest.WaitPosted(t, srv, dm, "echo: status")
		c := rec.Received()[len(rec.Received())-1]
		if c.IsAdmin || c.Invoker.ID != discordtest.AdminID || c.Channel != dm {
			t.Errorf("DM command = %+v, want not admin, from the admin, in %v", c, dm)
		}
	})
}

func TestReplyIsEphemeralAnnounceIsPublic(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	rec := &adaptertest.Recorder{Answer: func(c adapters.Command) adapters.Reply {
		return adapters.Reply{
			Text:     adapters.Text{{Text: "Rule added: "}, {Kind: adapters.Bold, Text: "watch support"}, {Text: " @everyone"}},
			Announce: adapters.Text{{Text: "This channel now watches support (by @alice)"}},
		}
	}}
	adaptertest.Start(t, a, rec)
	srv.InjectCommand(general(), "watch support", true)
	adaptertest.WaitPosted(t, srv, general(), "This channel now watches support")
	var reply, announce *discordtest.Message
	for _, m := range srv.Messages() {
		switch {
		case strings.Contains(m.Content, "Rule added"):
			reply = &m
		case strings.Contains(m.Content, "now watches"):
			announce = &m
		}
	}
	if reply == nil || announce == nil {
		t.Fatalf("reply %v, announce %v", reply, announce)
	}
	if !reply.Ephemeral || reply.Interaction == "" {
		t.Errorf("the reply is not the interaction's ephemeral response: %+v", reply)
	}
	if reply.Content != "Rule added: **watch support** @\u2060everyone" {
		t.Errorf("reply content = %q", reply.Content)
	}
	if announce.Ephemeral || announce.Interaction != "" {
		t.Errorf("the announcement is not a public channel message: %+v", announce)
	}
	assertMentionsNobody(t, *reply)
	assertMentionsNobody(t, *announce)
}

// Commands go through the shared dispatcher (issue 14): each interaction is acknowledged at once
// (Discord voids one left unanswered for 3 s), a slow command holds up the later commands of its
// own channel only, and those run in the order they came.
func TestSlowCommandHoldsUpOnlyItsChannel(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	release := make(chan struct{})
	var (
		mu     sync.Mutex
		events []string
	)
	note := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	index := func(e string) int { mu.Lock(); defer mu.Unlock(); return slices.Index(events, e) }
	rec := &adaptertest.Recorder{Answer: func(c adapters.Command) adapters.Reply {
		note("start " + c.Text)
		if c.Text == "slow" {
			<-release
		}
		note("end " + c.Text)
		return adapters.Reply{Text: adapters.Text{{Text: "echo: " + c.Text}}}
	}}
	adaptertest.Start(t, a, rec)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	random := adapters.ChannelRef{Platform: "discord", ChatID: discordtest.OtherChannelID}
	replied := func(id, text string) func() bool {
		return func() bool { r, ok := srv.Reply(id); return ok && r == text }
	}

	slow := srv.InjectCommandAs(general(), discordtest.AdminID, "slow")
	adaptertest.WaitFor(t, "the slow command to start", func() bool { return index("start slow") >= 0 })
	next := srv.InjectCommandAs(general(), discordtest.AdminID, "after slow")
	other := srv.InjectCommandAs(random, discordtest.AdminID, "elsewhere")
	adaptertest.WaitFor(t, "the other channel's answer while the slow command runs", replied(other, "echo: elsewhere"))
	adaptertest.WaitFor(t, "the acknowledgement of the command queued behind the slow one", func() bool { return srv.Acknowledged(next) })
	if !srv.Acknowledged(slow) {
		t.Error("the slow command was not acknowledged while it ran")
	}
	if i := index("start after slow"); i >= 0 {
		t.Fatalf("the second command of #general started before the first ended: %q", events)
	}

	close(release)
	adaptertest.WaitFor(t, "the queued command's answer", replied(next, "echo: after slow"))
	if end, start := index("end slow"), index("start after slow"); end < 0 || start < end {
		t.Errorf("events %q: want #general's commands one after the other, in order", events)
	}
	if r, _ := srv.Reply(slow); r != "echo: slow" {
		t.Errorf("the slow command's answer = %q", r)
	}
}

func TestRegistersCommands(t *testing.T) {
	for _, guilds := range [][]string{nil, {discordtest.GuildID}} {
		t.Run(fmt.Sprintf("guilds %v", guilds), func(t *testing.T) {
			srv := newFake(t)
			a := newAdapter(t, srv, discord.Config{Guilds: guilds})
			adaptertest.Start(t, a, &adaptertest.Recorder{})
			scope := ""
			if guilds != nil {
				scope = discordtest.GuildID
			}
			adaptertest.WaitFor(t, "command registration", func() bool { return srv.Commands(scope) != nil })
			var cmds []struct {
				Name    string `json:"name"`
				Type    int    `json:"type"`
				Options []struct {
					Name    string `json:"name"`
					Options []struct {
						Name         string `json:"name"`
						Type         int    `json:"type"`
						Autocomplete bool   `json:"autocomplete"`
					} `json:"options"`
				} `json:"options"`
			}
			if err := json.Unmarshal(srv.Commands(scope), &cmds); err != nil || len(cmds) != 2 || cmds[0].Name != "discourse" || cmds[0].Type != 1 {
				t.Fatalf("registered %s (%v), want /discourse and a message command", srv.Commands(scope), err)
			}
			if menu := cmds[1]; menu.Type != 3 || menu.Name != discord.MenuCommandName || len(menu.Options) != 0 {
				t.Errorf("second command = %+v, want the message command %q (type 3, no options)", menu, discord.MenuCommandName)
			}
			var subs []string
			for _, s := range cmds[0].Options {
				subs = append(subs, s.Name)
				if s.Name == "watch" && (len(s.Options) != 2 || !s.Options[0].Autocomplete || s.Options[0].Name != "category") {
					t.Errorf("watch options = %+v, want category (autocomplete) and tags", s.Options)
				}
			}
			for _, want := range []string{"help", "status", "watch", "follow", "mute", "thread", "tag_added", "remove", "post", "test", "run"} {
				if !slices.Contains(subs, want) {
					t.Errorf("subcommand %q missing from %v", want, subs)
				}
			}
			if other := map[string]string{"": discordtest.GuildID, discordtest.GuildID: ""}[scope]; srv.Commands(other) != nil {
				t.Errorf("also registered in scope %q", other)
			}
		})
	}
}

func TestAutocomplete(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{Categories: func(context.Context) []string {
		return []string{"announcements", "support", "support/installs", "dev-support"}
	}})
	adaptertest.Start(t, a, &adaptertest.Recorder{})
	id := srv.InjectAutocomplete(general(), discordtest.MemberID, "watch", "sup")
	var got []string
	adaptertest.WaitFor(t, "autocomplete answer", func() bool {
		var ok bool
		got, ok = srv.Choices(id)
		return ok
	})
	if want := []string{"support", "support/installs", "dev-support"}; !slices.Equal(got, want) {
		t.Errorf("choices = %q, want %q", got, want)
	}
}

func TestResumeLosesNoInteraction(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*discordtest.Server)
	}{
		{"dropped socket", (*discordtest.Server).DropConnections},
		{"op 7 reconnect", (*discordtest.Server).RequestReconnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t)
			a := newAdapter(t, srv, discord.Config{})
			rec := &adaptertest.Recorder{}
			adaptertest.Start(t, a, rec)
			srv.InjectCommand(general(), "status", true)
			adaptertest.WaitPosted(t, srv, general(), "echo: status")
			tt.fault(srv)
			// Dispatched while the bot is away: the RESUME must replay it.
			srv.InjectCommand(general(), "help", false)
			adaptertest.WaitPosted(t, srv, general(), "echo: help")
			intents, resumes := srv.Identifies()
			if len(intents) != 1 || resumes < 1 {
				t.Errorf("identifies %d, resumes %d: want the session resumed, not a new one", len(intents), resumes)
			}
			if len(rec.Received()) != 2 {
				t.Errorf("handled %d commands, want 2", len(rec.Received()))
			}
		})
	}
}

func TestThreadRule(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	ctx := t.Context()
	root, first, _ := startThread(t, a, "Installer stops")
	refs := []adapters.MessageRef{first}
	for i := 3; i <= 4; i++ {
		ref, err := a.Notify(ctx, general(), threadReply("Installer stops", i, fmt.Sprintf("reply %d", i)), root)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		refs = append(refs, ref)
	}
	th, ok := srv.Thread(string(root))
	if !ok || th.ParentID != discordtest.ChannelID || th.Name != "Installer stops" {
		t.Fatalf("thread %+v (%v): want one named after the topic, started from message %s in #general", th, ok, root)
	}
	for _, p := range srv.Posted(general()) {
		if strings.Contains(p.Text, "reply") && p.Thread != string(root) {
			t.Errorf("%q landed in thread %q, want %q", p.Text, p.Thread, root)
		}
	}
	if refs[0] == refs[1] || refs[1] == refs[2] || refs[0] == root {
		t.Errorf("refs %v for root %s", refs, root)
	}
	t.Run("root message deleted", func(t *testing.T) {
		n := sample("Gone")
		n.Excerpt = "orphan reply"
		if _, err := a.Notify(ctx, general(), n, "719999999999999999"); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		p := adaptertest.WaitPosted(t, srv, general(), "orphan reply")
		if p.Thread != "" {
			t.Errorf("posted in thread %q, want the channel", p.Thread)
		}
	})
}

// A reply of a "thread" rule lives in the thread's channel, which the rule's channel ref does not
// name: its ref does, so that an edit or a deletion on the forum reaches it (issue 20). Discord
// answers a message id in the wrong channel with 404 Unknown Message, and so does the fake.
func TestEditAndDeleteAThreadReply(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	ctx := t.Context()
	root, ref, _ := startThread(t, a, "Installer stops")
	reply := threadReply("Installer stops", 2, "a reply")
	inThread := func(text string) adaptertest.Posted {
		t.Helper()
		p := adaptertest.WaitPosted(t, srv, general(), text)
		if p.Thread != string(root) {
			t.Fatalf("%q is in thread %q, want %s", text, p.Thread, root)
		}
		return p
	}
	posted := inThread("a reply")

	reply.Excerpt = "edited words"
	if err := a.Edit(ctx, general(), ref, reply); err != nil {
		t.Fatalf("Edit of a thread reply: %v", err)
	}
	if p := inThread("edited words"); p.ID != posted.ID || p.Edits != 1 {
		t.Errorf("after the edit: message %s with %d edits, want %s edited once", p.ID, p.Edits, posted.ID)
	}

	// A ref stored before refs named their thread is the bare message id: Discord looks for it in
	// the channel and does not find it there (this adapter is not on the gateway, so it knows no
	// threads to look in; TestThreadReplyByItsOldRef).
	if err := a.Edit(ctx, general(), adapters.MessageRef(posted.ID), reply); !adapters.IsPermanent(err) {
		t.Errorf("Edit with the bare id of a message in a thread = %v, want Unknown Message (permanent)", err)
	}

	if err := a.Delete(ctx, general(), ref); err != nil {
		t.Fatalf("Delete of a thread reply: %v", err)
	}
	for _, p := range srv.Posted(general()) {
		if p.ID == posted.ID && !p.Deleted {
			t.Errorf("the reply %s is still there after Delete", p.ID)
		}
		if p.ID == string(root) && p.Deleted {
			t.Errorf("Delete of the reply deleted the thread's root %s", root)
		}
	}
	if err := a.Edit(ctx, general(), ref, reply); !adapters.IsPermanent(err) {
		t.Errorf("Edit of the deleted reply = %v, want a permanent error", err)
	}

	// A ref from another thread's reply used as the thread of the next reply: the same thread.
	if _, err := a.Notify(ctx, general(), threadReply("Installer stops", 3, "third post"), ref); err != nil {
		t.Fatalf("Notify with a reply's ref as the thread: %v", err)
	}
	inThread("third post")

	for _, bad := range []adapters.MessageRef{"", "x:1", "1:", "not-a-snowflake"} {
		if err := a.Edit(ctx, general(), bad, reply); !adapters.IsPermanent(err) {
			t.Errorf("Edit(%q) = %v, want a permanent error", bad, err)
		}
	}
}

// TestThreadReplyByItsOldRef: a thread reply notified before refs named their thread has its bare
// message id in the outbox. Its channel does not hold it, so the adapter looks in the threads it
// started there before the message (the gateway told it of them), and the edit and the deletion
// reach it, instead of a deletion that reports the message gone while it stays.
func TestThreadReplyByItsOldRef(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	adaptertest.Start(t, a, &adaptertest.Recorder{})
	adaptertest.WaitFor(t, "the gateway session", srv.Connected)
	startThread(t, a, "An older topic")
	_, ref, _ := startThread(t, a, "Installer stops")
	startThread(t, a, "A newer topic")
	_, id, _ := strings.Cut(string(ref), ":")
	old := adapters.MessageRef(id)

	edited := threadReply("Installer stops", 2, "edited words")
	// The bot hears of the threads it started on the gateway (THREAD_CREATE), a moment later.
	adaptertest.WaitFor(t, "the edit by the old ref", func() bool { return a.Edit(t.Context(), general(), old, edited) == nil })
	p := adaptertest.WaitPosted(t, srv, general(), "edited words")
	if p.ID != id || p.Edits != 1 {
		t.Errorf("edited message %s (%d edits), want %s edited once", p.ID, p.Edits, id)
	}
	if err := a.Delete(t.Context(), general(), old); err != nil {
		t.Fatalf("Delete by the old ref: %v", err)
	}
	for _, p := range srv.Posted(general()) {
		if p.ID == id && !p.Deleted {
			t.Error("Delete by the old ref left the reply in its thread")
		}
	}
}

func TestNotifyErrors(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	tests := []struct {
		name      string
		ch        adapters.ChannelRef
		fail      func()
		permanent bool
	}{
		{"bot may not send there", adapters.ChannelRef{Platform: "discord", ChatID: discordtest.LockedChannelID}, nil, true},
		{"unknown channel", adapters.ChannelRef{Platform: "discord", ChatID: "719999999999999998"}, nil, true},
		{"server error is retried", general(), func() { srv.FailNext(500, 0, "500: Internal Server Error") }, false},
		{"not a discord channel", adapters.ChannelRef{Platform: "slack", ChatID: "C1"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fail != nil {
				tt.fail()
			}
			_, err := a.Notify(t.Context(), tt.ch, sample("x"), "")
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if adapters.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v for %v, want %v", adapters.IsPermanent(err), err, tt.permanent)
			}
			if _, ok := adapters.RetryAfterOf(err); ok {
				t.Errorf("%v classified as rate limit", err)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{Transcripts: true})
	ch := general()
	var ids []string
	for i := range 230 {
		ids = append(ids, srv.AddUserMessage(ch.ChatID, discordtest.MemberID, fmt.Sprintf("message %d", i)))
	}
	mention := srv.AddUserMessage(ch.ChatID, discordtest.AdminID, "thanks <@"+discordtest.MemberID+">", "log.txt")
	ids = append(ids, mention)

	t.Run("newest messages across pages", func(t *testing.T) {
		h, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Limit: 205})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Messages) != 205 || string(h.Messages[0].ID) != ids[len(ids)-205] || string(h.Messages[204].ID) != mention {
			t.Fatalf("got %d messages, first %s last %s", len(h.Messages), h.Messages[0].ID, h.Messages[len(h.Messages)-1].ID)
		}
		last := h.Messages[204]
		if last.Text != "thanks @bob" || last.User.Username != "alice" || last.User.AvatarURL == "" {
			t.Errorf("last message = %+v, want the mention resolved and the author named", last)
		}
		if len(last.Files) != 1 || last.Files[0].Name != "log.txt" || !strings.HasPrefix(last.Files[0].URL, "https://") {
			t.Errorf("files = %+v", last.Files)
		}
		if h.ChannelName != "#general" || last.Link != "https://discord.com/channels/"+discordtest.GuildID+"/"+ch.ChatID+"/"+mention {
			t.Errorf("channel %q, link %q", h.ChannelName, last.Link)
		}
	})
	t.Run("from a message link", func(t *testing.T) {
		link := "https://discord.com/channels/" + discordtest.GuildID + "/" + ch.ChatID + "/" + ids[100]
		h, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, FromLink: link})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Messages) != len(ids)-100 || string(h.Messages[0].ID) != ids[100] || h.Messages[0].Text != "message 100" {
			t.Errorf("got %d messages from %s, want %d from %s", len(h.Messages), h.Messages[0].ID, len(ids)-100, ids[100])
		}
	})
	t.Run("links that are not ours", func(t *testing.T) {
		for _, link := range []string{
			"https://example.slack.com/archives/C1/p1",
			"https://discord.com/channels/" + discordtest.GuildID + "/" + discordtest.OtherChannelID + "/" + ids[0],
		} {
			if _, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, FromLink: link}); !errors.Is(err, adapters.ErrBadLink) {
				t.Errorf("History(%s) error = %v, want ErrBadLink", link, err)
			}
		}
	})
	t.Run("a thread", func(t *testing.T) {
		root, err := a.Notify(t.Context(), ch, sample("Thread topic"), "")
		if err != nil {
			t.Fatal(err)
		}
		n := sample("Thread topic")
		n.Excerpt = "first reply"
		if _, err := a.Notify(t.Context(), ch, n, root); err != nil {
			t.Fatal(err)
		}
		srv.AddUserMessage(string(root), discordtest.MemberID, "a human answer")
		h, err := a.History(t.Context(), adapters.HistoryQuery{Channel: ch, Thread: root})
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, m := range h.Messages {
			texts = append(texts, m.Text)
			if m.Thread != root {
				t.Errorf("message %s has thread %q", m.ID, m.Thread)
			}
		}
		if len(texts) != 3 || !strings.Contains(texts[0], "Thread topic") || !strings.Contains(texts[1], "first reply") || texts[2] != "a human answer" {
			t.Errorf("thread texts = %q", texts)
		}
	})
}

func TestCheck(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{Guilds: []string{discordtest.GuildID}, Transcripts: true})
	report, err := a.Check(t.Context(), []adapters.ChannelRef{general()})
	adaptertest.WantReport(t, report, err, false, "ok as @discourse", "Forum Friends", "message content intent: enabled", "#general: can view, send")

	srv.SetMessageContentIntent(false)
	locked := adapters.ChannelRef{Platform: "discord", ChatID: discordtest.LockedChannelID}
	report, err = a.Check(t.Context(), []adapters.ChannelRef{general(), locked})
	adaptertest.WantReport(t, report, err, true, "#announcements: missing Send Messages, Send Messages in Threads", "Message Content Intent")

	bad, err := discord.New(discord.Config{Token: "wrong", APIURL: srv.URL()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err = bad.Check(t.Context(), nil)
	adaptertest.WantReport(t, report, err, true, "token was rejected")
}

func TestRunStopsOnUnrecoverable(t *testing.T) {
	tests := []struct {
		name  string
		token string
		setup func(*discordtest.Server)
		cfg   discord.Config
		want  string
	}{
		{"bad token", "wrong", nil, discord.Config{}, "token was rejected"},
		{"message content intent off", discordtest.Token, func(s *discordtest.Server) { s.SetMessageContentIntent(false) }, discord.Config{Transcripts: true}, "Message Content Intent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t)
			if tt.setup != nil {
				tt.setup(srv)
			}
			cfg := tt.cfg
			cfg.Token, cfg.APIURL = tt.token, srv.URL()
			a, err := discord.New(cfg, testLogger())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			err = a.Run(ctx, &adaptertest.Recorder{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || ctx.Err() != nil {
				t.Errorf("Run = %v, want an error about %q before the deadline", err, tt.want)
			}
		})
	}
}

func TestGatewayURLOverride(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{GatewayURL: srv.GatewayURL(), Transcripts: true})
	adaptertest.Start(t, a, &adaptertest.Recorder{})
	srv.InjectCommand(general(), "status", true)
	adaptertest.WaitPosted(t, srv, general(), "echo: status")
	intents, _ := srv.Identifies()
	if len(intents) != 1 || intents[0] != 1|1<<9|1<<15 {
		t.Errorf("identify intents = %v, want guilds | guild messages | message content", intents)
	}
}

func TestCommandInThread(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	rec := &adaptertest.Recorder{}
	adaptertest.Start(t, a, rec)
	// The bot learns about the thread from THREAD_CREATE on the gateway.
	root, _, in := startThread(t, a, "Topic")
	srv.InjectCommand(in, "post", true)
	p := adaptertest.WaitPosted(t, srv, general(), "echo: post")
	c := rec.Received()[0]
	if c.Channel != general() || c.Thread != root || p.Thread != string(root) {
		t.Errorf("command in a thread: channel %v thread %q, reply in thread %q; want #general, %s", c.Channel, c.Thread, p.Thread, root)
	}
}

// A rule may name a Discord thread ("discord:<channel>/<thread>"). Discord has no threads inside
// threads, so the replies of a "thread" rule there go into that thread instead of failing.
func TestThreadRuleInAThreadChannel(t *testing.T) {
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	ctx := t.Context()
	// Make a thread to name in the rule: the replies of a topic in #general.
	root, _, inThread := startThread(t, a, "Parent topic")

	first, err := a.Notify(ctx, inThread, sample("Topic in the thread"), "")
	if err != nil {
		t.Fatalf("first post: %v", err)
	}
	if _, err := a.Notify(ctx, inThread, threadReply("Topic in the thread", 2, "reply in a thread channel"), first); err != nil {
		t.Fatalf("reply: %v (permanent: %v)", err, adapters.IsPermanent(err))
	}
	p := adaptertest.WaitPosted(t, srv, general(), "reply in a thread channel")
	if p.Thread != string(root) {
		t.Errorf("reply posted in thread %q, want the rule's thread %s", p.Thread, root)
	}
}
