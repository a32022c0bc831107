package discourse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Held posts: a post whose topic cannot be read (/t/{id}.json keeps answering 5xx or bad JSON)
// is set aside and retried on its own with backoff, so that it holds up no other post. After
// PollerConfig.HoldFor it is handed on from what the post list said of it, or, for a private
// message (whose groups only the topic tells), parked: it stays visible in Held.
const (
	defaultHoldFor = 10 * time.Minute
	maxHoldRetry   = time.Minute
	// holdTry bounds one retry of a held post (the client's own retries included), so that a
	// topic that keeps failing delays the tick only that long.
	holdTry = 3 * time.Second
	// heldPrefix names the cursors that keep held posts across restarts: "held.<stream>.<post id>",
	// valued the hold's start in Unix milliseconds, heldDone once handed on, heldParked once parked.
	heldPrefix = "held."
	heldDone   = 0
	heldParked = -1
)

// HeldPost is a post set aside because its topic could not be read.
type HeldPost struct {
	PostID, TopicID int64
	Stream          string // CursorPosts or CursorPrivatePosts
	Since           time.Time
	Attempts        int
	LastError       string
	Parked          bool // given up on: it will not be announced
}

type heldPost struct {
	HeldPost
	post *Post // as the post list gave it; nil after a restart until it is read again
	next time.Time
}

// holds is the poller's set of held posts, safe to read from other goroutines (Held).
type holds struct {
	mu     sync.Mutex
	posts  map[string]*heldPost // by cursor name
	loaded bool
}

func heldCursor(stream string, postID int64) string {
	return heldPrefix + stream + "." + strconv.FormatInt(postID, 10)
}

// Held returns the posts set aside because their topic could not be read, oldest first.
func (p *Poller) Held() []HeldPost {
	p.holds.mu.Lock()
	defer p.holds.mu.Unlock()
	out := make([]HeldPost, 0, len(p.holds.posts))
	for _, h := range p.holds.posts {
		out = append(out, h.HeldPost)
	}
	slices.SortFunc(out, func(a, b HeldPost) int { return int(a.PostID - b.PostID) })
	return out
}

// holdRetry is the wait before a held post's attempt-th retry.
func (p *Poller) holdRetry(attempt int) time.Duration {
	d := p.cfg.Interval
	for i := 1; i < attempt && d < maxHoldRetry; i++ {
		d *= 2
	}
	return min(d, maxHoldRetry)
}

// hold sets q aside after its topic failed to load, persisting the hold first so that a restart
// neither loses it nor announces it twice.
func (p *Poller) hold(ctx context.Context, s stream, q Post, cause error, handle Handler) error {
	name := heldCursor(s.cursor, q.ID)
	p.holds.mu.Lock()
	_, known := p.holds.posts[name]
	p.holds.mu.Unlock()
	if known {
		return nil
	}
	now := p.cfg.Now()
	if err := handle(ctx, nil, name, max(1, now.UnixMilli())); err != nil {
		return fmt.Errorf("hold %s post %d: %w", s.cursor, q.ID, err)
	}
	p.log.Warn("a post's topic cannot be read: holding it back and retrying it on its own",
		"post_id", q.ID, "topic_id", q.TopicID, "err", cause)
	post := q
	p.holds.mu.Lock()
	p.holds.posts[name] = &heldPost{HeldPost: HeldPost{PostID: q.ID, TopicID: q.TopicID, Stream: s.cursor,
		Since: now, Attempts: 1, LastError: cause.Error()}, post: &post, next: now.Add(p.holdRetry(1))}
	p.holds.mu.Unlock()
	return nil
}

// loadHolds reads the holds a previous run left, once.
func (p *Poller) loadHolds(ctx context.Context) error {
	p.holds.mu.Lock()
	loaded := p.holds.loaded
	p.holds.mu.Unlock()
	if loaded {
		return nil
	}
	got, err := p.cursors.Cursors(ctx, heldPrefix)
	if err != nil {
		return fmt.Errorf("read held posts: %w", err)
	}
	now := p.cfg.Now()
	p.holds.mu.Lock()
	defer p.holds.mu.Unlock()
	for name, v := range got {
		stream, idText, ok := strings.Cut(strings.TrimPrefix(name, heldPrefix), ".")
		id, err := strconv.ParseInt(idText, 10, 64)
		if !ok || err != nil || v == heldDone || stream != CursorPosts && stream != CursorPrivatePosts {
			continue
		}
		h := &heldPost{HeldPost: HeldPost{PostID: id, Stream: stream, Since: time.UnixMilli(v), Attempts: 1}, next: now}
		if v == heldParked {
			h.Parked, h.Since = true, time.Time{}
		}
		p.holds.posts[name] = h
	}
	p.holds.loaded = true
	return nil
}

