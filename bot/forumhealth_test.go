package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

type noCursors struct{}

func (noCursors) Cursor(context.Context, string) (int64, bool, error) { return 0, false, nil }
func (noCursors) Cursors(context.Context, string) (map[string]int64, error) {
	return map[string]int64{}, nil
}

// TestQuietLiveForumIsReachable: in live mode a quiet forum is polled only every 12 intervals,
// longer than /readyz's 30 s; while its MessageBus answers, the forum counts as reachable (and
// the console says so), unless the last poll failed.
func TestQuietLiveForumIsReachable(t *testing.T) {
	forum := newSite(t)
	client, err := discourse.NewClient(discourse.ClientConfig{URL: forum.URL(), APIKey: testKey, APIUsername: "system", RequestsPerMinute: 6000})
	if err != nil {
		t.Fatal(err)
	}
	b := &Bot{opts: Options{Forum: Forum{PollInterval: time.Second, Live: true}}, metrics: newMetrics(nil)}
	p := discourse.NewPoller(client, discourse.NewCatalog(client), noCursors{}, discourse.PollerConfig{Interval: time.Hour, Live: true, Polled: b.metrics.polled})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, func(context.Context, []discourse.Post, string, int64) error { return nil }) //nolint:errcheck
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, "live mode", p.Live)
	waitUntil(t, "the first poll", func() bool { return b.metrics.lastPollOK.Load() != 0 })

	b.metrics.lastPollOK.Store(time.Now().Add(-2 * time.Minute).UnixNano()) // a quiet two minutes
	if got := b.forumProblem(); got == "" {
		t.Fatal("without the poller's word, a poll two minutes old is a problem")
	}
	b.live.Store(p)
	if got := b.forumProblem(); got != "" {
		t.Errorf("a quiet live forum: %q, want reachable", got)
	}
	b.metrics.polled(errors.New("HTTP 403"))
	if got := b.forumProblem(); got == "" {
		t.Error("the last poll failed, yet the forum counts as reachable")
	}
}
