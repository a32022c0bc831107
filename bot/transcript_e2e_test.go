package bot

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

func chatHistory() []adapters.Message {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var msgs []adapters.Message
	for i, line := range []string{"old chatter", "The installer hangs", "which step?", "step 3", "try --verbose", "that worked"} {
		user := []string{"alice", "bob"}[i%2]
		msgs = append(msgs, adapters.Message{
			ID: adapters.MessageRef(fmt.Sprint(100 + i)), Text: line, Time: t0.Add(time.Duration(i) * time.Minute),
			User: adapters.User{ID: "id-" + user, Username: user},
		})
	}
	return msgs
}

func transcriptBot(t *testing.T, mode string) *running {
	rec := newRecorder("console")
	rec.history = chatHistory()
	return startBot(t, newSite(t), rec, filepath.Join(t.TempDir(), "bot.db"), func(o *Options) {
		o.Transcript.Mode = mode
		o.Transcript.Category = "support"
	})
}

func TestTranscriptPreviewButtons(t *testing.T) {
	r := transcriptBot(t, "topic")
	reply := r.rec.handle(t, "console:a", "post 3", true, true)
	if !strings.Contains(reply.Text.String(), "Transcript of 3 messages") || !strings.Contains(reply.Text.String(), "step 3") {
		t.Fatalf("preview = %q", reply.Text.String())
	}
	if n := len(r.forum.CreatedPosts()); n != 0 {
		t.Fatalf("the preview already posted %d topic(s)", n)
	}
	press := func(reply adapters.Reply, label string) adapters.Reply {
		t.Helper()
		for _, a := range reply.Actions {
			if strings.Contains(a.Label, label) {
				return r.rec.handle(t, "console:a", a.Command, true, true)
			}
		}
		t.Fatalf("no %q button in %+v", label, reply.Actions)
		return adapters.Reply{}
	}
	reply = press(reply, "Start earlier")
	if !strings.Contains(reply.Text.String(), "Transcript of 4 messages") {
		t.Fatalf("after Start earlier: %q", reply.Text.String())
	}
	reply = press(reply, "End earlier")
	if !strings.Contains(reply.Text.String(), "Transcript of 3 messages") {
		t.Fatalf("after End earlier: %q", reply.Text.String())
	}
	reply = press(reply, "Post to forum")
	created := r.forum.CreatedPosts()
	if len(created) != 1 {
		t.Fatalf("want one topic after Post to forum, got %d (reply %q)", len(created), reply.Text.String())
	}
	// post 3 took 103–105; Start earlier made it 102–105, End earlier 102–104.
	checkTranscript(t, created[0].Raw, []string{"which step?", "step 3", "try --verbose"}, []string{"The installer hangs", "that worked"})
	if created[0].CategoryID != r.forum.cat["support"] || !strings.Contains(reply.Text.String(), "Posted a transcript of 3 messages") {
		t.Errorf("posted in category %d, reply %q", created[0].CategoryID, reply.Text.String())
	}
}

func TestTranscriptComposerLink(t *testing.T) {
	r := transcriptBot(t, "link")
	reply := r.rec.handle(t, "console:a", "post 2", true, false)
	var link string
	for _, s := range reply.Text {
		if s.Kind == adapters.Link {
			link = s.URL
		}
	}
	u, err := url.Parse(link)
	if err != nil || u.Path != "/new-topic" {
		t.Fatalf("reply %q has no composer link", reply.Text.String())
	}
	body := u.Query().Get("body")
	if !strings.Contains(body, "**@alice:** try --verbose") || !strings.Contains(body, "**@bob:** that worked") {
		t.Errorf("composer body:\n%s", body)
	}
	if len(r.forum.CreatedPosts()) != 0 {
		t.Error("link mode created a topic")
	}
}

func TestTranscriptRefusals(t *testing.T) {
	r := transcriptBot(t, "topic")
	tests := []struct {
		name, cmd string
		admin     bool
		want      string
	}{
		{"non-admin", "post 3", false, "admin"},
		{"too many", "post 600", true, "At most 500"},
		{"bad topic link", "post 3 to https://elsewhere.example/t/x/1", true, "not a topic link"},
	}
	for _, tt := range tests {
		reply := r.rec.handle(t, "console:a", tt.cmd, tt.admin, false)
		if !strings.Contains(reply.Text.String(), tt.want) {
			t.Errorf("%s: reply %q, want it to mention %q", tt.name, reply.Text.String(), tt.want)
		}
	}
	if len(r.forum.CreatedPosts()) != 0 {
		t.Error("a refused post created a topic")
	}
}

// TestTranscriptInANamedCategory: "category:<slug>" sends the transcript there instead of
// transcript.category, through the preview's buttons too; a name the channel may not use is
// refused with the ones it may, and nothing is posted.
func TestTranscriptInANamedCategory(t *testing.T) {
	r := transcriptBot(t, "topic")
	reply := r.rec.handle(t, "console:a", "post 3 category:support/installs Installer hangs", true, true)
	var post string
	for _, a := range reply.Actions {
		if a.Primary {
			post = a.Command
		}
	}
	if post == "" {
		t.Fatalf("preview %q has no Post button: %+v", reply.Text.String(), reply.Actions)
	}
	reply = r.rec.handle(t, "console:a", post, true, true)
	created := r.forum.CreatedPosts()
	if len(created) != 1 || created[0].CategoryID != r.forum.cat["support/installs"] || created[0].Title != "Installer hangs" {
		t.Fatalf("after Post to forum (reply %q): created %+v, want one topic %q in support/installs", reply.Text.String(), created, "Installer hangs")
	}

	refusals := []struct{ name, cmd, want string }{
		{"unknown category", "post 3 category:nowhere", "support/installs"},
		{"restricted category from a public channel", "post 3 confirm category:staff", "support/installs"},
	}
	for _, tt := range refusals {
		reply := r.rec.handle(t, "console:a", tt.cmd, true, true)
		_, usable, _ := strings.Cut(reply.Text.String(), "may use:")
		if txt := reply.Text.String(); !strings.Contains(usable, tt.want) || strings.Contains(usable, "staff") {
			t.Errorf("%s: reply %q, want the usable categories (with %q) and not the restricted one", tt.name, txt, tt.want)
		}
	}
	if n := len(r.forum.CreatedPosts()); n != 1 {
		t.Errorf("%d topics after the refusals, want still 1", n)
	}
}
