package console

import (
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
)

// youSaid answers every command with its text.
func youSaid(c adapters.Command) adapters.Reply {
	return adapters.Reply{Text: adapters.Text{{Text: "you said " + c.Text}}}
}

func TestPromptFramesEveryMessage(t *testing.T) {
	prompt := DefaultPrompt
	var out syncbuf.Buffer
	ended := make(chan struct{})
	a := NewWithOptions(strings.NewReader("status\n\nhelp\n"), &out, nil,
		Options{Prompt: &prompt, OnInputEnd: func() { close(ended) }})
	stop := adaptertest.Start(t, a, &adaptertest.Recorder{Answer: youSaid})
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("OnInputEnd was not called at the end of the input")
	}
	// Every command read before the end was answered by then.
	want := "> " + "\r\x1b[Kyou said status\n> " + "> " + "\r\x1b[Kyou said help\n> "
	if got := out.String(); got != want {
		t.Errorf("screen\n got %q\nwant %q", got, want)
	}
	// A notification arriving while the prompt is shown clears the prompt line, then shows it again.
	if _, err := a.Notify(t.Context(), Channel, adapters.Notification{TopicTitle: "Hello", URL: "https://f/t/1"}, ""); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimPrefix(out.String(), want)
	if !strings.HasPrefix(got, "\r\x1b[K#1 Hello") || !strings.HasSuffix(got, " https://f/t/1\n> ") {
		t.Errorf("notification not framed by the prompt: %q", got)
	}
	stop()
}

func TestNoPromptOnAPipe(t *testing.T) {
	var out syncbuf.Buffer
	ended := make(chan struct{})
	a := NewWithOptions(strings.NewReader("status\n"), &out, nil, Options{OnInputEnd: func() { close(ended) }})
	adaptertest.Start(t, a, &adaptertest.Recorder{Answer: youSaid})
	<-ended
	if got := out.String(); got != "you said status\n" {
		t.Errorf("screen %q, want the reply alone", got)
	}
}
