package discourse_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
)

func TestFirstStartDoesNotFlood(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 7)
	cur := newCursors()
	p := newPoller(t, c, cur, discourse.PollerConfig{})

	pollOnce(t, p, cur)
	if got := cur.ids(); len(got) != 0 {
		t.Fatalf("first start handed on old posts %v; want none", got)
	}
	if got, want := cur.value(discourse.CursorPosts), ids[len(ids)-1]; got != want {
		t.Fatalf("cursor after first start = %d, want the newest post %d", got, want)
	}
	reply := f.Reply(1, "bob", "A reply after the start")
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{reply}) {
		t.Fatalf("after one reply got %v, want [%d]", got, reply)
	}
}

func TestBackfill(t *testing.T) {
	tests := []struct {
		name     string
		existing int
		backfill int
	}{
		{"last three of ten", 10, 3},
		{"more asked than exist", 4, 10},
		{"backfill reaching past one page", 70, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newForum(t)
			ids := seedPosts(f, tt.existing)
			cur := newCursors()
			p := newPoller(t, c, cur, discourse.PollerConfig{Backfill: tt.backfill})
			pollOnce(t, p, cur)
			want := ids[max(0, len(ids)-tt.backfill):]
			if got := cur.ids(); !slices.Equal(got, want) {
				t.Fatalf("backfill handed on %v, want %v", got, want)
			}
			if got := cur.value(discourse.CursorPosts); got != ids[len(ids)-1] {
				t.Fatalf("cursor = %d, want %d", got, ids[len(ids)-1])
			}
		})
	}
}

func TestExactlyOnceAcrossRestartAndFailure(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 3)
	cur := newCursors()
	var want []int64

	first := newPoller(t, c, cur, discourse.PollerConfig{})
	pollOnce(t, first, cur)
	want = append(want, f.Reply(1, "bob", "one"), f.Reply(2, "bob", "two"))
	pollOnce(t, first, cur)

	// The handler fails: nothing is persisted, and the next tick offers the same posts again.
	want = append(want, f.Reply(3, "carol", "three"))
	cur.failErr = errors.New("disk full")
	if err := first.PollOnce(t.Context(), cur.handle); err == nil {
		t.Fatal("PollOnce hid the handler's failure")
	}
	cur.failErr = nil

	// Restart: a new poller over the same persisted cursors.
	second := newPoller(t, c, cur, discourse.PollerConfig{})
	want = append(want, f.Reply(1, "dave", "four"))
	pollOnce(t, second, cur)
	pollOnce(t, second, cur)
	if got := cur.ids(); !slices.Equal(got, want) {
		t.Fatalf("handed on %v, want each of %v exactly once, in order", got, want)
	}
}

func TestCatchUpPagesForwardFromTheCursor(t *testing.T) {
	f, _, cur, p := pollingPastStart(t, 5, discourse.PollerConfig{})

	var want []int64
	for i := range 120 {
		id := f.Reply(int64(1+i%5), "bob", "catch-up reply")
		if i == 30 || i == 75 {
			f.DeletePost(id) // gaps are fine
			continue
		}
		want = append(want, id)
	}
	before := f.Requests("/posts.json")
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, want) {
		t.Fatalf("catch-up handed on %d posts %v, want %d posts %v", len(got), got, len(want), want)
	}
	// The newest page, then ?before=cursor+51 and cursor+101; the newest page covers the rest.
	if got := f.Requests("/posts.json") - before; got != 3 {
		t.Errorf("catch-up of 120 posts took %d /posts.json requests, want 3", got)
	}
	if got := f.Requests("/t/1.json"); got != 1 {
		t.Errorf("topic 1 fetched %d times for 24 replies, want 1 (cached)", got)
	}
}

// TestBeforeIsExclusive pins /posts.json?before=N to the forum's meaning (LatestPostsQuery:
// "posts.id < before"; openapi.json: "Load posts with an id lower than this value").
func TestBeforeIsExclusive(t *testing.T) {
	f, c := newForum(t)
	ids := seedPosts(f, 5)
	posts, err := c.LatestPosts(t.Context(), ids[3])
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, p := range posts {
		got = append(got, p.ID)
	}
	want := slices.Clone(ids[:3])
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Fatalf("before=%d answered %v, want %v (ids lower than before, newest first)", ids[3], got, want)
	}
}

// TestCatchUpLosesNothingAtPageEdges: a gap of several pages is read forward without skipping the
// last post of each page.
func TestCatchUpLosesNothingAtPageEdges(t *testing.T) {
	f, _, cur, p := pollingPastStart(t, 1, discourse.PollerConfig{})
	var want []int64
	for range 3*discourse.PostsPageSize + 7 {
		want = append(want, f.Reply(1, "bob", "catch-up reply"))
	}
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, want) {
		var missing []int64
		for _, id := range want {
			if !slices.Contains(got, id) {
				missing = append(missing, id)
			}
		}
		t.Fatalf("catch-up handed on %d posts, want %d; missing %v", len(got), len(want), missing)
	}
}

func TestIdleTickCostsOneRequest(t *testing.T) {
	f, c, cur, p := pollingPastStart(t, 3, discourse.PollerConfig{Private: func() bool { return false }})
	for range 5 {
		before := c.Requests()
		pollOnce(t, p, cur)
		if got := c.Requests() - before; got != 1 {
			t.Fatalf("idle tick made %d requests, want 1", got)
		}
	}
	if got := f.Requests(""); got != 6 {
		t.Fatalf("forum saw %d requests for 6 ticks, want 6", got)
	}
}

