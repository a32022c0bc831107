package discord_test

import (
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
)

// previewBot answers "post" with a preview and two buttons, and "post range …" with either a
// new preview (moving an end) or, for "… confirm", the posted transcript and an announcement.
func previewBot() *adaptertest.Recorder {
	return &adaptertest.Recorder{Answer: func(c adapters.Command) adapters.Reply {
		switch {
		case c.Text == "post":
			return adapters.Reply{
				Text: adapters.Text{{Text: "Transcript of 3 messages"}},
				Actions: []adapters.Action{
					{Label: "Start later ▶", Command: "post range 1700000000000000002 1700000000000000009"},
					{Label: "Post to forum", Command: "post range 1700000000000000001 1700000000000000009 confirm", Primary: true},
				},
			}
		case strings.HasSuffix(c.Text, " confirm"):
			return adapters.Reply{
				Text:     adapters.Text{{Text: "Posted: "}, {Kind: adapters.Link, Text: "Chat transcript", URL: "https://forum.example.org/t/9"}},
				Announce: adapters.Text{{Text: "A transcript of this channel was posted"}},
			}
		default:
			return adapters.Reply{
				Text:    adapters.Text{{Text: "Transcript of 2 messages"}},
				Actions: []adapters.Action{{Label: "Post to forum", Command: c.Text + " confirm", Primary: true}},
			}
		}
	}}
}

// startPreviewBot runs an adapter against a fake Discord with previewBot as its handler.
func startPreviewBot(t *testing.T) (*discordtest.Server, *discord.Adapter, *adaptertest.Recorder) {
	t.Helper()
	srv := newFake(t)
	a := newAdapter(t, srv, discord.Config{})
	rec := previewBot()
	adaptertest.Start(t, a, rec)
	return srv, a, rec
}

// waitMessage waits until the fake holds a bot message satisfying cond, and returns it.
func waitMessage(t *testing.T, srv *discordtest.Server, what string, cond func(discordtest.Message) bool) discordtest.Message {
	t.Helper()
	return adaptertest.WaitFirst(t, what, srv.Messages, cond)
}

// messageByID returns the fake's current state of the bot's message id.
func messageByID(srv *discordtest.Server, id string) (discordtest.Message, bool) {
	for _, m := range srv.Messages() {
		if m.ID == id {
			return m, true
		}
	}
	return discordtest.Message{}, false
}

// showPreview has user run /discourse post in ch and returns the ephemeral preview it gets.
func showPreview(t *testing.T, srv *discordtest.Server, ch adapters.ChannelRef, user string) discordtest.Message {
	t.Helper()
	id := srv.InjectCommandAs(ch, user, "post")
	return waitMessage(t, srv, "the preview", func(m discordtest.Message) bool {
		return m.Interaction == id && strings.Contains(m.Content, "Transcript of 3 messages") && len(m.Buttons()) > 0
	})
}

// press has user press the button customID in ch and returns the command the press ran.
func press(t *testing.T, srv *discordtest.Server, rec *adaptertest.Recorder, ch adapters.ChannelRef, user, customID string) adapters.Command {
	t.Helper()
	n := len(rec.Received())
	srv.InjectComponent(ch, user, customID)
	adaptertest.WaitFor(t, "the press handled", func() bool { return len(rec.Received()) > n })
	return rec.Received()[n]
}

func TestReplyButtons(t *testing.T) {
	srv, _, rec := startPreviewBot(t)
	ch := general()

	preview := showPreview(t, srv, ch, discordtest.AdminID)
	t.Run("the ephemeral reply shows both buttons", func(t *testing.T) {
		if !preview.Ephemeral {
			t.Errorf("the preview is not ephemeral: %+v", preview)
		}
		bs := preview.Buttons()
		if len(preview.Components) != 1 || len(bs) != 2 {
			t.Fatalf("components = %+v, want one row of two buttons", preview.Components)
		}
		want := []struct {
			label string
			style int
		}{{"Start later ▶", discordtest.StyleSecondary}, {"Post to forum", discordtest.StylePrimary}}
		for i, b := range bs {
			if b.Label != want[i].label || b.Style != want[i].style || b.Type != discordtest.ComponentButton {
				t.Errorf("button %d = %+v, want %q style %d", i, b, want[i].label, want[i].style)
			}
			if !strings.HasPrefix(b.CustomID, "dcb") || len(b.CustomID) > 100 {
				t.Errorf("button %d custom_id %q: want ours (dcb…), at most 100 characters", i, b.CustomID)
			}
		}
		if c := rec.Received()[0]; !c.Interactive || c.Text != "post" {
			t.Errorf("command = %+v, want post, Interactive", c)
		}
	})

	t.Run("pressing a button runs its command and replaces the message", func(t *testing.T) {
		before := len(srv.Messages())
		srv.InjectComponent(ch, discordtest.AdminID, preview.Buttons()[1].CustomID)
		adaptertest.WaitFor(t, "the preview replaced", func() bool {
			m, _ := messageByID(srv, preview.ID)
			return strings.HasPrefix(m.Content, "Posted: ")
		})
		m, _ := messageByID(srv, preview.ID)
		if m.Content != "Posted: [Chat transcript](<https://forum.example.org/t/9>)" || len(m.Components) != 0 || !m.Ephemeral {
			t.Errorf("replaced message = %q with %+v (ephemeral %v), want the reply, no buttons, still ephemeral", m.Content, m.Components, m.Ephemeral)
		}
		cmds := rec.Received()
		c := cmds[len(cmds)-1]
		if c.Text != "post range 1700000000000000001 1700000000000000009 confirm" || !c.Interactive || !c.IsAdmin ||
			c.Invoker.ID != discordtest.AdminID || c.Channel != ch {
			t.Errorf("command = %+v, want the confirm line, Interactive, admin, from the admin in %v", c, ch)
		}
		announce := adaptertest.WaitPosted(t, srv, ch, "A transcript of this channel was posted")
		if got := len(srv.Messages()); got != before+1 {
			t.Errorf("the bot sent %d new messages, want only the announcement (%q)", got-before, announce.Text)
		}
	})

	t.Run("a member without Manage Channels pressing is not admin", func(t *testing.T) {
		p := showPreview(t, srv, ch, discordtest.MemberID)
		c := press(t, srv, rec, ch, discordtest.MemberID, p.Buttons()[0].CustomID)
		if c.Text != "post range 1700000000000000002 1700000000000000009" || c.IsAdmin || !c.Interactive || c.Invoker.ID != discordtest.MemberID {
			t.Errorf("command = %+v, want the range line, not admin, Interactive, from the member", c)
		}
		// The new preview replaces the old one, with buttons of its own that work in turn.
		m := waitMessage(t, srv, "the new preview", func(m discordtest.Message) bool {
			return m.ID == p.ID && m.Content == "Transcript of 2 messages"
		})
		bs := m.Buttons()
		if len(bs) != 1 || bs[0].Label != "Post to forum" || bs[0].CustomID == p.Buttons()[1].CustomID {
			t.Fatalf("new buttons = %+v, want one fresh Post to forum", bs)
		}
		if c := press(t, srv, rec, ch, discordtest.MemberID, bs[0].CustomID); c.Text != "post range 1700000000000000002 1700000000000000009 confirm" || c.IsAdmin {
			t.Errorf("second press = %+v", c)
		}
	})
}

