package slack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
)

// waitPost waits until the fake holds a post in ch that satisfies ok, and returns it.
func waitPost(t *testing.T, f *slacktest.Server, ch adapters.ChannelRef, what string, ok func(slacktest.Post) bool) slacktest.Post {
	t.Helper()
	return adaptertest.WaitFirst(t, "a post "+what+" in "+ch.String(), func() []slacktest.Post { return f.Posts(ch) }, ok)
}

func containing(s string) func(slacktest.Post) bool {
	return func(p slacktest.Post) bool { return strings.Contains(p.Flat, s) }
}

// waitCommands waits until the recorder has n commands.
func waitCommands(t *testing.T, rec *adaptertest.Recorder, n int) []adapters.Command {
	t.Helper()
	if !(poll.Wait{Limit: 10 * time.Second, Every: 10 * time.Millisecond}).Within(func() bool { return len(rec.Received()) >= n }) {
		t.Fatalf("handler got %d commands, want %d", len(rec.Received()), n)
	}
	return rec.Received()
}

func TestAdminFlag(t *testing.T) {
	tests := []struct {
		name    string
		user    string
		owner   bool
		mention bool
		want    bool
	}{
		{"workspace admin by slash command", slacktest.AdminUser, false, false, true},
		{"plain member by slash command", slacktest.Member, false, false, false},
		{"workspace owner by slash command", "UOWNER", true, false, true},
		{"workspace admin by mention", slacktest.AdminUser, false, true, true},
		{"plain member by mention", slacktest.Member, false, true, false},
		// Slack Connect: an admin of the other organisation's workspace in a shared channel.
		{"other workspace's admin by slash command", "UGUEST", false, false, false},
		{"other workspace's admin by mention", "UGUEST", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rec, ch := runAdapter(t, nil)
			f.AddUser(slacktest.User{ID: "UOWNER", Name: "olga", IsOwner: true})
			f.AddUser(slacktest.User{ID: "UGUEST", Name: "gus", IsAdmin: true, IsOwner: true, Team: "T0OTHER"})
			if tt.mention {
				f.InjectMention(ch, tt.user, "status", "")
			} else {
				f.InjectSlashCommand(ch, tt.user, "status")
			}
			c := waitCommands(t, rec, 1)[0]
			if c.IsAdmin != tt.want {
				t.Errorf("IsAdmin = %v, want %v", c.IsAdmin, tt.want)
			}
			if c.Invoker.ID != tt.user || c.Invoker.Username == "" {
				t.Errorf("invoker = %+v, want id %s with a name", c.Invoker, tt.user)
			}
			if c.Text != "status" {
				t.Errorf("text = %q, want %q", c.Text, "status")
			}
		})
	}
}

func TestAdminVerdictIsCached(t *testing.T) {
	f, rec, ch := runAdapter(t, nil)
	for i := range 3 {
		f.InjectCommand(ch, "status", true)
		waitCommands(t, rec, i+1)
	}
	if n := f.Calls("users.info"); n != 1 {
		t.Errorf("users.info called %d times for one user, want 1 (cached)", n)
	}
}

func TestSlashCommandReplyIsEphemeralAndAnnounced(t *testing.T) {
	f, rec, ch := runAdapter(t, func(c adapters.Command) adapters.Reply {
		return adapters.Reply{
			Text:     adapters.Text{{Text: "Rule added: "}, {Kind: adapters.Bold, Text: c.Text}},
			Announce: adapters.Text{{Text: "@ada set this channel to " + c.Text}},
		}
	})
	f.InjectCommand(ch, "watch support", true)

	reply := waitPost(t, f, ch, "with the reply", containing("Rule added: *watch support*"))
	if !reply.Ephemeral || reply.Via != "response_url" {
		t.Errorf("reply = %+v, want an ephemeral response_url message", reply)
	}
	ann := waitPost(t, f, ch, "with the announcement", containing("set this channel to watch support"))
	if ann.Ephemeral || ann.Via != "chat.postMessage" || ann.TS == "" {
		t.Errorf("announcement = %+v, want a public chat.postMessage", ann)
	}
	if ann.UnfurlLinks != "false" {
		t.Errorf("announcement unfurls links: %+v", ann)
	}
	c := waitCommands(t, rec, 1)[0]
	if c.Message != "" {
		t.Errorf("slash command has message ref %q, want none", c.Message)
	}
}

