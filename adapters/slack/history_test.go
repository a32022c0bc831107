package slack_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

func TestHistory(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	ch := f.Channel()
	var ts []string
	for i := range 250 { // more than one page of 200
		ts = append(ts, f.AddMessage(ch, slacktest.Member, fmt.Sprintf("message %d", i), ""))
	}
	root := ts[100]
	r1 := f.AddMessage(ch, slacktest.AdminUser, "reply <@UMEMBER> see <https://x.org|this>", root)
	r2 := f.AddMessage(ch, slacktest.Member, "thanks", root)
	f.AddSystemMessage(ch, slacktest.AdminUser, "channel_join", "<@UADMIN> has joined the channel")
	f.AddFileMessage(ch, slacktest.Member, "log attached", "install.log", "https://fake.slack.com/files/F1")

	tests := []struct {
		name      string
		q         adapters.HistoryQuery
		wantFirst string
		wantLast  string
		wantN     int
	}{
		{"newest few", adapters.HistoryQuery{Limit: 3}, "message 249", "log attached", 3},
		{"newest over two pages", adapters.HistoryQuery{Limit: 240}, "message 12", "log attached", 240},
		{"from a link", adapters.HistoryQuery{FromLink: link(ts[245], "")}, "message 245", "log attached", 7},
		{"from a link in a thread", adapters.HistoryQuery{FromLink: link(r1, root)}, "reply @max", "thanks", 2},
		{"a thread", adapters.HistoryQuery{Thread: adapters.MessageRef(root)}, "message 100", "thanks", 3},
		{"a thread from its root's link", adapters.HistoryQuery{ThreadLink: link(root, "")}, "message 100", "thanks", 3},
		{"a thread from a reply's link", adapters.HistoryQuery{ThreadLink: link(r2, root)}, "message 100", "thanks", 3},
		{"a thread from a reply's link without thread_ts", adapters.HistoryQuery{ThreadLink: link(r2, "")}, "message 100", "thanks", 3},
		{"a thread from a message without replies", adapters.HistoryQuery{ThreadLink: link(ts[5], "")}, "message 5", "message 5", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Channel = ch
			h, err := a.History(ctx(t), tt.q)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			if len(h.Messages) != tt.wantN {
				t.Fatalf("got %d messages, want %d", len(h.Messages), tt.wantN)
			}
			first, last := h.Messages[0], h.Messages[len(h.Messages)-1]
			if !strings.HasPrefix(first.Text, tt.wantFirst) || !strings.HasPrefix(last.Text, tt.wantLast) {
				t.Errorf("first %q last %q, want %q … %q (oldest first)", first.Text, last.Text, tt.wantFirst, tt.wantLast)
			}
			if h.ChannelName != "#general" || h.ChannelLink != slacktest.TeamURL+"archives/"+ch.ChatID {
				t.Errorf("channel name %q link %q", h.ChannelName, h.ChannelLink)
			}
			for i := 1; i < len(h.Messages); i++ {
				if !h.Messages[i].Time.After(h.Messages[i-1].Time) {
					t.Fatalf("messages out of order at %d", i)
				}
			}
		})
	}

	t.Run("users, threads, files and system messages", func(t *testing.T) {
		h, err := a.History(ctx(t), adapters.HistoryQuery{Channel: ch, Thread: adapters.MessageRef(root)})
		if err != nil {
			t.Fatal(err)
		}
		reply := h.Messages[1]
		if reply.User.Username != "ada" || reply.User.AvatarURL == "" || reply.User.DisplayName != "Ada Admin" {
			t.Errorf("reply user = %+v", reply.User)
		}
		if reply.Thread != adapters.MessageRef(root) || reply.ID != adapters.MessageRef(r1) {
			t.Errorf("reply refs id=%q thread=%q", reply.ID, reply.Thread)
		}
		if reply.Text != "reply @max see [this](https://x.org)" {
			t.Errorf("text %q: Slack markup must arrive as CommonMark, the mention by name", reply.Text)
		}
		if want := link(r1, root); reply.Link != want {
			t.Errorf("link %q, want %q", reply.Link, want)
		}
		_ = r2
		h, err = a.History(ctx(t), adapters.HistoryQuery{Channel: ch, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		join, file := h.Messages[0], h.Messages[1]
		if !join.IsSystem || file.IsSystem {
			t.Errorf("system flags: join %v, file %v", join.IsSystem, file.IsSystem)
		}
		if len(file.Files) != 1 || file.Files[0].Name != "install.log" || file.Files[0].URL == "" {
			t.Errorf("files = %+v", file.Files)
		}
	})

	t.Run("users.info is cached", func(t *testing.T) {
		before := f.Calls("users.info")
		if _, err := a.History(ctx(t), adapters.HistoryQuery{Channel: ch, Limit: 50}); err != nil {
			t.Fatal(err)
		}
		if n := f.Calls("users.info") - before; n != 0 {
			t.Errorf("users.info called %d more times for known users", n)
		}
	})
}

func link(ts, threadTS string) string {
	l := slacktest.TeamURL + "archives/" + slacktest.GeneralID + "/p" + strings.Replace(ts, ".", "", 1)
	if threadTS != "" {
		l += "?thread_ts=" + threadTS + "&cid=" + slacktest.GeneralID
	}
	return l
}

func TestHistoryErrors(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	out := f.AddChannel("C0OUT", "outside", false, false)
	tests := []struct {
		name    string
		q       adapters.HistoryQuery
		badLink bool
		text    string
	}{
		{"link of another platform", adapters.HistoryQuery{Channel: f.Channel(), FromLink: "https://discord.com/channels/1/2/3"}, true, "slack.com"},
		{"link to another channel", adapters.HistoryQuery{Channel: f.Channel(),
			FromLink: "https://fake.slack.com/archives/C0OTHER/p1700000000000100"}, true, "another channel"},
		{"bot not in the channel", adapters.HistoryQuery{Channel: out, Limit: 5}, false, "invite me with /invite @discourse"},
		{"link to no message", adapters.HistoryQuery{Channel: f.Channel(),
			FromLink: "https://fake.slack.com/archives/" + slacktest.GeneralID + "/p1600000000000100"}, true, "no such message"},
		{"thread link to another channel", adapters.HistoryQuery{Channel: f.Channel(),
			ThreadLink: "https://fake.slack.com/archives/C0OTHER/p1700000000000100"}, true, "another channel"},
		{"thread link to no message", adapters.HistoryQuery{Channel: f.Channel(),
			ThreadLink: "https://fake.slack.com/archives/" + slacktest.GeneralID + "/p1600000000000100"}, true, "no such message"},
		{"thread link of another platform", adapters.HistoryQuery{Channel: f.Channel(), ThreadLink: "https://t.me/c/1/2"}, true, "slack.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.History(ctx(t), tt.q)
			if err == nil {
				t.Fatal("History succeeded")
			}
			if errors.Is(err, adapters.ErrBadLink) != tt.badLink {
				t.Errorf("ErrBadLink = %v, want %v: %v", !tt.badLink, tt.badLink, err)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q lacks %q", err, tt.text)
			}
		})
	}
}
