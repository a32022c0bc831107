package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// openStore opens a SQLite store of its own for the test, closed when the test ends.
func openStore(t testing.TB) state.Store {
	t.Helper()
	st := openTestStore(t, filepath.Join(t.TempDir(), "bot.db"))
	t.Cleanup(func() { st.Close() })
	return st
}

func item(t testing.TB, ch string, topic, post int64, thread bool) state.OutboxItem {
	payload, err := json.Marshal(adapters.Notification{TopicID: topic, PostID: post, TopicTitle: "Topic", PostNumber: int(post)})
	if err != nil {
		t.Fatal(err)
	}
	return state.OutboxItem{Channel: ch, TopicID: topic, PostID: post, Thread: thread, Payload: payload, CreatedAt: time.Now()}
}

// startDelivery runs a delivery over st with one recording platform and returns a stop func that
// waits for it to finish.
func startDelivery(t *testing.T, st state.Store, rec *recorder, maxAge time.Duration) (*delivery, func()) {
	t.Helper()
	d := newDelivery(st, map[string]adapters.Adapter{rec.platform: rec}, maxAge, 5*time.Millisecond,
		slog.New(slog.DiscardHandler), newMetrics(nil))
	d.retryMax = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }() //nolint:errcheck
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return d, stop
}

func TestDeliveryRetriesThenDeliversOnce(t *testing.T) {
	st := openStore(t)
	rec := newRecorder("console")
	boom := errors.New("connection reset")
	rec.failNext(boom, boom, boom)
	d, _ := startDelivery(t, st, rec, time.Hour)
	if err := st.Enqueue(t.Context(), []state.OutboxItem{item(t, "console:a", 1, 1, false), item(t, "console:a", 1, 2, false)}, "posts", 2); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	sent := rec.waitFor(t, "both notifications", func(s []sentNote) bool { return len(s) >= 2 })
	if len(sent) != 2 || sent[0].N.PostID != 1 || sent[1].N.PostID != 2 {
		t.Fatalf("want posts 1 then 2 once each, got %s", describe(sent))
	}
	waitStats(t, st, func(s state.OutboxStats) bool { return s.Pending == 0 && s.Sent == 2 })
	ch, err := st.Channel(t.Context(), "console:a")
	if err != nil {
		t.Fatal(err)
	}
	if ch.LastError != "" {
		t.Errorf("the channel's error was not cleared after success: %q", ch.LastError)
	}
}

func TestDeliveryKeepsErrorVisibleWhileFailing(t *testing.T) {
	st := openStore(t)
	rec := newRecorder("console")
	for range 1000 {
		rec.failNext(errors.New("503 service unavailable"))
	}
	d, stop := startDelivery(t, st, rec, time.Hour)
	if err := st.Enqueue(t.Context(), []state.OutboxItem{item(t, "console:a", 1, 1, false)}, "posts", 1); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	if !(poll.Wait{Limit: 10 * time.Second, Every: 10 * time.Millisecond}).Within(func() bool {
		ch, err := st.Channel(t.Context(), "console:a")
		return err == nil && ch.LastError != ""
	}) {
		t.Fatal("a failing channel shows no error")
	}
	stop()
	if stats, _ := st.OutboxStats(t.Context()); stats.Pending != 1 {
		t.Errorf("a failing notification must stay pending: %+v", stats)
	}
}

func TestDeliveryParks(t *testing.T) {
	tests := []struct {
		name   string
		fail   error
		maxAge time.Duration
		age    time.Duration
	}{
		{"permanent error", adapters.Permanent(errors.New("channel_not_found")), time.Hour, 0},
		{"older than max_age", nil, time.Minute, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			rec := newRecorder("console")
			if tt.fail != nil {
				rec.failNext(tt.fail)
			}
			d, _ := startDelivery(t, st, rec, tt.maxAge)
			old := item(t, "console:a", 1, 1, false)
			old.CreatedAt = time.Now().Add(-tt.age)
			if err := st.Enqueue(t.Context(), []state.OutboxItem{old, item(t, "console:a", 2, 2, false)}, "posts", 2); err != nil {
				t.Fatal(err)
			}
			d.Wake()
			sent := rec.waitFor(t, "the second notification", func(s []sentNote) bool { return len(s) >= 1 })
			if len(sent) != 1 || sent[0].N.PostID != 2 {
				t.Errorf("want only post 2 sent, got %s", describe(sent))
			}
			waitStats(t, st, func(s state.OutboxStats) bool { return s.Parked == 1 })
		})
	}
}

