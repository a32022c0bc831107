package discord_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
)

// memValues is an in-memory stand-in for the bot's store (adapters.Values).
type memValues struct {
	mu    sync.Mutex
	m     map[string]int64
	texts map[string]string
}

func newMemValues() *memValues { return &memValues{m: map[string]int64{}, texts: map[string]string{}} }

func (v *memValues) Text(_ context.Context, name string) (string, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	x, ok := v.texts[name]
	return x, ok, nil
}

func (v *memValues) SetText(_ context.Context, name, value string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.texts[name] = value
	return nil
}

func (v *memValues) Cursor(_ context.Context, name string) (int64, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	x, ok := v.m[name]
	return x, ok, nil
}

func (v *memValues) SetCursor(_ context.Context, name string, value int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m[name] = value
	return nil
}

// Discord announces an exhausted bucket in the answer's headers; discordgo waits it out, and the
// adapter keeps it in the store, so a restarted bot does not post into it either.
func TestARestartedAdapterWaitsForAnExhaustedBucket(t *testing.T) {
	srv := newFake(t)
	srv.LimitMessages(1, time.Hour)
	st := newMemValues()
	n := adapters.Notification{TopicTitle: "Backlog", URL: "https://forum.example.org/t/backlog/1/1"}
	first := newAdapter(t, srv, discord.Config{Pace: st})
	if _, err := first.Notify(t.Context(), srv.Channel(), n, ""); err != nil {
		t.Fatal(err)
	}

	restarted := newAdapter(t, srv, discord.Config{Pace: st})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := restarted.Notify(ctx, srv.Channel(), n, ""); err == nil {
		t.Fatal("the restarted adapter posted into a bucket that has no posts left for an hour")
	}
	if got := srv.OverLimit(); got != 0 {
		t.Errorf("%d posts over the bucket, want none", got)
	}

	// What the store prevents: an adapter that forgot posts into the exhausted bucket.
	forgetful := newAdapter(t, srv, discord.Config{})
	_, err := forgetful.Notify(t.Context(), srv.Channel(), n, "")
	if _, limited := adapters.RetryAfterOf(err); !limited {
		t.Errorf("a post into the exhausted bucket = %v, want a rate-limit verdict", err)
	}
	if got := srv.OverLimit(); got != 1 {
		t.Errorf("the fake counted %d posts over the bucket, want 1", got)
	}
}
