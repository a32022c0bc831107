package slack

import (
	"testing"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

// FuzzRender: a notification and a reply made of untrusted text never ping anyone (no
// <!channel>, <@U…>, @here …) and stay valid UTF-8, in every field Slack would read.
func FuzzRender(f *testing.F) {
	adaptertest.FuzzRender(f, adaptertest.FuzzSeeds(), func(t *testing.T, in adaptertest.RenderInput) {
		_, values, err := slack.UnsafeApplyMsgOptions("xoxb-fuzz", "C1", "https://slack.com/api/", notificationOptions(in.Notification())...)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what, s string) {
			if p := slacktest.Pings(s); len(p) > 0 {
				t.Fatalf("%s pings %q:\n%s", what, p, s)
			}
			in.CheckUTF8(t, what, s)
		}
		for k, vs := range values {
			for _, v := range vs {
				check("the notification's "+k, v)
			}
		}
		check("a reply", render(in.Reply()))
	})
}