func TestDeliveryHonoursRetryAfter(t *testing.T) {
	st := openStore(t)
	rec := newRecorder("console")
	rec.failNext(adapters.RetryAfter(300*time.Millisecond, errors.New("429")))
	d, _ := startDelivery(t, st, rec, time.Hour)
	start := time.Now()
	if err := st.Enqueue(t.Context(), []state.OutboxItem{item(t, "console:a", 1, 1, false)}, "posts", 1); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	sent := rec.waitFor(t, "the notification", func(s []sentNote) bool { return len(s) == 1 })
	if waited := sent[0].At.Sub(start); waited < 300*time.Millisecond {
		t.Errorf("sent again after %v, before the 300ms the platform asked for", waited)
	}
}

func TestDeliveryThreads(t *testing.T) {
	st := openStore(t)
	rec := newRecorder("console")
	d, _ := startDelivery(t, st, rec, time.Hour)
	items := []state.OutboxItem{
		item(t, "console:a", 7, 1, true), item(t, "console:a", 7, 2, true),
		item(t, "console:a", 8, 3, true), item(t, "console:a", 7, 4, true),
	}
	if err := st.Enqueue(t.Context(), items, "posts", 4); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	sent := rec.waitFor(t, "four notifications", func(s []sentNote) bool { return len(s) == 4 })
	root7, root8 := sent[0].Ref, sent[2].Ref
	want := []adapters.MessageRef{"", root7, "", root7}
	for i, s := range sent {
		if s.Thread != want[i] {
			t.Errorf("post %d went to thread %q, want %q (topic 7 root %s, topic 8 root %s)", s.N.PostID, s.Thread, want[i], root7, root8)
		}
	}
}

func waitStats(t *testing.T, st state.Store, cond func(state.OutboxStats) bool) {
	t.Helper()
	var s state.OutboxStats
	var err error
	if !(poll.Wait{Limit: 10 * time.Second, Every: 10 * time.Millisecond}).Within(func() bool {
		s, err = st.OutboxStats(t.Context())
		return err == nil && cond(s)
	}) {
		t.Fatalf("outbox stats never matched: %+v %v", s, err)
	}
}

func TestPruneKeepsPendingAndRecentRows(t *testing.T) {
	st := openStore(t)
	b := &Bot{store: st, logger: slog.New(slog.DiscardHandler)}
	old := time.Now().Add(-8 * 24 * time.Hour)
	rows := []state.OutboxItem{item(t, "console:x", 1, 1, false), item(t, "console:x", 2, 2, false), item(t, "console:x", 3, 3, false)}
	rows[0].CreatedAt, rows[1].CreatedAt = old, old
	if err := st.Enqueue(t.Context(), rows, "", 0); err != nil {
		t.Fatal(err)
	}
	pending, err := st.Pending(t.Context(), "console:x", 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending = %d, %v", len(pending), err)
	}
	// Post 1: old and sent (goes). Post 2: old but still pending (stays). Post 3: sent today (stays).
	for _, i := range []int{0, 2} {
		if err := st.MarkSent(t.Context(), pending[i].ID, "m", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	b.prune(t.Context(), time.Now())
	stats, err := st.OutboxStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Sent != 1 || stats.Pending != 1 {
		t.Errorf("after prune: %+v, want 1 sent (today's) and 1 pending (the old one)", stats)
	}
}

func TestDeliveryRestartsAThreadWhoseRootIsGone(t *testing.T) {
	st := openStore(t)
	rec := newRecorder("console")
	d, _ := startDelivery(t, st, rec, time.Hour)
	if err := st.SetThreadRef(t.Context(), "console:a", 7, "deleted-root"); err != nil {
		t.Fatal(err)
	}
	rec.failNext(adapters.Permanent(errors.New("root post deleted")))
	if err := st.Enqueue(t.Context(), []state.OutboxItem{item(t, "console:a", 7, 2, true), item(t, "console:a", 7, 3, true)}, "posts", 3); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	sent := rec.waitFor(t, "both replies", func(s []sentNote) bool { return len(s) == 2 })
	if sent[0].Thread != "" || sent[1].Thread != sent[0].Ref {
		t.Errorf("want the first reply to start a new thread and the second in it: %s", describe(sent))
	}
	waitStats(t, st, func(s state.OutboxStats) bool { return s.Sent == 2 && s.Parked == 0 })
}
