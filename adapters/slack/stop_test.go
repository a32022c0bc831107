package slack_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

// loud records what is logged at warn level or above.
type loud struct {
	mu      sync.Mutex
	records []string
}

func (l *loud) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *loud) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Message)
	return nil
}
func (l *loud) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *loud) WithGroup(string) slog.Handler      { return l }

// A normal stop logs nothing at warn level: the socket the adapter closes itself, and the
// connection attempt the stop cuts short, are no problem to report (the default log level
// shows warnings to an admin as trouble).
func TestAStopIsQuiet(t *testing.T) {
	f := newFake(t)
	logs := &loud{}
	for range 5 {
		a, err := slack.New(slack.Config{BotToken: slacktest.BotToken, AppToken: slacktest.AppToken,
			APIURL: f.APIURL(), Limits: &slack.Limits{}}, slog.New(logs))
		if err != nil {
			t.Fatal(err)
		}
		stop := adaptertest.Start(t, a, &adaptertest.Recorder{})
		adaptertest.WaitFor(t, "the adapter connected", a.Connected)
		stop()
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	for _, r := range logs.records {
		t.Errorf("a stop logged at warn level or above: %s", r)
	}
}
