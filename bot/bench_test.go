package bot

// The pipeline's performance figures (issue 5, "Done when" → Benchmarks). They run the whole bot
// (Run) against the fake forum with the recording chat, and only under -bench:
//
//	go test -run XXX -bench 'PostToDelivery|BurstDrain' -benchtime 1x ./bot/

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// benchWait bounds every wait of these benchmarks: past it the benchmark fails, it never hangs.
const benchWait = 60 * time.Second

// startBenchBot runs the bot against forum with rec as its only chat, polling every poll and
// sending unthrottled, on a fresh SQLite store. It returns the bot once wired and the forum
// cursor is set (so every post made from now on is announced), and a stop func that the
// benchmark's cleanup also calls.
func startBenchBot(b *testing.B, forum *site, rec *recorder, poll time.Duration, live bool) (*Bot, func()) {
	b.Helper()
	db := filepath.Join(b.TempDir(), "bot.db")
	botc := make(chan *Bot, 1)
	opts := testOptions(forum.URL())
	opts.Forum.PollInterval, opts.Forum.Live = poll, live
	opts.Logger = slog.New(slog.NewTextHandler(benchWriter{b}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Adapters = []adapters.Adapter{rec}
	opts.Store = openTestStore(b, db)
	opts.Testing = Testing{
		RetryBase: 5 * time.Millisecond,
		Ready:     func(bt *Bot) { botc <- bt },
	}
	run := launch(b, "Run", opts, true, benchWait)
	stop := func() { _ = run.stop() } // launch's cleanup reports Run's error
	bt := run.ready(botc, benchWait)
	benchUntil(b, "the first forum poll", time.Millisecond, func() bool {
		_, ok, err := bt.Store().Cursor(b.Context(), discourse.CursorPosts)
		return err == nil && ok
	})
	return bt, stop
}

// benchCommand runs a command typed by a channel admin in ch, and fails unless the reply holds want.
func benchCommand(b *testing.B, rec *recorder, ch, text, want string) {
	b.Helper()
	reply := rec.handleWithin(b, benchWait, ch, text, true, false).Text.String()
	if !strings.Contains(reply, want) {
		b.Fatalf("%s: reply %q does not contain %q", text, reply, want)
	}
}

// benchUntil checks cond every tick until it holds, and fails the benchmark past benchWait.
func benchUntil(b *testing.B, what string, tick time.Duration, cond func() bool) {
	b.Helper()
	poll.Wait{Limit: benchWait, Every: tick}.Until(b, what, cond)
}

// benchSentCount is how many notifications rec holds; cheaper than rec.all() for big bursts.
func benchSentCount(rec *recorder) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.sent)
}

// benchPercentile is the nearest-rank q-quantile of sorted durations, in milliseconds.
func benchPercentile(sorted []time.Duration, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return float64(sorted[min(max(i, 0), len(sorted)-1)]) / float64(time.Millisecond)
}

// BenchmarkPostToDelivery measures post-visible → delivered with the 1 s poll the issue names:
// each op creates benchLatencySamples topics at random moments (so they land at every phase of
// the poll) and measures from the moment the fake forum serves a post to the moment the chat
// received it. It reports p50 and p99 over all samples; the poll interval bounds both (expect
// p50 ≈ half of it, p99 ≈ all of it, plus the pipeline's own cost).
func BenchmarkPostToDelivery(b *testing.B) { benchPostToDelivery(b, false) }

// BenchmarkPostToDeliveryLive is the same with forum.live: the MessageBus says when to poll.
func BenchmarkPostToDeliveryLive(b *testing.B) { benchPostToDelivery(b, true) }

func benchPostToDelivery(b *testing.B, live bool) {
	const (
		benchLatencySamples = 100
		meanGap             = 100 * time.Millisecond
	)
	forum := newSite(b)
	rec := newRecorder("console")
	startBenchBot(b, forum, rec, time.Second, live)
	benchCommand(b, rec, "console:bench", "watch support", "support")
	rng := rand.New(rand.NewPCG(5, 1)) // the same moments every run
	var latencies []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		created := make(map[string]time.Time, benchLatencySamples)
		for j := range benchLatencySamples {
			title := fmt.Sprintf("Latency sample %d.%d", i, j)
			forum.CreateTopic(title, "<p>How long until the chat hears of this?</p>", "bob", forum.cat["support"])
			created[title] = time.Now() // visible: the next /posts.json serves it
			// Pacing the load, not synchronising: a random gap spreads posts over the poll phase.
			time.Sleep(time.Duration(rng.Int64N(int64(2 * meanGap))))
		}
		want := (i + 1) * benchLatencySamples
		benchUntil(b, "the samples' notifications", 5*time.Millisecond, func() bool { return benchSentCount(rec) >= want })
		for _, s := range rec.all()[i*benchLatencySamples:] {
			at, ok := created[s.N.TopicTitle]
			if !ok {
				b.Fatalf("unexpected or repeated notification %q", s.N.TopicTitle)
			}
			delete(created, s.N.TopicTitle)
			latencies = append(latencies, s.At.Sub(at))
		}
	}
	b.StopTimer()
	if n := benchSentCount(rec); n != b.N*benchLatencySamples {
		b.Fatalf("%d notifications for %d posts", n, b.N*benchLatencySamples)
	}
	slices.Sort(latencies)
	b.ReportMetric(benchPercentile(latencies, 0.50), "p50-ms")
	b.ReportMetric(benchPercentile(latencies, 0.99), "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1])/float64(time.Millisecond), "max-ms")
}

