package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// sendAll is the outbox protocol of the bot's senders, against a chat that records what it got:
// claim, send, mark sent (retrying the mark, never the send), until the lease is lost or ctx
// ends. A row another lead still claims is tried again later.
func sendAll(ctx context.Context, s state.Store, ch string, send func(state.OutboxItem)) error {
	for ctx.Err() == nil {
		rows, err := s.Pending(ctx, ch, 20)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		for _, it := range rows {
			err := s.Claim(ctx, it.ID, time.Now())
			var claimed *state.ClaimedError
			switch {
			case errors.Is(err, state.ErrLeaseLost):
				return err
			case errors.Is(err, state.ErrNotFound), errors.As(err, &claimed):
				continue
			case err != nil:
				return err
			}
			send(it)
			for {
				err := s.MarkSent(context.WithoutCancel(ctx), it.ID, "m", time.Now())
				if err == nil || errors.Is(err, state.ErrLeaseLost) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	return ctx.Err()
}

// TestPostgresSessionLossMidBurstSendsNothingTwice: the leader's lock session is terminated in
// the middle of a burst and it goes on sending, as a leader that has not noticed yet would; the
// standby takes over. Every row reaches the chat exactly once: the old leader's next claim
// fails with ErrLeaseLost as soon as the standby's lead began.
func TestPostgresSessionLossMidBurstSendsNothingTwice(t *testing.T) {
	dsn := postgresSchema(t)
	lead := namedSessions(t, dsn, "midburst")
	a := openPostgresDSN(t, lead.dsn)
	b := openPostgresDSN(t, dsn)
	ctx := t.Context()

	const n = 400
	const ch = "slack:C1"
	var rows []state.OutboxItem
	for i := range n {
		rows = append(rows, state.OutboxItem{Channel: ch, TopicID: 1, PostID: int64(i + 1), Payload: []byte("x")})
	}
	if err := a.Enqueue(ctx, rows, "posts", n); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	got := map[int64]int{}
	var sentBy [2]int
	send := func(who int) func(state.OutboxItem) {
		return func(it state.OutboxItem) {
			time.Sleep(2 * time.Millisecond) // a chat's answer time
			mu.Lock()
			got[it.PostID]++
			sentBy[who]++
			mu.Unlock()
		}
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}

	releaseA := takeLead(t, a)
	defer releaseA()
	aDone := make(chan error, 1)
	go func() { aDone <- sendAll(ctx, a, ch, send(0)) }()
	waitUntil(t, "a quarter of the burst sent", func() bool { return count() >= n/4 })

	lead.terminate(t)
	releaseB := takeLead(t, b)
	defer releaseB()
	bctx, stopB := context.WithCancel(ctx)
	bDone := make(chan error, 1)
	go func() { bDone <- sendAll(bctx, b, ch, send(1)) }()

	select {
	case err := <-aDone:
		if !errors.Is(err, state.ErrLeaseLost) {
			t.Errorf("the old leader's senders stopped with %v, want ErrLeaseLost", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the old leader kept sending after the standby took over")
	}
	waitUntil(t, "the whole burst sent", func() bool { return count() == n })
	stopB()
	<-bDone

	mu.Lock()
	defer mu.Unlock()
	for id, k := range got {
		if k != 1 {
			t.Errorf("post %d reached the chat %d times", id, k)
		}
	}
	if sentBy[1] == 0 {
		t.Errorf("the standby sent nothing (old leader %d): the session loss came too late to test anything", sentBy[0])
	}
	t.Logf("old leader sent %d, new leader %d, of %d; duplicates: none", sentBy[0], sentBy[1], n)
}

// waitUntil polls cond every 5 ms for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Wait{Limit: 30 * time.Second}.Until(t, what, cond)
}

// takeLead takes s's lead within 30 s.
func takeLead(t *testing.T, s state.Store) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	release, err := s.Lead(ctx)
	if err != nil {
		t.Fatalf("Lead: %v", err)
	}
	return release
}
