package slacktest

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// TestViewsOpenAsSlackDoes: a trigger_id opens one modal, within 3 s; a modal Slack would refuse
// is invalid_arguments, and recorded.
func TestViewsOpenAsSlackDoes(t *testing.T) {
	text := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	form := func(title string, submit bool) slack.ModalViewRequest {
		v := slack.ModalViewRequest{Type: slack.VTModal, Title: text(title), CallbackID: "form",
			Blocks: slack.Blocks{BlockSet: []slack.Block{
				slack.NewInputBlock("b", text("Title"), nil, slack.NewPlainTextInputBlockElement(nil, "a")),
			}}}
		if submit {
			v.Submit = text("Send")
		}
		return v
	}
	tests := []struct {
		name      string
		view      slack.ModalViewRequest
		age       time.Duration
		twice     bool
		wantErr   string
		unhandled bool
	}{
		{"a fresh trigger opens the modal", form("Post to forum", true), 0, false, "", false},
		{"a trigger opens one modal only", form("Post to forum", true), 0, true, "exchanged_trigger_id", false},
		{"a trigger older than 3 s has expired", form("Post to forum", true), 4 * time.Second, false, "expired_trigger_id", false},
		{"a title over 24 characters", form(strings.Repeat("T", 25), true), 0, false, "invalid_arguments", true},
		{"inputs without a submit button", form("Post to forum", false), 0, false, "invalid_arguments", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer()
			t.Cleanup(s.Close)
			s.mu.Lock()
			inv := s.invocationLocked(adapters.ChannelRef{Platform: "slack", ChatID: GeneralID}, AdminUser, "")
			s.triggers[inv.triggerID].at = time.Now().Add(-tt.age)
			s.mu.Unlock()
			api := slack.New(BotToken, slack.OptionAPIURL(s.APIURL()))
			_, err := api.OpenView(inv.triggerID, tt.view)
			if tt.twice && err == nil {
				_, err = api.OpenView(inv.triggerID, tt.view)
			}
			if got := errString(err); !strings.Contains(got, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
				t.Errorf("views.open: %v, want %q", err, tt.wantErr)
			}
			if u := s.Unhandled(); (len(u) > 0) != tt.unhandled {
				t.Errorf("unhandled = %q, want recorded: %v", u, tt.unhandled)
			}
			if n := len(s.Views()); (n == 1) != (tt.wantErr == "" || tt.twice) {
				t.Errorf("%d views open", n)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
