package mattermost

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// liveMention is "@" directly followed by a name: that pings on Mattermost.
var liveMention = regexp.MustCompile(`@[\p{L}\p{N}_.\-]`)

// unescapedMarkup is a markdown or HTML character not neutralised by a backslash.
var unescapedMarkup = regexp.MustCompile("(^|[^\\\\])[*_`\\[\\]()#|~<>]")

// TestNotifyDefusesForumText posts forum text full of mentions and markup and checks, on the
// raw post the server stored, that nothing can ping or format, and, on the text as a user reads
// it, that the words are all still there.
func TestNotifyDefusesForumText(t *testing.T) {
	a, srv := newFake(t)
	ch := srv.Channel()
	tests := []struct{ name, title, excerpt string }{
		{"mass mentions", "Hello @everyone @here", "ping @channel and @all"},
		{"user mentions", "Ask @alice", "cc @dave and @discourse"},
		{"slack and discord forms", "<!channel> <@U123>", "<!here|here> <@&456>"},
		{"entities", "&lt;b&gt; not bold", "&amp; &#64;all"},
		{"html", "<b>bold</b> <img src=x onerror=alert(1)>", "<a href='https://evil.example'>click</a>"},
		{"markdown", "**bold** _it_ `code` [link](https://evil.example)", "# heading\n> quote\n| a | b |\n~~gone~~"},
		{"mention inside markup", "[@channel](https://evil.example)", "**@all**"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := adapters.Notification{
				TopicID: int64(i), TopicTitle: tt.title, Excerpt: tt.excerpt,
				URL:        fmt.Sprintf("https://forum.example.org/t/x/%d", i),
				AuthorName: "Mallory @here", AuthorUser: "mallory",
				CategoryPath: "Support/@channel", Tags: []string{"@all", "*bug*"},
				CategoryColor: "0088CC",
			}
			ref, err := a.Notify(t.Context(), ch, n, "")
			if err != nil {
				t.Fatalf("Notify: %v", err)
			}
			var raw []string
			for _, p := range srv.Posts(ch) {
				if p.Id != string(ref) {
					continue
				}
				for _, att := range p.Attachments() {
					raw = append(raw, att.Title, att.Text, att.AuthorName, att.Fallback, att.Pretext)
					for _, f := range att.Fields {
						raw = append(raw, fmt.Sprint(f.Value))
					}
					if att.Color != "#0088CC" || att.TitleLink != n.URL {
						t.Errorf("attachment colour %q, link %q", att.Color, att.TitleLink)
					}
				}
			}
			if len(raw) == 0 {
				t.Fatalf("post %s has no attachment", ref)
			}
			for _, s := range raw {
				if m := liveMention.FindString(s); m != "" {
					t.Errorf("live mention %q in %q", m, s)
				}
			}
			// Markdown fields: text and field values (a linked title is plain text in Mattermost).
			for _, s := range append(raw[1:2:2], raw[5:]...) {
				if m := unescapedMarkup.FindString(s); m != "" {
					t.Errorf("unescaped markup %q in %q", m, s)
				}
			}
			var got adaptertest.Posted
			for _, p := range srv.Posted(ch) {
				if p.ID == string(ref) {
					got = p
				}
			}
			read := strings.ReplaceAll(got.Text, wordJoiner, "")
			for _, want := range []string{tt.title, tt.excerpt, "Support/@channel", "@all, *bug*", "Mallory @here"} {
				if !strings.Contains(read, want) {
					t.Errorf("a reader does not see %q in %q", want, read)
				}
			}
		})
	}
}

func TestNotifyThreadAndRetryAfter(t *testing.T) {
	a, srv := newFake(t)
	ch := srv.Channel()
	root, err := a.Notify(t.Context(), ch, adapters.Notification{TopicTitle: "Root", URL: "https://f.example/t/1"}, "")
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reply, err := a.Notify(t.Context(), ch, adapters.Notification{TopicTitle: "Reply", URL: "https://f.example/t/1/2"}, root)
	if err != nil {
		t.Fatalf("Notify into thread: %v", err)
	}
	for _, p := range srv.Posts(ch) {
		if p.Id == string(reply) && p.RootId != string(root) {
			t.Errorf("thread reply has root_id %q, want %q", p.RootId, root)
		}
	}
	srv.RateLimitNext(3_000_000_000)
	_, err = a.Notify(t.Context(), ch, adapters.Notification{TopicTitle: "Limited"}, "")
	wait, ok := adapters.RetryAfterOf(err)
	if !ok || wait.Seconds() != 3 {
		t.Errorf("Notify under a 429 = %v (wait %v), want a RetryAfterError of 3s", err, wait)
	}
}
