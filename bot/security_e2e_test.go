package bot

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
)

// topicURL is the browser URL of a topic of the fake forum.
func topicURL(f *site, id int64) string { return fmt.Sprintf("%s/t/topic/%d", f.URL(), id) }

// TestTranscriptDestinations: a chat admin may add a transcript, as the forum's admin API user,
// only to a regular, open, unarchived topic in a category the channel may see.
func TestTranscriptDestinations(t *testing.T) {
	f := newSite(t)
	public, _ := f.CreateTopic("Public", "<p>hi</p>", "alice", f.cat["general"])
	pm, _ := f.CreatePrivateMessage("Secret", "<p>psst</p>", "alice", "moderators")
	staff, _ := f.CreateTopic("Staff only", "<p>hush</p>", "alice", f.cat["staff"])
	closed, _ := f.CreateTopic("Closed", "<p>done</p>", "alice", f.cat["general"])
	f.CloseTopic(closed)
	archived, _ := f.CreateTopic("Archived", "<p>old</p>", "alice", f.cat["general"])
	f.ArchiveTopic(archived)

	rec := newRecorder("console")
	rec.history = chatHistory()
	r := startBot(t, f, rec, filepath.Join(t.TempDir(), "bot.db"), func(cfg *config.Config, _ *Options) {
		cfg.Transcript.Mode = "topic"
		cfg.Access.PrivateChannels = []string{"console:staffroom"}
	})
	tests := []struct {
		name, channel string
		topic         int64
		want          string // "" when the transcript is posted
	}{
		{"private message", "console:a", pm, "private message"},
		{"private message from a private channel", "console:staffroom", pm, "private message"},
		{"read-restricted category", "console:a", staff, "not public"},
		{"closed topic", "console:a", closed, "closed"},
		{"archived topic", "console:a", archived, "archived"},
		{"public open topic", "console:a", public, ""},
		{"restricted category from a private channel", "console:staffroom", staff, ""},
	}
	for _, tt := range tests {
		before := len(f.CreatedPosts())
		reply := r.rec.handle(t, tt.channel, "post 3 to "+topicURL(f, tt.topic), true, false).Text.String()
		posted := len(f.CreatedPosts()) - before
		if tt.want == "" {
			if posted != 1 || !strings.Contains(reply, "Added a transcript") {
				t.Errorf("%s: reply %q, %d posts; want the transcript added", tt.name, reply, posted)
			}
			continue
		}
		if posted != 0 || !strings.Contains(reply, tt.want) || strings.Contains(reply, "\n") {
			t.Errorf("%s: reply %q, %d posts; want a one-line refusal mentioning %q", tt.name, reply, posted, tt.want)
		}
	}
}

// TestTranscriptCategoryMustBePublic: transcript.category naming a read-restricted category makes
// neither a topic nor a composer link from a public channel; a private channel may use it.
func TestTranscriptCategoryMustBePublic(t *testing.T) {
	for _, mode := range []string{"topic", "link"} {
		t.Run(mode, func(t *testing.T) {
			f := newSite(t)
			rec := newRecorder("console")
			rec.history = chatHistory()
			r := startBot(t, f, rec, filepath.Join(t.TempDir(), "bot.db"), func(cfg *config.Config, _ *Options) {
				cfg.Transcript.Mode = mode
				cfg.Transcript.Category = "staff"
				cfg.Access.PrivateChannels = []string{"console:staffroom"}
			})
			reply := r.rec.handle(t, "console:a", "post 3", true, false)
			if s := reply.Text.String(); !strings.Contains(s, "not public") || strings.Contains(s, "/new-topic") {
				t.Errorf("public channel: reply %q, want a refusal", s)
			}
			if n := len(f.CreatedPosts()); n != 0 {
				t.Fatalf("a refused transcript created %d posts", n)
			}
			reply = r.rec.handle(t, "console:staffroom", "post 3", true, false)
			if s := reply.Text.String(); !strings.Contains(s, "Posted a transcript") && !strings.Contains(s, "composer") {
				t.Errorf("private channel: reply %q, want the transcript", s)
			}
		})
	}
}
