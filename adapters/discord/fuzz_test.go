package discord

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// liveMassMention is "@everyone" or "@here" with nothing between "@" and the word.
func liveMassMention(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "@everyone") || strings.Contains(l, "@here")
}

// FuzzRender: an embed and a reply made of untrusted text keep within Discord's limits, stay
// valid UTF-8 and hold no mass mention (on top of allowed_mentions, which parses none).
func FuzzRender(f *testing.F) {
	adaptertest.FuzzRender(f, adaptertest.FuzzSeeds(), func(t *testing.T, in adaptertest.RenderInput) {
		check := func(what, s string, limit int) {
			if n := utf8.RuneCountInString(s); n > limit {
				t.Fatalf("%s has %d characters, over Discord's %d", what, n, limit)
			}
			in.CheckUTF8(t, what, s)
			if liveMassMention(s) {
				t.Fatalf("%s pings everyone: %q", what, s)
			}
		}
		e := notificationEmbed(in.Notification())
		check("the embed's title", e.Title, maxEmbedTitle)
		check("the embed's description", e.Description, maxEmbedDesc)
		if e.Author != nil {
			check("the embed's author", e.Author.Name, maxAuthorName)
		}
		for _, fl := range e.Fields {
			check("the embed's field "+fl.Name, fl.Value, maxFieldValue)
		}
		check("a thread name", threadName(in.Title), maxThreadName)
		reply := renderText(in.Reply())
		for _, part := range splitContent(reply) {
			check("a reply", part, maxContent)
		}
	})
}
