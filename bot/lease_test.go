package bot

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// flakyMarks is a store whose MarkSent fails a number of times, as a busy or briefly
// unreachable database does.
type flakyMarks struct {
	state.Store
	fails atomic.Int64
}

func (s *flakyMarks) MarkSent(ctx context.Context, id int64, ref string, at time.Time) error {
	if s.fails.Add(-1) >= 0 {
		return errors.New("database is locked (SQLITE_BUSY)")
	}
	return s.Store.MarkSent(ctx, id, ref, at)
}

// A send that succeeded but whose MarkSent failed is recorded later, never sent again.
func TestDeliveryRetriesTheBookkeepingNotTheSend(t *testing.T) {
	st := &flakyMarks{Store: openStore(t)}
	st.fails.Store(5)
	rec := newRecorder("console")
	d, _ := startDelivery(t, st, rec, time.Hour)
	if err := st.Enqueue(t.Context(), []state.OutboxItem{item(t, "console:a", 1, 1, false), item(t, "console:a", 1, 2, false)}, "posts", 2); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	waitStats(t, st, func(s state.OutboxStats) bool { return s.Pending == 0 && s.Sent == 2 })
	if sent := rec.all(); len(sent) != 2 || sent[0].N.PostID != 1 || sent[1].N.PostID != 2 {
		t.Fatalf("want posts 1 then 2 once each, got %s", describe(sent))
	}
}

// Once another process has taken the lead, this one's senders send nothing more and stop, even
// before LeadLost is noticed elsewhere.
func TestDeliveryStopsWhenTheLeaseIsLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	open := func() state.Store {
		st, err := state.Open(t.Context(), "sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	releaseA, err := a.Lead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder("console")
	d := newDelivery(a, map[string]adapters.Adapter{rec.platform: rec}, time.Hour, 5*time.Millisecond,
		slog.New(slog.DiscardHandler), newMetrics(nil))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ran := make(chan struct{})             // Run ends when the lease is lost
	go func() { d.Run(ctx); close(ran) }() //nolint:errcheck
	if err := a.Enqueue(t.Context(), []state.OutboxItem{item(t, "console:a", 1, 1, false)}, "posts", 1); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	rec.waitFor(t, "the first notification", func(s []sentNote) bool { return len(s) == 1 })

	releaseA() // a's lead ends without its delivery knowing; b takes over
	releaseB, err := b.Lead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseB()
	// Rows a's senders would pick up (queued by b, the leader now).
	if err := b.Enqueue(t.Context(), []state.OutboxItem{item(t, "console:a", 1, 2, false), item(t, "console:b", 2, 3, false)}, "posts", 3); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	select {
	case <-a.LeadLost():
	case <-time.After(10 * time.Second):
		t.Fatal("a's delivery did not find that the lease is lost")
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("a's delivery kept running after the lease was lost")
	}
	if sent := rec.all(); len(sent) != 1 {
		t.Fatalf("the old leader sent %s after losing the lease, want only the first", describe(sent))
	}
	if st, _ := b.OutboxStats(t.Context()); st.Pending != 2 {
		t.Errorf("outbox = %+v, want the two new rows pending for the new leader", st)
	}
}
