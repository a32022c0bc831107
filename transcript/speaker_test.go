package transcript

import (
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// A chat display name is untrusted (a Telegram user without a username is shown by it): it must
// not turn into forum markup, such as a link, or break the avatar's reference definition.
func TestSpeakerNameIsNotMarkup(t *testing.T) {
	m := msg("1", "x", 0, "hello")
	m.User = adapters.User{ID: "7", DisplayName: "Eve](https://evil.example) **admin** [x", AvatarURL: "https://chat.example/a.png"}
	got := Render([]adapters.Message{m}, Options{Source: "Telegram", ChannelName: "support"})
	for _, bad := range []string{"](https://evil.example)", "**admin**"} {
		if strings.Contains(got, bad) {
			t.Errorf("the speaker's name became markup %q:\n%s", bad, got)
		}
	}
	var def string
	for line := range strings.SplitSeq(got, "\n") {
		if strings.HasSuffix(line, "]: https://chat.example/a.png") {
			def = line
		}
	}
	if def == "" || strings.Count(def, "[") != 1 || strings.Count(def, "]") != 1 {
		t.Errorf("the avatar's reference definition is malformed (%q):\n%s", def, got)
	}
}

func TestNamelessSpeakerStillGetsAHeader(t *testing.T) {
	msgs := []adapters.Message{{ID: "1", Text: "posted by a channel"}, {ID: "2", Text: "hi", User: adapters.User{ID: "u", Username: "bob"}}}
	got := Render(msgs, Options{Source: "Telegram", ChannelName: "news"})
	if !strings.Contains(got, "\n\n**@unknown:** posted by a channel\n") {
		t.Errorf("a message without a sender has no header of its own:\n%s", got)
	}
}
