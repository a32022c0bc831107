package discourse_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

const testKey = "test-api-key"

// newForum starts a fake forum and a client for it, fast enough for tests: no budget limit to
// speak of and millisecond backoff.
func newForum(t testing.TB) (*discoursetest.Server, *discourse.Client) {
	t.Helper()
	f := discoursetest.NewServer(testKey)
	t.Cleanup(func() {
		f.Close()
		if errs := f.Errors(); len(errs) > 0 {
			t.Errorf("the fake forum did not understand: %v", errs)
		}
	})
	return f, newClient(t, f, nil)
}

func newClient(t testing.TB, f *discoursetest.Server, tweak func(*discourse.ClientConfig)) *discourse.Client {
	t.Helper()
	cfg := discourse.ClientConfig{
		URL: f.URL(), APIKey: testKey, APIUsername: "system", UserAgent: "discourse-chatbot/test",
		RequestsPerMinute: 600000, RetryDelay: time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := discourse.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// memCursors is a CursorStore in memory, and the handler that records batches and persists
// cursors the way the bot does.
type memCursors struct {
	mu      sync.Mutex
	values  map[string]int64
	batches [][]discourse.Post
	failErr error // when set, the handler fails and persists nothing
}

func newCursors() *memCursors { return &memCursors{values: map[string]int64{}} }

func (m *memCursors) Cursor(_ context.Context, name string) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[name]
	return v, ok, nil
}

func (m *memCursors) Cursors(_ context.Context, prefix string) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int64{}
	for k, v := range m.values {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

// SetCursor and DeleteCursor make memCursors the poller's BusPositions too.
func (m *memCursors) SetCursor(_ context.Context, name string, value int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[name] = value
	return nil
}

func (m *memCursors) DeleteCursor(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.values, name)
	return nil
}

func (m *memCursors) handle(_ context.Context, posts []discourse.Post, cursor string, value int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failErr != nil {
		return m.failErr
	}
	if len(posts) > 0 {
		m.batches = append(m.batches, posts)
	}
	m.values[cursor] = value
	return nil
}

func (m *memCursors) value(name string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.values[name]
}

// ids returns the ids of every post handed on so far, in hand-on order.
func (m *memCursors) ids() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int64
	for _, b := range m.batches {
		for _, p := range b {
			out = append(out, p.ID)
		}
	}
	return out
}

func (m *memCursors) posts() []discourse.Post {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []discourse.Post
	for _, b := range m.batches {
		out = append(out, b...)
	}
	return out
}

func newPoller(t testing.TB, c *discourse.Client, cur *memCursors, cfg discourse.PollerConfig) *discourse.Poller {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	return discourse.NewPoller(c, discourse.NewCatalog(c), cur, cfg)
}

func pollOnce(t testing.TB, p *discourse.Poller, cur *memCursors) {
	t.Helper()
	if err := p.PollOnce(t.Context(), cur.handle); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
}

// pollingPastStart is a new forum with n topics and a poller with cfg over it, past its first
// poll (which hands on nothing: the posts are old), so that every post made afterwards is news.
func pollingPastStart(t testing.TB, n int, cfg discourse.PollerConfig) (*discoursetest.Server, *discourse.Client, *memCursors, *discourse.Poller) {
	t.Helper()
	f, c := newForum(t)
	seedPosts(f, n)
	cur := newCursors()
	p := newPoller(t, c, cur, cfg)
	pollOnce(t, p, cur)
	return f, c, cur, p
}

// newClientAt is a client of the forum at url (a front of the fake: a proxy, a redirector) with
// the tests' config; it has no user agent of its own.
func newClientAt(t testing.TB, url string) *discourse.Client {
	t.Helper()
	c, err := discourse.NewClient(discourse.ClientConfig{
		URL: url, APIKey: testKey, APIUsername: "system",
		RequestsPerMinute: 600000, RetryDelay: time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seedPosts creates n topics in a fresh category and returns their first posts' ids.
func seedPosts(f *discoursetest.Server, n int) []int64 {
	cat := f.AddCategory(discourse.Category{Name: "General"})
	var ids []int64
	for i := range n {
		_, id := f.CreateTopic(topicTitle(i), "Post body number "+strconv.Itoa(i), "alice", cat)
		ids = append(ids, id)
	}
	return ids
}

func topicTitle(i int) string { return "Topic number " + strconv.Itoa(i) }
