package mattermost

import (
	"regexp"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// liveMassMention is what Mattermost turns into a channel-wide ping.
var liveMassMention = regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}_.-])@(channel|all|here)\b`)

// FuzzRender: an attachment and a reply made of untrusted text stay valid UTF-8 and hold no
// channel-wide mention.
func FuzzRender(f *testing.F) {
	adaptertest.FuzzRender(f, adaptertest.FuzzSeeds(), func(t *testing.T, in adaptertest.RenderInput) {
		check := func(what, s string) {
			in.CheckUTF8(t, what, s)
			if m := liveMassMention.FindString(s); m != "" {
				t.Fatalf("%s pings the channel (%q): %q", what, m, s)
			}
		}
		n := in.Notification()
		att := attachment(n)
		check("the attachment's title", att.Title)
		check("the attachment's text", att.Text)
		check("the attachment's author", att.AuthorName)
		check("the attachment's pretext", att.Pretext)
		for _, fl := range att.Fields {
			if s, ok := fl.Value.(string); ok {
				check("the attachment's field "+fl.Title, s)
			}
		}
		check("the fallback", att.Fallback)
		check("a reply", render(in.Reply()))
	})
}
