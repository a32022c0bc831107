package telegram

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram/telegramtest"
)

// liveMassMention is "@everyone" and the like with nothing between "@" and the word.
func liveMassMention(s string) bool {
	l := strings.ToLower(s)
	for _, w := range []string{"@everyone", "@here", "@channel", "@all"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// FuzzRender: a notification and a reply made of untrusted text are always HTML Telegram
// accepts, within its length limit, with no mass mention.
func FuzzRender(f *testing.F) {
	adaptertest.FuzzRender(f, adaptertest.FuzzSeeds(), func(t *testing.T, in adaptertest.RenderInput) {
		check := func(what, html string) {
			text, err := telegramtest.ParseHTML(html)
			if err != nil {
				t.Fatalf("%s is not HTML Telegram accepts (%v):\n%s", what, err, html)
			}
			if n := len(utf16.Encode([]rune(text))); n > MaxMessageLength {
				t.Fatalf("%s shows %d characters, over Telegram's %d", what, n, MaxMessageLength)
			}
			if liveMassMention(text) {
				t.Fatalf("%s pings everyone: %q", what, text)
			}
		}
		check("the notification", renderNotification(in.Notification()))
		reply := in.Reply()
		for i, part := range renderText(reply) {
			check("reply part "+string(rune('1'+i)), part)
		}
	})
}
