package discord_test

import (
	"context"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
)

// Discord announces an exhausted bucket in the answer's headers; discordgo waits it out, and the
// adapter keeps it in the store, so a restarted bot does not post into it either.
func TestARestartedAdapterWaitsForAnExhaustedBucket(t *testing.T) {
	srv := newFake(t)
	srv.LimitMessages(1, time.Hour)
	st := &adapters.MemValues{}
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
