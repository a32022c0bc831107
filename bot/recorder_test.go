package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// recorder is a chat that records what the bot sends it. It stands in for a platform in tests
// that are about the pipeline, not the wire (each adapter's fake server covers that).
type recorder struct {
	platform string

	mu       sync.Mutex
	sent     []sentNote
	failures []error        // returned by the next sends, in order
	refusing map[string]int // channels whose sends fail (a platform outage there), and how many did
	seq      int
	changed  chan struct{}
	handler  chan adapters.Handler // the bot's handler, once Run starts
	history  []adapters.Message    // what History answers; none: ErrNoHistory

	down       atomic.Bool  // what Connected reports, negated: up unless a test says otherwise
	reconnects atomic.Int64 // what Reconnects reports
}

// Connected and Reconnects implement adapters.Health.
func (r *recorder) Connected() bool   { return !r.down.Load() }
func (r *recorder) Reconnects() int64 { return r.reconnects.Load() }

type sentNote struct {
	Channel adapters.ChannelRef
	Ref     adapters.MessageRef
	Thread  adapters.MessageRef
	N       adapters.Notification
	At      time.Time
}

func newRecorder(platform string) *recorder {
	return &recorder{platform: platform, changed: make(chan struct{}, 1), handler: make(chan adapters.Handler, 1)}
}

// command runs a command typed by a channel admin in ch through the bot, and returns the reply.
func (r *recorder) command(t *testing.T, ch, text string) string {
	t.Helper()
	return r.handle(t, ch, text, true, false).Text.String()
}

func (r *recorder) Platform() string { return r.platform }

func (r *recorder) Run(ctx context.Context, h adapters.Handler) error {
	select {
	case r.handler <- h:
	default:
	}
	<-ctx.Done()
	return nil
}

func (r *recorder) Notify(_ context.Context, ch adapters.ChannelRef, n adapters.Notification, thread adapters.MessageRef) (adapters.MessageRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.refusing[ch.String()]; ok {
		r.refusing[ch.String()] = n + 1
		return "", fmt.Errorf("%s is unavailable", ch)
	}
	if len(r.failures) > 0 {
		err := r.failures[0]
		r.failures = r.failures[1:]
		return "", err
	}
	r.seq++
	ref := adapters.MessageRef(fmt.Sprint(r.seq))
	r.sent = append(r.sent, sentNote{Channel: ch, Ref: ref, Thread: thread, N: n, At: time.Now()})
	select {
	case r.changed <- struct{}{}:
	default:
	}
	return ref, nil
}

func (r *recorder) History(_ context.Context, q adapters.HistoryQuery) (adapters.History, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.history == nil {
		return adapters.History{}, adapters.ErrNoHistory
	}
	msgs := r.history
	if q.Limit > 0 && len(msgs) > q.Limit {
		msgs = msgs[len(msgs)-q.Limit:]
	}
	return adapters.History{ChannelName: "#general", Messages: append([]adapters.Message(nil), msgs...)}, nil
}

// handle runs a command as typed by user (admin or not) in ch and returns the whole reply.
func (r *recorder) handle(t *testing.T, ch, text string, admin, interactive bool) adapters.Reply {
	t.Helper()
	return r.handleWithin(t, 10*time.Second, ch, text, admin, interactive)
}

// handleWithin is handle for a test or a benchmark, waiting up to wait for the bot to start the
// recording adapter.
func (r *recorder) handleWithin(tb testing.TB, wait time.Duration, ch, text string, admin, interactive bool) adapters.Reply {
	tb.Helper()
	var h adapters.Handler
	select {
	case h = <-r.handler:
		r.handler <- h
	case <-time.After(wait):
		tb.Fatal("the bot never started the recording adapter")
	}
	ref, err := adapters.ParseChannelRef(ch)
	if err != nil {
		tb.Fatal(err)
	}
	return h.HandleCommand(tb.Context(), adapters.Command{
		Channel: ref, Invoker: adapters.User{ID: "U1", Username: "admin"}, IsAdmin: admin,
		Text: text, Time: time.Now(), Interactive: interactive,
	})
}

// failNext makes the next sends fail with errs, in order.
func (r *recorder) failNext(errs ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, errs...)
}

// refuse makes every send to ch fail, as an outage of its platform does, until accept(ch).
func (r *recorder) refuse(ch string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refusing == nil {
		r.refusing = map[string]int{}
	}
	r.refusing[ch] = 0
}

// accept ends refuse(ch).
func (r *recorder) accept(ch string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.refusing, ch)
}

// refused returns how many sends to ch failed since refuse(ch).
func (r *recorder) refused(ch string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refusing[ch]
}

func (r *recorder) all() []sentNote {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentNote(nil), r.sent...)
}

// in returns what was sent to ch.
func (r *recorder) in(ch string) []sentNote {
	var out []sentNote
	for _, s := range r.all() {
		if s.Channel.String() == ch {
			out = append(out, s)
		}
	}
	return out
}

// waitFor waits until cond holds for what was sent, or fails the test after a deadline.
func (r *recorder) waitFor(t *testing.T, what string, cond func([]sentNote) bool) []sentNote {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s := r.all()
		if cond(s) {
			return s
		}
		select {
		case <-r.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; sent: %s", what, describe(s))
		}
	}
}

func describe(s []sentNote) string {
	var b strings.Builder
	for _, n := range s {
		fmt.Fprintf(&b, "\n  %s #%s thread=%q %q post %d", n.Channel, n.Ref, n.Thread, n.N.TopicTitle, n.N.PostNumber)
	}
	return b.String()
}