func TestCommandInChannelWithoutTheBot(t *testing.T) {
	f := newFake(t)
	ch := f.AddChannel("C0RANDOM", "random", false, false)
	a := newAdapter(t, f)
	rec := &adaptertest.Recorder{Answer: func(c adapters.Command) adapters.Reply {
		return adapters.Reply{Text: adapters.Text{{Text: "Rule added."}},
			Announce: adapters.Text{{Text: "watching support"}}}
	}}
	adaptertest.StartSettled(t, a, f, rec)
	f.InjectCommand(ch, "watch support", true)
	p := waitPost(t, f, ch, "with the reply", containing("Rule added."))
	if want := "invite me with /invite @" + slacktest.BotName; !strings.Contains(p.Flat, want) {
		t.Errorf("reply %q lacks %q", p.Flat, want)
	}
	for _, q := range f.Posts(ch) {
		if !q.Ephemeral {
			t.Errorf("something was posted publicly in a channel without the bot: %+v", q)
		}
	}
}

func TestMention(t *testing.T) {
	tests := []struct {
		name     string
		inThread bool
	}{
		{"in the channel", false},
		{"in a thread", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rec, ch := runAdapter(t, nil)
			thread := ""
			if tt.inThread {
				thread = f.AddMessage(ch, slacktest.Member, "a question", "")
			}
			ts := f.InjectMention(ch, slacktest.Member, "watch support tag:bug", thread)
			p := waitPost(t, f, ch, "with the reply", containing("echo: watch support tag:bug"))
			if p.Ephemeral || p.ThreadTS != thread {
				t.Errorf("reply = %+v, want public in thread %q", p, thread)
			}
			c := waitCommands(t, rec, 1)[0]
			if c.Message != adapters.MessageRef(ts) || c.Thread != adapters.MessageRef(thread) {
				t.Errorf("command refs message=%q thread=%q, want %q and %q", c.Message, c.Thread, ts, thread)
			}
			if c.Time.IsZero() {
				t.Error("command has no time")
			}
		})
	}
}

func TestMentionFromBotIsIgnored(t *testing.T) {
	f, rec, ch := runAdapter(t, nil)
	f.InjectMention(ch, slacktest.BotUser, "status", "") // the bot quoting itself
	f.InjectMention(ch, slacktest.Member, "help", "")
	waitPost(t, f, ch, "answering the member", containing("echo: help"))
	if got := rec.Received(); len(got) != 1 || got[0].Text != "help" {
		t.Errorf("handler got %+v, want only the member's help", got)
	}
}

func TestReconnectOnRefreshRequest(t *testing.T) {
	f, _, ch := runAdapter(t, nil)
	f.InjectCommand(ch, "one", true)
	adaptertest.WaitPosted(t, f, ch, "echo: one")
	before := f.Connects()
	f.Disconnect("refresh_requested")
	f.InjectCommand(ch, "two", true)
	adaptertest.WaitPosted(t, f, ch, "echo: two")
	if f.Connects() <= before {
		t.Errorf("apps.connections.open called %d times after the refresh request, want more than %d", f.Connects(), before)
	}
}

func TestCommandWhileDisconnectedIsDeliveredAfterReconnect(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	rec := &adaptertest.Recorder{}
	ch := f.Channel()
	f.InjectCommand(ch, "early", false) // before the bot connects: Slack holds it
	adaptertest.StartSettled(t, a, f, rec)
	adaptertest.WaitPosted(t, f, ch, "echo: early")
	for range 3 {
		f.DropConnections()
	}
	f.InjectCommand(ch, "late", false)
	adaptertest.WaitPosted(t, f, ch, "echo: late")
}
