package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

func notification() adapters.Notification {
	return adapters.Notification{
		TopicID: 42, PostID: 4200, PostNumber: 1, IsFirstPost: true,
		TopicTitle:    "Installer stops at step 3",
		URL:           "https://forum.example.org/t/installer/42/1",
		AuthorName:    "Alice Smith",
		AuthorUser:    "alice",
		AvatarURL:     "https://forum.example.org/user_avatar/alice/90/1.png",
		CategoryPath:  "Support/Installs",
		CategoryColor: "0088CC",
		Tags:          []string{"bug", "linux"},
		Excerpt:       "The installer stops at step 3.",
	}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestNotificationMessage(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	ch := f.Channel()
	ref, err := a.Notify(ctx(t), ch, notification(), "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	posts := f.Posts(ch)
	if len(posts) != 1 {
		t.Fatalf("posted %d messages, want 1", len(posts))
	}
	p := posts[0]
	for _, want := range []string{
		"<https://forum.example.org/t/installer/42/1|Installer stops at step 3>", // title linked
		"Alice Smith (@alice)", "[Support/Installs]", "tags: bug, linux", "The installer stops at step 3.",
	} {
		if !strings.Contains(p.Flat, want) {
			t.Errorf("notification lacks %q:\n%s", want, p.Flat)
		}
	}
	if len(p.Images) != 1 || p.Images[0] != "https://forum.example.org/user_avatar/alice/90/1.png" {
		t.Errorf("images = %q, want the author's avatar", p.Images)
	}
	if p.Text == "" || !strings.Contains(p.Text, "Installer stops at step 3") {
		t.Errorf("fallback text = %q, want the title", p.Text)
	}
	if len(p.Colors) != 1 || p.Colors[0] != "#0088CC" {
		t.Errorf("colours = %q, want the category colour #0088CC", p.Colors)
	}
	if p.UnfurlLinks != "false" || p.UnfurlMedia != "false" {
		t.Errorf("unfurl_links=%q unfurl_media=%q, want both false", p.UnfurlLinks, p.UnfurlMedia)
	}
	if string(ref) != p.TS || p.ThreadTS != "" {
		t.Errorf("ref %q, post ts %q thread %q", ref, p.TS, p.ThreadTS)
	}

	reply := notification()
	reply.PostNumber, reply.IsFirstPost, reply.Excerpt = 2, false, "Same here."
	if _, err := a.Notify(ctx(t), ch, reply, ref); err != nil {
		t.Fatalf("Notify reply: %v", err)
	}
	last := f.Posts(ch)[1]
	if last.ThreadTS != string(ref) || !strings.Contains(last.Flat, "reply #2") {
		t.Errorf("reply = %+v, want thread_ts %s and 'reply #2'", last, ref)
	}
}

func TestNotificationCannotPing(t *testing.T) {
	tests := []struct {
		name, title, excerpt, author, category string
		tags                                   []string
	}{
		{"special mention in the title", "<!channel> read this", "x", "alice", "Support", nil},
		{"here and everyone", "<!here> and <!everyone>", "<!here|here>", "alice", "Support", nil},
		{"user mention", "hi <@U123>", "cc <@U123|bob> <@W999>", "alice", "Support", nil},
		{"user group", "<!subteam^S123|@team>", "x", "alice", "Support", nil},
		{"bare mass mentions", "@channel @here", "@everyone and @all and @channel", "alice", "Support", nil},
		{"entity that would decode to a mention", "&lt;!channel&gt;", "&lt;@U123&gt; &amp;lt;", "alice", "Support", nil},
		{"link injection", "<https://evil.example|Click>", "<http://x|y>", "alice", "Support", nil},
		{"HTML", "<b>bold</b>", "<script>alert(1)</script>", "alice", "Support", nil},
		{"mentions in author, category and tags", "ok", "ok", "<!channel>", "<!here>/Sub", []string{"<@U1>", "@channel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			a := newAdapter(t, f)
			ch := f.Channel()
			n := notification()
			n.TopicTitle, n.Excerpt, n.AuthorName, n.AuthorUser, n.CategoryPath, n.Tags =
				tt.title, tt.excerpt, tt.author, "user", tt.category, tt.tags
			if _, err := a.Notify(ctx(t), ch, n, ""); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			p := f.Posts(ch)[0]
			if pings := slacktest.Pings(p.Flat); len(pings) > 0 {
				t.Errorf("notification pings %q:\n%s", pings, p.Flat)
			}
			// The only control sequence left is the title link we made.
			rest := strings.ReplaceAll(p.Flat, "<"+n.URL+"|", "")
			if strings.ContainsAny(rest, "<") {
				t.Errorf("forum text made markup:\n%s", p.Flat)
			}
			if strings.Contains(p.Flat, "&lt;!channel&gt;") && tt.name == "entity that would decode to a mention" {
				t.Errorf("an entity in forum text reached Slack undoubled: %s", p.Flat)
			}
		})
	}
}

func TestNotifyErrors(t *testing.T) {
	tests := []struct {
		name      string
		arrange   func(f *slacktest.Server) adapters.ChannelRef
		permanent bool
		retry     bool
		contains  string
	}{
		{"bot not in the channel", func(f *slacktest.Server) adapters.ChannelRef {
			return f.AddChannel("C0OUT", "outside", false, false)
		}, true, false, "invite me with /invite @discourse"},
		{"channel gone", func(f *slacktest.Server) adapters.ChannelRef {
			return adapters.ChannelRef{Platform: "slack", ChatID: "C0GONE"}
		}, true, false, "channel_not_found"},
		{"Slack answers 500", func(f *slacktest.Server) adapters.ChannelRef {
			f.FailNext("chat.postMessage", "http_500")
			return f.Channel()
		}, false, false, "500"},
		{"Slack's internal error", func(f *slacktest.Server) adapters.ChannelRef {
			f.FailNext("chat.postMessage", "internal_error")
			return f.Channel()
		}, false, false, "internal_error"},
		{"rate limited", func(f *slacktest.Server) adapters.ChannelRef {
			f.RateLimitNext(3 * time.Second)
			return f.Channel()
		}, false, true, "rate limit"},
		{"not a Slack channel", func(f *slacktest.Server) adapters.ChannelRef {
			return adapters.ChannelRef{Platform: "telegram", ChatID: "1"}
		}, true, false, "not a Slack channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			a := newAdapter(t, f)
			ch := tt.arrange(f)
			_, err := a.Notify(ctx(t), ch, notification(), "")
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if got := adapters.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, tt.permanent, err)
			}
			if _, got := adapters.RetryAfterOf(err); got != tt.retry {
				t.Errorf("retry-after = %v, want %v: %v", got, tt.retry, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q lacks %q", err, tt.contains)
			}
			if strings.Contains(err.Error(), slacktest.BotToken) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestRateLimitStormLosesNothing(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	ch := f.Channel()
	f.RateLimitNextN(3, time.Second)
	var refused int
	for i := 0; i < 4; {
		n := notification()
		n.PostNumber = i + 1
		n.Excerpt = "post " + string(rune('A'+i))
		_, err := a.Notify(ctx(t), ch, n, "")
		if wait, ok := adapters.RetryAfterOf(err); ok {
			refused++
			if wait != time.Second {
				t.Errorf("retry after %v, want 1s", wait)
			}
			continue // the outbox would wait; the test need not
		}
		if err != nil {
			t.Fatalf("Notify: %v", err)
		}
		i++
	}
	if refused != 3 {
		t.Errorf("%d sends refused, want 3", refused)
	}
	posts := f.Posts(ch)
	if len(posts) != 4 {
		t.Fatalf("posted %d, want 4", len(posts))
	}
	for i, p := range posts {
		if want := "post " + string(rune('A'+i)); !strings.Contains(p.Flat, want) {
			t.Errorf("post %d = %q, want %q (in order)", i, p.Flat, want)
		}
	}
}

// TestNotifyAvatarSlackCannotDownload: the bot is made for forums on private networks, whose
// avatar URLs Slack's servers cannot fetch. Slack then refuses the whole message
// (invalid_blocks, "downloading image failed"); the notification must still arrive, without
// the picture, rather than be parked as a permanent failure.
func TestNotifyAvatarSlackCannotDownload(t *testing.T) {
	f := newFake(t)
	a := newAdapter(t, f)
	ch := f.Channel()
	n := notification()
	f.UnreachableImages(n.AvatarURL)
	ref, err := a.Notify(ctx(t), ch, n, "")
	if err != nil {
		t.Fatalf("Notify with an avatar Slack cannot download = %v, want it sent without the avatar", err)
	}
	posts := f.Posts(ch)
	if len(posts) != 1 || posts[0].TS != string(ref) {
		t.Fatalf("posts = %+v, want one with ts %s", posts, ref)
	}
	p := posts[0]
	if len(p.Images) != 0 {
		t.Errorf("images = %q, want none", p.Images)
	}
	for _, want := range []string{"Installer stops at step 3", "Alice Smith (@alice)", "[Support/Installs]", "The installer stops at step 3."} {
		if !strings.Contains(p.Flat, want) {
			t.Errorf("notification lacks %q:\n%s", want, p.Flat)
		}
	}
}
