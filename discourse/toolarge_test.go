package discourse_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
)

// capPoller is a poller whose client reads answers of at most 64 KiB, logging into log.
func capPoller(t *testing.T, log *syncbuf.Buffer) (*discoursetest.Server, *discourse.Poller, *memCursors) {
	t.Helper()
	f, _ := newForum(t)
	c := newClient(t, f, func(cfg *discourse.ClientConfig) { cfg.MaxBody = 64 << 10 })
	cur := newCursors()
	now := time.Now()
	p := discourse.NewPoller(c, discourse.NewCatalog(c), cur, discourse.PollerConfig{
		Logger: slog.New(slog.NewTextHandler(log, nil)), Now: func() time.Time { return now },
	})
	return f, p, cur
}

// TestPageOverTheSizeCapIsSkippedNotStalled: a post so large that the page of newest posts is
// over the client's size cap is logged and skipped; the posts after its page still arrive, and
// the newest page is not asked for again on every tick.
func TestPageOverTheSizeCapIsSkippedNotStalled(t *testing.T) {
	var log syncbuf.Buffer
	f, p, cur := capPoller(t, &log)
	seedPosts(f, 2)
	pollOnce(t, p, cur)
	start := cur.value(discourse.CursorPosts)
	f.Reply(1, "bob", "<p>"+strings.Repeat("huge ", 20<<10)+"</p>") // 100 KiB
	pollOnce(t, p, cur)
	if !strings.Contains(log.String(), "over the client's size cap") || !strings.Contains(log.String(), "level=ERROR") {
		t.Fatalf("no clear logged error for the answer over the cap:\n%s", log.String())
	}
	if got := cur.value(discourse.CursorPosts); got != start+discourse.PostsPageSize {
		t.Fatalf("cursor %d after the page over the cap, want it skipped to %d", got, start+discourse.PostsPageSize)
	}
	var want []int64
	for range 60 {
		want = append(want, f.Reply(2, "bob", "<p>small</p>")) // topic 1 is now too large itself
	}
	newest := f.Requests("/posts.json")
	for range 3 {
		pollOnce(t, p, cur)
	}
	var got []int64
	for _, id := range cur.ids() {
		if id > start+discourse.PostsPageSize {
			got = append(got, id)
		}
	}
	// The huge post was the first after the cursor; its page (the next 50 ids) is skipped.
	if w := want[discourse.PostsPageSize-1:]; !slices.Equal(got, w) {
		t.Errorf("after the skipped page the poller handed on %v, want %v", got, w)
	}
	if n := f.Requests("/posts.json") - newest; n > 3 {
		t.Errorf("%d /posts.json requests for 3 ticks while backing off the newest page", n)
	}
}

// TestTopicOverTheSizeCapSkipsItsPost: a post whose topic's answer is over the size cap is
// skipped with a logged error; the other posts of the batch arrive.
func TestTopicOverTheSizeCapSkipsItsPost(t *testing.T) {
	var log syncbuf.Buffer
	f, p, cur := capPoller(t, &log)
	seedPosts(f, 2)
	for range 20 { // the topic's answer holds its first 20 posts
		f.Reply(1, "bob", "<p>"+strings.Repeat("long ", 1<<10)+"</p>")
	}
	for range discourse.PostsPageSize { // pushes them off the newest page
		f.Reply(2, "carol", "<p>small</p>")
	}
	pollOnce(t, p, cur)
	f.Reply(1, "bob", "<p>small reply in the big topic</p>")
	kept := f.Reply(2, "carol", "<p>small</p>")
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{kept}) {
		t.Errorf("handed on %v, want only %d", got, kept)
	}
	if !strings.Contains(log.String(), "topic's answer is over the client's size cap") {
		t.Errorf("no logged error for the topic over the cap:\n%s", log.String())
	}
}
