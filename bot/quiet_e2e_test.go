package bot

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

// warnings records what a logger writes at warn level or above, and hands everything on.
type warnings struct {
	slog.Handler
	mu      *sync.Mutex
	records *[]string
}

func (w warnings) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.mu.Lock()
		*w.records = append(*w.records, r.Level.String()+" "+r.Message)
		w.mu.Unlock()
	}
	return w.Handler.Handle(ctx, r)
}

func (w warnings) WithAttrs(as []slog.Attr) slog.Handler {
	return warnings{w.Handler.WithAttrs(as), w.mu, w.records}
}

func (w warnings) WithGroup(name string) slog.Handler {
	return warnings{w.Handler.WithGroup(name), w.mu, w.records}
}

// TestAHealthyRunAndItsStopAreQuiet: on every platform, a bot in live mode that follows forum
// changes, announces a post, follows its edit and the topic's move, and is then stopped, logs
// nothing at warn level or above (the default log level shows those to an admin as trouble):
// the bot's own log, its forum poller, follower, catalogue and delivery (the adapters log
// through their own loggers in these tests).
func TestAHealthyRunAndItsStopAreQuiet(t *testing.T) {
	var mu sync.Mutex
	var records []string
	quiet := func(o *Options) {
		followChanges(o)
		o.Logger = slog.New(warnings{o.Logger.Handler(), &mu, &records})
	}
	everyPlatformWith(t, quiet, func(t *testing.T, forum *site, fake adaptertest.Fake) {
		ch := fake.Channel()
		command(t, fake, ch, "watch support", "Rule created")
		command(t, fake, ch, "watch meta", "Rule created")
		const title = "Quiet topic"
		topicID, postID, msg := notifiedAndFollowed(t, forum, fake, ch, title)
		forum.EditPost(postID, "", "<p>It stops at step 4.</p>")
		if editors[ch.Platform] {
			waitUntil(t, "the edit in chat", func() bool {
				m, _ := current(fake, ch, msg.ID)
				return strings.Contains(m.Text, "step 4")
			})
		}
		forum.MoveTopic(topicID, forum.cat["meta"])
		waitUntil(t, "the move announced", func() bool { return len(mentioning(fake, ch, title)) >= 2 })
	}) // each platform's bot stops as its subtest ends
	mu.Lock()
	defer mu.Unlock()
	for _, r := range records {
		t.Errorf("logged at warn level or above: %s", r)
	}
}
