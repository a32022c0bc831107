package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

// FuzzRender: a notification and a reply made of untrusted text never ping anyone (no
// <!channel>, <@U…>, @here …) and stay valid UTF-8, in every field Slack would read.
func FuzzRender(f *testing.F) {
	f.Add("Hello <!channel> & <@U123>", "@here *bold* <https://evil|click>", "Alice", "General", "https://forum.example/t/x/1/1", "bug")
	f.Add(strings.Repeat("<", 3000), "&lt;!everyone&gt;", "", "", "javascript:alert(1)", "")
	f.Fuzz(func(t *testing.T, title, excerpt, author, category, url, tag string) {
		n := adapters.Notification{TopicTitle: title, Excerpt: excerpt, AuthorName: author, AuthorUser: author,
			CategoryPath: category, URL: url, Tags: []string{tag}, CategoryColor: "0088CC"}
		_, values, err := slack.UnsafeApplyMsgOptions("xoxb-fuzz", "C1", "https://slack.com/api/", notificationOptions(n)...)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what, s string) {
			if p := slacktest.Pings(s); len(p) > 0 {
				t.Fatalf("%s pings %q:\n%s", what, p, s)
			}
			if utf8.ValidString(title+excerpt+author+category+url+tag) && !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", what, s)
			}
		}
		for k, vs := range values {
			for _, v := range vs {
				check("the notification's "+k, v)
			}
		}
		check("a reply", render(adapters.Text{{Kind: adapters.Plain, Text: title}, {Kind: adapters.Bold, Text: excerpt},
			{Kind: adapters.Code, Text: author}, {Kind: adapters.Link, Text: category, URL: url}, {Kind: adapters.CodeBlock, Text: tag}}))
	})
}