// retryHolds tries again every held post that is due, and gives up on those held for HoldFor.
func (p *Poller) retryHolds(ctx context.Context, handle Handler) error {
	if err := p.loadHolds(ctx); err != nil {
		return err
	}
	now := p.cfg.Now()
	p.holds.mu.Lock()
	var due []string
	for name, h := range p.holds.posts {
		if !h.Parked && !h.next.After(now) {
			due = append(due, name)
		}
	}
	p.holds.mu.Unlock()
	slices.Sort(due)
	var errs []error
	for _, name := range due {
		if err := p.retryHold(ctx, name, handle); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("held posts: %w", errs[0])
	}
	return nil
}

func (p *Poller) retryHold(ctx context.Context, name string, handle Handler) error {
	tctx, cancel := context.WithTimeout(ctx, holdTry)
	defer cancel()
	p.holds.mu.Lock()
	h := *p.holds.posts[name]
	p.holds.mu.Unlock()
	now := p.cfg.Now()
	if h.post == nil { // held before a restart: read the post again
		fetch := readAt(p.c.LatestPosts)
		if h.Stream == CursorPrivatePosts {
			fetch = readAt(p.c.PrivatePosts)
		}
		page, err := fetch(tctx, h.PostID+1)
		if err != nil {
			return p.failedHold(name, now, err)
		}
		i := slices.IndexFunc(page, func(q Post) bool { return q.ID == h.PostID })
		if i < 0 { // gone from the forum: nothing to announce
			return p.endHold(ctx, name, nil, heldDone, handle)
		}
		q := page[i]
		h.post, h.TopicID = &q, q.TopicID
		p.holds.mu.Lock()
		p.holds.posts[name].post, p.holds.posts[name].TopicID = &q, q.TopicID
		p.holds.mu.Unlock()
	}
	q := *h.post
	ok, err := p.enrich(tctx, &q)
	switch {
	case err == nil && !ok:
		return p.endHold(ctx, name, nil, heldDone, handle)
	case err == nil:
		p.log.Info("a held post's topic could be read: handing it on", "post_id", q.ID, "topic_id", q.TopicID, "attempts", h.Attempts+1)
		return p.endHold(ctx, name, &q, heldDone, handle)
	case ctx.Err() != nil:
		return err
	case now.Sub(h.Since) < p.holdFor():
		return p.failedHold(name, now, err)
	}
	// Held for too long: announce what the post list said, or park a private message.
	q = *h.post
	if q.Archetype == "private_message" || h.Stream == CursorPrivatePosts {
		p.log.Error("a private message's topic could not be read for too long: parked, it will not be announced",
			"post_id", q.ID, "topic_id", q.TopicID, "held_for", p.holdFor(), "err", err)
		return p.endHold(ctx, name, nil, heldParked, handle)
	}
	p.log.Warn("a held post's topic could not be read for too long: announcing it from the post list alone",
		"post_id", q.ID, "topic_id", q.TopicID, "held_for", p.holdFor(), "err", err)
	p.c.RenderPost(ctx, &q, p.k, p.cfg.ExcerptLength)
	return p.endHold(ctx, name, &q, heldDone, handle)
}

func (p *Poller) holdFor() time.Duration {
	if p.cfg.HoldFor > 0 {
		return p.cfg.HoldFor
	}
	return defaultHoldFor
}

// failedHold counts a failed retry and schedules the next.
func (p *Poller) failedHold(name string, now time.Time, err error) error {
	p.holds.mu.Lock()
	defer p.holds.mu.Unlock()
	h := p.holds.posts[name]
	h.Attempts++
	h.LastError = err.Error()
	h.next = now.Add(p.holdRetry(h.Attempts))
	p.log.Debug("held post still failing", "post_id", h.PostID, "topic_id", h.TopicID, "attempts", h.Attempts, "retry_in", h.next.Sub(now), "err", err)
	return nil
}

// endHold hands q on (nil: nothing to announce) and records the hold's end in one transaction.
func (p *Poller) endHold(ctx context.Context, name string, q *Post, value int64, handle Handler) error {
	var batch []Post
	if q != nil {
		batch = []Post{*q}
	}
	if err := handle(ctx, batch, name, value); err != nil {
		return fmt.Errorf("hand on held post (%s): %w", name, err)
	}
	p.holds.mu.Lock()
	defer p.holds.mu.Unlock()
	if value == heldParked {
		h := p.holds.posts[name]
		h.Parked = true
		return nil
	}
	delete(p.holds.posts, name)
	return nil
}

// isHeld reports whether a post of stream is held (then the stream skips it).
func (p *Poller) isHeld(stream string, id int64) bool {
	p.holds.mu.Lock()
	defer p.holds.mu.Unlock()
	_, ok := p.holds.posts[heldCursor(stream, id)]
	return ok
}
