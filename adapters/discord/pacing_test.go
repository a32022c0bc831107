package discord_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
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

// BenchmarkAckUnderBacklog measures how long a command waits for its acknowledgement while a
// backlog of notifications drains at Discord's global limit (50 requests a second): Discord
// voids an interaction that is not answered within 3 s. Run with -benchtime=5x.
func BenchmarkAckUnderBacklog(b *testing.B) {
	const backlog = 150 // 3 s of requests at the global limit
	srv := newFake(b)
	a := newAdapter(b, srv, discord.Config{})
	adaptertest.Start(b, a, &adaptertest.Recorder{})
	wait := poll.Wait{Limit: 30 * time.Second, Every: time.Millisecond}
	wait.Until(b, "the gateway session", srv.Connected)
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		sent := len(srv.Messages())
		var wg sync.WaitGroup
		for range backlog {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = a.Notify(b.Context(), general(), sample("Backlog"), "")
			}()
		}
		wait.Until(b, "the backlog to drain", func() bool { return len(srv.Messages()) >= sent+10 })
		start := time.Now()
		id := srv.InjectCommandAs(general(), discordtest.AdminID, "status")
		wait.Until(b, "the acknowledgement", func() bool { return srv.Acknowledged(id) })
		lat := time.Since(start)
		total += lat
		worst = max(worst, lat)
		wg.Wait()
	}
	b.ReportMetric(float64(total)/float64(time.Millisecond)/float64(b.N), "ms/ack")
	b.ReportMetric(float64(worst)/float64(time.Millisecond), "worst-ms/ack")
}