func TestExpiredButtons(t *testing.T) {
	srv, a, rec := startPreviewBot(t)
	clk := adaptertest.NewClock(time.Now())
	discord.SetButtonClock(a, clk.Now)

	preview := showPreview(t, srv, general(), discordtest.AdminID)
	clk.Advance(61 * time.Minute)
	srv.InjectComponent(general(), discordtest.AdminID, preview.Buttons()[1].CustomID)
	m := waitMessage(t, srv, "the expiry text", func(m discordtest.Message) bool {
		return m.ID == preview.ID && strings.Contains(m.Content, "expired")
	})
	if m.Content != "These buttons have expired. Run the command again." || len(m.Components) != 0 {
		t.Errorf("message = %q with %+v, want the expiry text and no buttons", m.Content, m.Components)
	}
	if n := len(rec.Received()); n != 1 {
		t.Errorf("the handler ran %d commands, want only the first post", n)
	}
}

func TestButtonPressInThread(t *testing.T) {
	srv, a, rec := startPreviewBot(t)
	root, _, in := startThread(t, a, "Topic")
	preview := showPreview(t, srv, in, discordtest.AdminID)
	if c := press(t, srv, rec, in, discordtest.AdminID, preview.Buttons()[0].CustomID); c.Channel != general() || c.Thread != root || !c.IsAdmin {
		t.Errorf("press in a thread = %+v, want #general with thread %s, admin", c, root)
	}
}

// TestButtonsSurviveARestart: a press after the bot restarted (a new adapter, nothing in memory)
// still runs the command: a line that fits rides in the button's custom_id, a longer one (a
// "to <topic url>" transcript) in a slot of the bot's store (Deps.Values). Without the store the
// long line is gone, and the press says so.
func TestButtonsSurviveARestart(t *testing.T) {
	const (
		short = "post range 1700000000000000001 1700000000000000009 confirm"
		long  = short + " to https://forum.example.org/t/a-topic-slug-long-enough-to-overflow-a-custom-id/1234"
	)
	tests := []struct {
		name      string
		line      string
		sameStore bool // the restarted adapter is given the first one's store
		want      string
	}{
		{"a line in the button", short, false, "Posted: " + short},
		{"a long line in the store", long, true, "Posted: " + long},
		{"a long line, the store not kept", long, false, "These buttons have expired. Run the command again."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t)
			bot := func() *adaptertest.Recorder {
				return &adaptertest.Recorder{Answer: func(c adapters.Command) adapters.Reply {
					if c.Text == "post" {
						return adapters.Reply{Text: adapters.Text{{Text: "Transcript of 3 messages"}},
							Actions: []adapters.Action{{Label: "Post to forum", Command: tc.line, Primary: true}}}
					}
					return adapters.Reply{Text: adapters.Text{{Text: "Posted: " + c.Text}}}
				}}
			}
			store := &adapters.MemValues{}
			first := newAdapter(t, srv, discord.Config{Values: store})
			stop := adaptertest.Start(t, first, bot())
			preview := showPreview(t, srv, general(), discordtest.AdminID)
			stop()

			cfg := discord.Config{}
			if tc.sameStore {
				cfg.Values = store
			}
			rec := bot()
			adaptertest.Start(t, newAdapter(t, srv, cfg), rec)
			adaptertest.WaitFor(t, "the new session", srv.Connected)
			srv.InjectComponent(general(), discordtest.AdminID, preview.Buttons()[0].CustomID)
			m := waitMessage(t, srv, "the answer after the restart", func(m discordtest.Message) bool {
				return m.ID == preview.ID && m.Content != preview.Content
			})
			if m.Content != tc.want || len(m.Components) != 0 {
				t.Errorf("answer = %q with %+v, want %q without buttons", m.Content, m.Components, tc.want)
			}
		})
	}
}