// BenchmarkBurstDrain puts a burst of 10 000 notifications over 100 channels into the outbox in
// one Enqueue (as one big poll batch would) and measures how long the bot's senders take to empty
// it into an unthrottled chat. Each op runs a fresh bot on a fresh store. Reported: the Enqueue
// transaction (enqueue-ms), commit → outbox empty (drain-ms), and the drain's rate.
func BenchmarkBurstDrain(b *testing.B) {
	const (
		channels = 100
		total    = 10000
	)
	forum := newSite(b) // the poller idles on it meanwhile
	// A realistic payload: a notification with a full-length excerpt, and its category (each
	// send checks it again: the channels are public).
	items := make([]state.OutboxItem, total)
	for i := range items {
		ch, topic := i%channels, int64(1000+i/channels)
		payload, err := json.Marshal(outboxPayload{CategoryID: forum.cat["support"], Notification: adapters.Notification{
			TopicID: topic, PostID: int64(i + 1), PostNumber: 1, IsFirstPost: true,
			TopicTitle: fmt.Sprintf("Burst topic %d", topic), URL: fmt.Sprintf("https://forum.example.org/t/burst/%d/1", topic),
			AuthorName: "Bob", AuthorUser: "bob", AvatarURL: "https://forum.example.org/user_avatar/bob/90/1.png",
			CategoryPath: "Support › Installs", CategoryColor: "0088CC", Tags: []string{"bug", "release"},
			Excerpt: strings.Repeat("The installer stops at step three. ", 12)[:400], CreatedAt: time.Now(),
		}})
		if err != nil {
			b.Fatal(err)
		}
		items[i] = state.OutboxItem{Channel: fmt.Sprintf("console:burst%03d", ch), TopicID: topic, PostID: int64(i + 1), Payload: payload}
	}
	var enqueue, drain time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rec := newRecorder("console")
		bt, stop := startBenchBot(b, forum, rec, time.Second, false)
		b.StartTimer()

		start := time.Now()
		if err := bt.Store().Enqueue(b.Context(), items, "", 0); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		bt.delivery.Wake() // what handleBatch does after its Enqueue
		benchUntil(b, "every notification to be sent", time.Millisecond, func() bool { return benchSentCount(rec) >= total })
		benchUntil(b, "an empty outbox", time.Millisecond, func() bool {
			s, err := bt.Store().OutboxStats(b.Context())
			return err == nil && s.Pending == 0
		})
		end := time.Now()
		enqueue += committed.Sub(start)
		drain += end.Sub(committed)

		b.StopTimer()
		benchCheckBurst(b, rec.all(), channels, total)
		stop()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(enqueue)/float64(b.N)/float64(time.Millisecond), "enqueue-ms")
	b.ReportMetric(float64(drain)/float64(b.N)/float64(time.Millisecond), "drain-ms")
	b.ReportMetric(float64(b.N*total)/drain.Seconds(), "notifications/s")
}

// benchCheckBurst fails unless every notification of the burst arrived once, in order within
// its channel: a fast drain that loses, repeats or reorders proves nothing.
func benchCheckBurst(b *testing.B, sent []sentNote, channels, total int) {
	b.Helper()
	if len(sent) != total {
		b.Fatalf("%d notifications sent, want %d", len(sent), total)
	}
	last := map[string]int64{}
	for _, s := range sent {
		ch := s.Channel.String()
		if s.N.PostID <= last[ch] {
			b.Fatalf("%s: post %d after post %d", ch, s.N.PostID, last[ch])
		}
		last[ch] = s.N.PostID
	}
	if len(last) != channels {
		b.Fatalf("notifications reached %d channels, want %d", len(last), channels)
	}
}

// benchWriter logs to the benchmark's output (printed whatever -v says).
type benchWriter struct{ tb testing.TB }

func (w benchWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
