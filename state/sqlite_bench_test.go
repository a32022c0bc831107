package state_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

func benchStore(b *testing.B) state.Store {
	b.Helper()
	s, err := state.Open(b.Context(), "sqlite", filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkLogMessage logs into a Telegram chat log bounded at 2000 messages and a week, the
// defaults, starting full so every insert also prunes. Run it with -benchtime=100000x for the
// steady state after 100 000 inserts.
func BenchmarkLogMessage(b *testing.B) {
	const bound = 2000
	s := benchStore(b)
	ctx := b.Context()
	msg := func(i int) state.LoggedMessage {
		return state.LoggedMessage{Channel: "telegram:-1001", MessageID: fmt.Sprint(i), UserID: "42",
			Username: "alice", Name: "Alice", Text: "a message of ordinary length, say sixty characters", Time: time.Now()}
	}
	for i := range bound {
		if err := s.LogMessage(ctx, msg(i), state.LogBounds{PerChat: bound, MaxAge: 168 * time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	i := bound
	for b.Loop() {
		if err := s.LogMessage(ctx, msg(i), state.LogBounds{PerChat: bound, MaxAge: 168 * time.Hour}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	if n, err := s.ChatLogCount(ctx, "telegram:-1001"); err != nil || n != bound {
		b.Fatalf("after %d inserts the log holds %d messages (%v), want %d", i, n, err, bound)
	}
}

// BenchmarkEnqueue writes a batch of 50 notifications and the poll cursor per op.
func BenchmarkEnqueue(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	payload := make([]byte, 600) // a JSON-encoded notification with a 400-character excerpt
	batch := make([]state.OutboxItem, 50)
	cursor := int64(0)
	for b.Loop() {
		for i := range batch {
			cursor++
			batch[i] = state.OutboxItem{Channel: fmt.Sprint("slack:C", i%5), TopicID: cursor / 3, PostID: cursor, Payload: payload}
		}
		if err := s.Enqueue(ctx, batch, "posts", cursor); err != nil {
			b.Fatal(err)
		}
	}
}