func TestSkipsDeletedHiddenAndSmallActions(t *testing.T) {
	f, _, cur, p := pollingPastStart(t, 1, discourse.PollerConfig{})
	deleted := f.Reply(1, "bob", "deleted")
	hidden := f.Reply(1, "bob", "hidden")
	f.AddSmallAction(1, "system", "closed.enabled")
	kept := f.Reply(1, "bob", "kept")
	f.DeletePost(deleted)
	f.HidePost(hidden)
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{kept}) {
		t.Fatalf("handed on %v, want only %d", got, kept)
	}
	if got := cur.value(discourse.CursorPosts); got != kept {
		t.Fatalf("cursor = %d, want %d", got, kept)
	}
}

func TestNotifyDelay(t *testing.T) {
	f, c := newForum(t)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.SetClock(func() time.Time { return base })
	seedPosts(f, 1)
	cur := newCursors()
	now := base
	p := newPoller(t, c, cur, discourse.PollerConfig{NotifyDelay: 20 * time.Second, Now: func() time.Time { return now }})
	pollOnce(t, p, cur)
	start := cur.value(discourse.CursorPosts)

	older := f.Reply(1, "bob", "older")
	f.SetClock(func() time.Time { return base.Add(15 * time.Second) })
	younger := f.Reply(1, "bob", "younger")

	now = base.Add(25 * time.Second) // older is 25 s old, younger 10 s
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{older}) {
		t.Fatalf("at +25s handed on %v, want only the post old enough (%d)", got, older)
	}
	if got := cur.value(discourse.CursorPosts); got >= younger || got < start {
		t.Fatalf("cursor = %d, want it before the young post %d", got, younger)
	}
	now = base.Add(40 * time.Second)
	pollOnce(t, p, cur)
	if got := cur.ids(); !slices.Equal(got, []int64{older, younger}) {
		t.Fatalf("at +40s handed on %v, want %v", got, []int64{older, younger})
	}
}

func TestPostsAreEnrichedAndRendered(t *testing.T) {
	f, c := newForum(t)
	parent := f.AddCategory(discourse.Category{Name: "Support", Color: "BF1E2E"})
	child := f.AddCategory(discourse.Category{Name: "Printers", ParentID: parent, Color: "25AAE2"})
	f.AddGroup("moderators")
	f.AddUser("alice", "Alice Liddell")
	cur := newCursors()
	p := newPoller(t, c, cur, discourse.PollerConfig{ExcerptLength: 40, Private: func() bool { return true }})
	pollOnce(t, p, cur)

	topic, first := f.CreateTopic("Paper jam", `<p>It jams <img src="/images/emoji/twitter/frowning.png?v=12" title=":frowning:" class="emoji" alt=":frowning:"> every time, <a class="mention-group notify" href="/groups/moderators">@moderators</a> please help with this one.</p>`, "alice", child, "hardware", "urgent")
	_, pm := f.CreatePrivateMessage("Secret", "<p>For the moderators only</p>", "bob", "moderators")
	pollOnce(t, p, cur)

	posts := cur.posts()
	if len(posts) != 2 {
		t.Fatalf("handed on %d posts, want 2", len(posts))
	}
	got := posts[0]
	want := discourse.Post{
		ID: first, TopicID: topic, PostNumber: 1, PostType: 1, Username: "alice", Name: "Alice Liddell",
		TopicTitle: "Paper jam", TopicSlug: "paper-jam", CategoryID: child, Tags: []string{"hardware", "urgent"},
		Archetype: "regular", MentionedGroups: []string{"moderators"},
		URL:          f.URL() + "/t/paper-jam/1/1",
		CategoryPath: "Support/Printers", CategoryColor: "25AAE2",
		Excerpt:   "It jams :frowning: every time…",
		AvatarURL: f.URL() + "/letter_avatar_proxy/v4/letter/a/8e7dd6/90.png",
	}
	got.Cooked, got.CreatedAt = "", time.Time{}
	if !postsEqual(got, want) {
		t.Errorf("public post\n got %+v\nwant %+v", got, want)
	}
	if p := posts[1]; p.ID != pm || !p.IsPrivateMessage() || !slices.Equal(p.AllowedGroups, []string{"moderators"}) || p.CategoryPath != "" {
		t.Errorf("private message post = %+v; want archetype private_message, allowed groups [moderators], no category", p)
	}
}

func postsEqual(a, b discourse.Post) bool {
	return a.ID == b.ID && a.TopicID == b.TopicID && a.PostNumber == b.PostNumber && a.PostType == b.PostType &&
		a.Username == b.Username && a.Name == b.Name && a.TopicTitle == b.TopicTitle && a.TopicSlug == b.TopicSlug &&
		a.CategoryID == b.CategoryID && slices.Equal(a.Tags, b.Tags) && a.Archetype == b.Archetype &&
		slices.Equal(a.MentionedGroups, b.MentionedGroups) && slices.Equal(a.AllowedGroups, b.AllowedGroups) &&
		a.URL == b.URL && a.CategoryPath == b.CategoryPath && a.CategoryColor == b.CategoryColor &&
		a.Excerpt == b.Excerpt && a.AvatarURL == b.AvatarURL
}

func TestRunStopsWithContext(t *testing.T) {
	f, c := newForum(t)
	seedPosts(f, 2)
	cur := newCursors()
	p := newPoller(t, c, cur, discourse.PollerConfig{Interval: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, cur.handle) }()
	waitFor(t, "the first tick", func() bool { _, ok, _ := cur.Cursor(ctx, discourse.CursorPosts); return ok })
	reply := f.Reply(1, "bob", "seen by Run")
	waitFor(t, "the reply handed on", func() bool { return slices.Contains(cur.ids(), reply) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Wait{Limit: 10 * time.Second, Every: time.Millisecond}.Until(t, what, cond)
}
