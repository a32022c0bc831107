package bot

import (
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

// End-to-end tests of transcripts started from a message's own menu or by a reply to it: the
// platform's real payloads, through the real SDKs, to the same preview and buttons as `post`.

// shortcut makes userID pick "Post to forum from here" on the message ts in #general and returns
// the bot's ephemeral answer (as Flat, everything a reader sees).
func (s *slackBot) shortcut(t *testing.T, userID, ts string) string {
	t.Helper()
	before := len(s.replies(slackGeneral))
	s.slack.InjectMessageShortcut(slackGeneral, userID, slack.ShortcutCallbackID, ts)
	waitUntil(t, "the answer to the message shortcut", func() bool { return len(s.replies(slackGeneral)) > before })
	return s.replies(slackGeneral)[before].Flat
}

func TestSlackMessageShortcutStartsTheTranscriptThere(t *testing.T) {
	t.Parallel()
	var from, root, reply string
	s := startSlackBot(t, transcriptTo("topic"), func(f *slacktest.Server) {
		f.AddMessage(slackGeneral, slacktest.Member, "Morning all", "")
		from = f.AddMessage(slackGeneral, slacktest.Member, "Where does the installer log to?", "")
		f.AddMessage(slackGeneral, slacktest.AdminUser, "To /var/log/installer", "")
		f.AddMessage(slackGeneral, slacktest.Member, "Found it, thanks", "")
		root = f.AddMessage(slackGeneral, slacktest.Member, "Anyone on the beta?", "")
		f.AddMessage(slackGeneral, slacktest.AdminUser, "Not yet", root)
		reply = f.AddMessage(slackGeneral, slacktest.Member, "It is out on Friday", root)
		f.AddMessage(slackGeneral, slacktest.AdminUser, "Good to know", root)
	})

	preview := s.shortcut(t, slacktest.AdminUser, from)
	for _, want := range []string{"Transcript of 4 messages", "Where does the installer log to?", "Anyone on the beta?"} {
		mustReply(t, preview, want)
	}
	if n := len(s.forum.CreatedPosts()); n != 0 {
		t.Fatalf("the shortcut posted to the forum at once (%d posts), want a preview", n)
	}
	mustReply(t, s.press(t, slackGeneral, slacktest.AdminUser, "Start later"), "Transcript of 3 messages")
	answer := s.press(t, slackGeneral, slacktest.AdminUser, "Post to forum")
	mustReply(t, answer, "Posted a transcript of 3 messages")
	created := s.forum.CreatedPosts()
	if len(created) != 1 {
		t.Fatalf("the forum got %d posts, want 1", len(created))
	}
	raw := created[0].Raw
	for _, want := range []string{"To /var/log/installer", "Found it, thanks", "Anyone on the beta?"} {
		if !strings.Contains(raw, want) {
			t.Errorf("transcript lacks %q:\n%s", want, raw)
		}
	}
	for _, outside := range []string{"Morning all", "Where does the installer log to?"} {
		if strings.Contains(raw, outside) {
			t.Errorf("transcript holds %q from before its start:\n%s", outside, raw)
		}
	}

	t.Run("on a reply in a thread, the rest of the thread", func(t *testing.T) {
		preview := s.shortcut(t, slacktest.AdminUser, reply)
		for _, want := range []string{"Transcript of 2 messages", "It is out on Friday", "Good to know"} {
			mustReply(t, preview, want)
		}
		mustReply(t, s.press(t, slackGeneral, slacktest.AdminUser, "Start earlier"), "Transcript of 3 messages")
	})

	t.Run("a member is refused, privately", func(t *testing.T) {
		before := len(s.forum.CreatedPosts())
		mustReply(t, s.shortcut(t, slacktest.Member, from), "Only a channel admin")
		for _, p := range s.slack.Posts(slackGeneral) {
			if !p.Ephemeral {
				t.Errorf("a refused shortcut posted publicly: %q", p.Text)
			}
		}
		if n := len(s.forum.CreatedPosts()); n != before {
			t.Errorf("a member's shortcut reached the forum")
		}
	})
}
