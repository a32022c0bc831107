package slack

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

func TestSplitSections(t *testing.T) {
	long := strings.Repeat("word &amp; ", 400) // 4 400 characters on one line
	code := "```\n" + strings.Repeat("line of code\n", 300) + "```"
	tests := []struct {
		name  string
		text  string
		parts int
	}{
		{"empty text has no section", " \n", 0},
		{"short text is one section", "Transcript of 3 messages\nFrom @a: «hi»", 1},
		{"long line is cut, never inside an entity", long, 2},
		{"code block cut in two stays code in both", code, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitSections(tt.text, maxSectionText)
			if len(parts) != tt.parts {
				t.Fatalf("%d parts, want %d: %q", len(parts), tt.parts, parts)
			}
			for i, p := range parts {
				if n := utf8.RuneCountInString(p); n > maxSectionText {
					t.Errorf("part %d has %d characters", i, n)
				}
				if strings.Count(p, "```")%2 != 0 {
					t.Errorf("part %d leaves a code block open: …%q", i, p[max(0, len(p)-20):])
				}
				if i := strings.LastIndexByte(p, '&'); i >= 0 && !strings.Contains(p[i:], ";") {
					t.Errorf("part %d ends inside an entity: …%q", i, p[len(p)-10:])
				}
			}
			joined := strings.ReplaceAll(strings.Join(parts, ""), "\n``````\n", "\n")
			if strip(joined) != strip(tt.text) {
				t.Errorf("text lost in the split")
			}
		})
	}
}

func strip(s string) string { return strings.Join(strings.Fields(s), "") }

// TestPressDeliveredTwiceRunsOnce: Slack resends an envelope whose ack it did not get; a second
// "Post to forum" must not post the transcript twice.
func TestPressDeliveredTwiceRunsOnce(t *testing.T) {
	f := adaptertest.Strict(t, "fake Slack", slacktest.NewServer())
	a, err := New(Config{BotToken: slacktest.BotToken, AppToken: slacktest.AppToken, APIURL: f.APIURL()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cb := slack.InteractionCallback{
		Type:        slack.InteractionTypeBlockActions,
		User:        slack.User{ID: slacktest.AdminUser, Name: "ada"},
		Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: slacktest.GeneralID}}},
		ResponseURL: f.URL() + "/response/gone",
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: "dcb_action_1", Value: "post range 1 3 confirm", ActionTs: "1700000001.000100",
				BlockID: expiryBlockID(time.Now().Add(adapters.ButtonLife), "p1", 1)},
		}},
	}
	rec := &adaptertest.Recorder{}
	for range 2 {
		_, work := a.commandFor(socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb})
		if work == nil {
			t.Fatal("our button press asks for no work")
		}
		work(t.Context(), rec)
	}
	if got := rec.Received(); len(got) != 1 || got[0].Text != "post range 1 3 confirm" || !got[0].IsAdmin {
		t.Errorf("handler got %+v, want the press once, from an admin", got)
	}
}
