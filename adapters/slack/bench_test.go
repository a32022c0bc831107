package slack

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

func BenchmarkNotificationOptions(b *testing.B) {
	n := adapters.Notification{TopicTitle: "Installer <stops> at step 3 @here", URL: "https://forum.example.org/t/x/42/1",
		AuthorName: "Alice", AuthorUser: "alice", AvatarURL: "https://forum.example.org/a.png",
		CategoryPath: "Support/Installs", CategoryColor: "0088CC", Tags: []string{"bug", "linux"},
		Excerpt: strings.Repeat("The installer & the <b>log</b> say @everyone. ", 10)}
	for b.Loop() {
		if _, _, err := slack.UnsafeApplyMsgOptions("x", "C1", "https://slack.com/api/", notificationOptions(n)...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	t := adapters.Text{{Text: "Rules for this channel:\n"}, {Kind: adapters.Bold, Text: "1. watch support"},
		{Text: " tags "}, {Kind: adapters.Code, Text: "bug"}, {Text: "\n"},
		{Kind: adapters.Link, Text: "help", URL: "https://forum.example.org/t/help"}}
	for b.Loop() {
		_ = render(t)
	}
}
