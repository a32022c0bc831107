package discourse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Cursor names the poller keeps in the store.
const (
	CursorPosts        = "posts"
	CursorPrivatePosts = "private_posts"
)

// Topic cache bounds.
const (
	topicCacheSize = 1024
	topicTTL       = 5 * time.Minute
	// maxBackfillPages bounds the pages read on first start for forum.backfill.
	maxBackfillPages = 20
	defaultInterval  = 5 * time.Second
)

// CursorStore reads the poller's cursors; state.Store satisfies it.
type CursorStore interface {
	Cursor(ctx context.Context, name string) (int64, bool, error)
	// Cursors returns the set cursors whose name starts with prefix (the held posts).
	Cursors(ctx context.Context, prefix string) (map[string]int64, error)
}

// Handler receives a batch of new posts, oldest first, with the cursor they advance and its new
// value; it persists the cursor itself (with the batch's notifications, in one transaction). If
// it fails, the same posts are offered again on the next tick. posts may be empty: then only the
// cursor moves (first start, or a stretch of posts nobody is told about).
type Handler func(ctx context.Context, posts []Post, cursor string, value int64) error

// PollerConfig configures a Poller.
type PollerConfig struct {
	Interval      time.Duration // forum.poll_interval; 0 = 5 s
	NotifyDelay   time.Duration // a post is handed on only once it is this old
	Backfill      int           // on first start, hand on the last Backfill posts
	ExcerptLength int           // 0 = 400
	// Private reports whether private-message posts are wanted (any group_message rule exists); when
	// true each tick also polls /private-posts.json under its own cursor.
	Private func() bool
	// PrivateSince, when set, tells when private messages became wanted (the oldest group_message
	// rule's creation): a private stream that starts afresh hands on the posts since then, so
	// that nothing posted after a rule's creation is missed, and nothing before it replayed.
	PrivateSince func() time.Time
	// PrivateGroups, in live mode, names the groups whose private messages are wanted: their
	// MessageBus channels are followed in the same long poll as /latest (call Resubscribe when
	// the list changes).
	PrivateGroups func() []string
	// HoldFor bounds how long a post whose topic cannot be read is retried on its own before it
	// is announced from the post list alone (a private message is parked instead); 0 = 10 min.
	HoldFor time.Duration
	Logger  *slog.Logger
	Now     func() time.Time // nil = time.Now (tests)
	// Polled, when set, is told the outcome of every tick (nil: the forum answered and every
	// new post was handed on), for health checks.
	Polled func(err error)
	// Live makes Run listen on the forum's MessageBus (channel /latest) and poll when it says
	// something changed, and otherwise only every liveSafetyFactor intervals (forum.live).
	// Should the MessageBus fail, Run polls every Interval until it is back.
	Live bool
	// FollowTopics, in live mode, names the topics whose post changes are followed (DESIGN §13):
	// the session listens on their /topic/{id} channels too. nil follows none.
	FollowTopics func(ctx context.Context) []int64
	// FollowPost says whether a post's changes matter (it was notified); nil: all of them.
	FollowPost func(ctx context.Context, postID int64) bool
	// Changed receives each followed change, ChangeDelay (0: DefaultChangeDelay) after the last
	// MessageBus message of a burst about that post. An error means the change could not be taken
	// now (the store, the forum): it is offered again later, with backoff.
	Changed     func(ctx context.Context, c Change) error
	ChangeDelay time.Duration
	// Positions, in live mode, keeps the MessageBus ids of the followed topics across restarts,
	// so that changes made while the bot was down are replayed; nil keeps them in memory only.
	Positions BusPositions
}

// Poller finds new forum posts by polling /posts.json (and /private-posts.json) and hands them
// on, enriched with their topic's metadata and rendered.
type Poller struct {
	c       *Client
	k       *Catalog
	cursors CursorStore
	cfg     PollerConfig
	log     *slog.Logger
	topics  *lru.Cache[int64, topicEntry]
	// liveGap spaces long polls that came back with nothing new (a forum with long polling
	// off answers at once); liveRetry is the first wait before live mode is tried again.
	liveGap, liveRetry time.Duration
	holds              holds
	privateOff         bool // the private cursor is known to be unset (no group rule)
	resubMu            sync.Mutex
	resub              func()               // cancels the MessageBus poll in flight (Resubscribe)
	userID             int64                // the API user's id, for its private-message channel; 0 unknown
	live               atomic.Pointer[live] // while runLive runs (Live)
	// tooLarge backs off a stream whose newest page was over the client's size cap: until
	// then it reads forward from its cursor (normal-sized pages) instead.
	tooLargeMu sync.Mutex
	tooLarge   map[string]backoffUntil
}

// backoffUntil is a wait and when it ends.
type backoffUntil struct {
	until time.Time
	wait  time.Duration
}

// Waits before a stream whose newest page was over the size cap asks for it again.
const (
	tooLargeFirstWait = time.Minute
	tooLargeMaxWait   = time.Hour
)

// newestTooLarge reports whether s's newest page is being backed off; with failed it records
// one more answer over the cap and returns the wait until the next try.
func (p *Poller) newestTooLarge(s string, failed bool) (bool, time.Duration) {
	p.tooLargeMu.Lock()
	defer p.tooLargeMu.Unlock()
	if p.tooLarge == nil {
		p.tooLarge = map[string]backoffUntil{}
	}
	b, ok := p.tooLarge[s]
	if !failed {
		return ok && p.cfg.Now().Before(b.until), 0
	}
	b.wait = min(max(2*b.wait, tooLargeFirstWait), tooLargeMaxWait)
	b.until = p.cfg.Now().Add(b.wait)
	p.tooLarge[s] = b
	return true, b.wait
}

func (p *Poller) newestFits(s string) {
	p.tooLargeMu.Lock()
	defer p.tooLargeMu.Unlock()
	delete(p.tooLarge, s)
}

// topicEntry is a cached topic and when it was fetched. The TTL is checked on read (the
// expirable LRU's cleaner goroutine can never be stopped, see the package notes).
type topicEntry struct {
	t  Topic
	at time.Time
}

// NewPoller returns a poller; Run or PollOnce drive it.
func NewPoller(c *Client, k *Catalog, cursors CursorStore, cfg PollerConfig) *Poller {
	if cfg.Interval <= 0 {
		cfg.Interval = defaultInterval
	}
	if cfg.ExcerptLength <= 0 {
		cfg.ExcerptLength = DefaultExcerptLength
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = c.log
	}
	cache, _ := lru.New[int64, topicEntry](topicCacheSize) // only fails for a size <= 0
	return &Poller{c: c, k: k, cursors: cursors, cfg: cfg, log: cfg.Logger, topics: cache,
		liveGap: cfg.Interval, liveRetry: defaultLiveRetry, holds: holds{posts: map[string]*heldPost{}}}
}

// Run polls every Interval until ctx is done, then returns nil. A failed tick is logged and
// retried on the next one. With Live it polls when the forum's MessageBus reports a change
// instead (see runLive).
func (p *Poller) Run(ctx context.Context, handle Handler) error {
	if p.cfg.Live {
		return p.runLive(ctx, handle)
	}
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		p.tick(ctx, handle)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// tick runs PollOnce, logs its failure and reports its outcome, which it returns.
func (p *Poller) tick(ctx context.Context, handle Handler) error {
	err := p.PollOnce(ctx, handle)
	if err != nil && ctx.Err() == nil {
		level := slog.LevelWarn
		if errors.Is(err, ErrAuth) {
			level = slog.LevelError
		}
		p.log.Log(ctx, level, "forum poll failed", "err", err)
	}
	if p.cfg.Polled != nil && ctx.Err() == nil {
		p.cfg.Polled(err)
	}
	return err
}

// stream is one polled post list and its cursor.
type stream struct {
	cursor string
	fetch  func(ctx context.Context, before int64) ([]Post, error)
}

// PollOnce runs one tick: public posts, private-message posts when wanted, then the held posts
// that are due. When they are not (no group rule), the private cursor is unset, so that a group rule
// added later starts at its own creation rather than replaying every message since the last one.
func (p *Poller) PollOnce(ctx context.Context, handle Handler) error {
	err := p.poll(ctx, stream{CursorPosts, readAt(p.c.LatestPosts)}, handle)
	if p.cfg.Private != nil && p.cfg.Private() {
		p.privateOff = false
		err = errors.Join(err, p.poll(ctx, stream{CursorPrivatePosts, readAt(p.c.PrivatePosts)}, handle))
	} else if !p.privateOff {
		err = errors.Join(err, p.stopPrivate(ctx, handle))
	}
	return errors.Join(err, p.retryHolds(ctx, handle))
}

// readAt stamps the posts of each page fetch brings with the time its answer arrived (Post.ReadAt).
func readAt(fetch func(ctx context.Context, before int64) ([]Post, error)) func(ctx context.Context, before int64) ([]Post, error) {
	return func(ctx context.Context, before int64) ([]Post, error) {
		ps, err := fetch(ctx, before)
		at := time.Now()
		for i := range ps {
			ps[i].ReadAt = at
		}
		return ps, err
	}
}

// privateUnset is the private cursor's value while no group rule wants private messages.
const privateUnset = -1

// stopPrivate unsets the private cursor (to privateUnset: the Handler only sets cursors).
func (p *Poller) stopPrivate(ctx context.Context, handle Handler) error {
	cur, ok, err := p.cursors.Cursor(ctx, CursorPrivatePosts)
	if err != nil {
		return fmt.Errorf("read cursor %s: %w", CursorPrivatePosts, err)
	}
	if ok && cur != privateUnset {
		if err := handle(ctx, nil, CursorPrivatePosts, privateUnset); err != nil {
			return fmt.Errorf("stop %s: %w", CursorPrivatePosts, err)
		}
		p.log.Info("no group rule left: private messages are no longer followed")
	}
	p.privateOff = true
	return nil
}

// poll runs one tick of one stream. When idle it costs one request: the newest page. When more
// than a page arrived since the cursor, it reads forward from the cursor a page at a time
// (?before=cursor+51 holds every post just after it), handing each page on as its own batch.
func (p *Poller) poll(ctx context.Context, s stream, handle Handler) error {
	cur, ok, err := p.cursors.Cursor(ctx, s.cursor)
	if err != nil {
		return fmt.Errorf("read cursor %s: %w", s.cursor, err)
	}
	if backoff, _ := p.newestTooLarge(s.cursor, false); backoff && ok {
		return p.forward(ctx, s, cur, handle)
	}
	latest, err := s.fetch(ctx, 0)
	if errors.Is(err, ErrTooLarge) {
		_, wait := p.newestTooLarge(s.cursor, true)
		p.log.Error("the forum's page of newest posts is over the client's size cap; reading on from the cursor a page at a time, and asking for the newest again later",
			"cursor", s.cursor, "retry_in", wait, "err", err)
		if !ok {
			return fmt.Errorf("poll %s: %w", s.cursor, err) // no cursor yet to read on from
		}
		return p.forward(ctx, s, cur, handle)
	}
	if err != nil {
		return fmt.Errorf("poll %s: %w", s.cursor, err)
	}
	p.newestFits(s.cursor)
	if !ok || cur == privateUnset && s.cursor == CursorPrivatePosts {
		return p.start(ctx, s, latest, handle)
	}
	if len(latest) == 0 || latest[0].ID <= cur {
		return nil
	}
	from := cur
	oldest := latest[len(latest)-1].ID
	for len(latest) >= PostsPageSize && from+1 < oldest {
		upTo := from + PostsPageSize
		page, err := s.fetch(ctx, upTo+1) // before is exclusive: ids up to upTo
		if errors.Is(err, ErrTooLarge) {
			if err := p.skipPage(ctx, s, from, upTo, err, handle); err != nil {
				return err
			}
			from = upTo
			continue
		}
		if err != nil {
			return fmt.Errorf("catch up %s after %d: %w", s.cursor, from, err)
		}
		stopped, err := p.deliver(ctx, s, page, from, upTo, handle)
		if err != nil || stopped {
			return err
		}
		from = upTo
	}
	_, err = p.deliver(ctx, s, latest, from, latest[0].ID, handle)
	return err
}

// forward reads the page just after the cursor (?before=cursor+51) and hands on its posts: the
// poll of a stream whose newest page is too large to read.
func (p *Poller) forward(ctx context.Context, s stream, cur int64, handle Handler) error {
	upTo := cur + PostsPageSize
	page, err := s.fetch(ctx, upTo+1)
	if errors.Is(err, ErrTooLarge) {
		return p.skipPage(ctx, s, cur, upTo, err, handle)
	}
	if err != nil {
		return fmt.Errorf("read on %s after %d: %w", s.cursor, cur, err)
	}
	newest := cur // only up to the newest post seen: later ids may not exist yet
	for _, q := range page {
		if q.ID > newest && q.ID <= upTo {
			newest = q.ID
		}
	}
	if newest == cur {
		return nil
	}
	_, err = p.deliver(ctx, s, page, cur, newest, handle)
	return err
}

// skipPage moves the cursor past a page of posts the client cannot read (over its size cap):
// asking again would bring the same answer and stall every post after it. The loss is logged.
func (p *Poller) skipPage(ctx context.Context, s stream, from, upTo int64, cause error, handle Handler) error {
	p.log.Error("a page of forum posts is over the client's size cap: its posts are skipped",
		"cursor", s.cursor, "first_post_id", from+1, "last_post_id", upTo, "err", cause)
	if err := handle(ctx, nil, s.cursor, upTo); err != nil {
		return fmt.Errorf("skip %s %d–%d: %w", s.cursor, from+1, upTo, err)
	}
	return nil
}

// start handles the first tick of a stream (no cursor yet): it starts at the newest post, or
// hands on the last Backfill posts first.
func (p *Poller) start(ctx context.Context, s stream, latest []Post, handle Handler) error {
	var newest int64
	if len(latest) > 0 {
		newest = latest[0].ID
	}
	if s.cursor == CursorPrivatePosts && p.cfg.PrivateSince != nil && len(latest) > 0 {
		if since := p.cfg.PrivateSince(); !since.IsZero() {
			// Newest first: start after the newest post older than the rule (at most a page back).
			from := latest[len(latest)-1].ID - 1
			for _, q := range latest {
				if !q.CreatedAt.After(since) {
					from = q.ID
					break
				}
			}
			p.log.Info("private messages are followed from the first group rule's creation", "since", since, "after_post", from)
			_, err := p.deliver(ctx, s, latest, from, newest, handle)
			return err
		}
	}
	if p.cfg.Backfill <= 0 || len(latest) == 0 {
		if err := handle(ctx, nil, s.cursor, newest); err != nil {
			return fmt.Errorf("start %s at post %d: %w", s.cursor, newest, err)
		}
		p.log.Info("forum poller starts at the newest post", "cursor", s.cursor, "post_id", newest)
		return nil
	}
	all := slices.Clone(latest)
	for page := 1; countWanted(all) < p.cfg.Backfill && len(latest) >= PostsPageSize && page < maxBackfillPages; page++ {
		var err error
		if latest, err = s.fetch(ctx, all[len(all)-1].ID); err != nil { // the posts older than the oldest read
			return fmt.Errorf("backfill %s: %w", s.cursor, err)
		}
		all = append(all, latest...)
	}
	from := int64(0)
	n := 0
	for _, q := range all { // newest first
		if wanted(q) {
			if n++; n == p.cfg.Backfill {
				from = q.ID - 1
				break
			}
		}
	}
	p.log.Info("forum poller starts with a backfill", "cursor", s.cursor, "posts", min(n, p.cfg.Backfill))
	_, err := p.deliver(ctx, s, all, from, newest, handle)
	return err
}

// wanted reports whether a post is worth handing on: a visible regular post, or the whisper
// recording a category change.
func wanted(q Post) bool {
	if q.Deleted || q.Hidden {
		return false
	}
	return q.PostType == PostTypeRegular || q.ActionCode == "category_changed"
}

func countWanted(ps []Post) int {
	n := 0
	for _, q := range ps {
		if wanted(q) {
			n++
		}
	}
	return n
}

// deliver hands on the posts of page with from < id <= upTo, oldest first, and moves the cursor
// to upTo — or, when a post is younger than NotifyDelay, to just before it (stopped is then true).
func (p *Poller) deliver(ctx context.Context, s stream, page []Post, from, upTo int64, handle Handler) (stopped bool, err error) {
	var fresh []Post
	for _, q := range page {
		if q.ID > from && q.ID <= upTo {
			fresh = append(fresh, q)
		}
	}
	slices.SortFunc(fresh, func(a, b Post) int { return int(a.ID - b.ID) })
	fresh = slices.CompactFunc(fresh, func(a, b Post) bool { return a.ID == b.ID })
	value := upTo
	cutoff := p.cfg.Now().Add(-p.cfg.NotifyDelay)
	batch := make([]Post, 0, len(fresh))
	for _, q := range fresh {
		if p.cfg.NotifyDelay > 0 && q.CreatedAt.After(cutoff) {
			value, stopped = q.ID-1, true
			break
		}
		if !wanted(q) || p.isHeld(s.cursor, q.ID) {
			continue
		}
		listed := q
		ok, err := p.enrich(ctx, &q)
		if err != nil {
			if ctx.Err() != nil {
				return stopped, fmt.Errorf("%s post %d: %w", s.cursor, q.ID, err)
			}
			// The topic cannot be read: that post waits on its own, the others go on.
			if err := p.hold(ctx, s, listed, err, handle); err != nil {
				return stopped, err
			}
			continue
		}
		if ok {
			batch = append(batch, q)
		}
	}
	if value <= from {
		return stopped, nil
	}
	if err := handle(ctx, batch, s.cursor, value); err != nil {
		return stopped, fmt.Errorf("hand on %d %s (cursor %d→%d): %w", len(batch), s.cursor, from, value, err)
	}
	return stopped, nil
}

// enrich adds the topic's metadata and renders the post. It reports false for a post whose topic
// is gone (404) or hidden from the bot's forum user (403): only posts that user may see are
// announced, and one such topic must not hold up every post after it.
func (p *Poller) enrich(ctx context.Context, q *Post) (bool, error) {
	t, err := p.topic(ctx, q.TopicID)
	if err != nil {
		var api *APIError
		if IsNotFound(err) || (errors.As(err, &api) && api.Status == 403) {
			p.log.Debug("skip a post whose topic is gone or not visible", "post_id", q.ID, "topic_id", q.TopicID, "err", err)
			return false, nil
		}
		if errors.Is(err, ErrTooLarge) {
			p.log.Error("a topic's answer is over the client's size cap: its post is skipped",
				"post_id", q.ID, "topic_id", q.TopicID, "err", err)
			return false, nil
		}
		return false, err
	}
	if q.CategoryID != 0 && q.CategoryID != t.CategoryID {
		// The post's own category (from the list) is authoritative: the topic moved since it was
		// cached, so its tags and the rest may be stale too. A topic moved into a restricted
		// category must stop reaching public channels with this post, not when the cache expires.
		p.topics.Remove(q.TopicID)
		if t, err = p.topic(ctx, q.TopicID); err != nil {
			var api *APIError
			if IsNotFound(err) || (errors.As(err, &api) && api.Status == 403) {
				return false, nil
			}
			return false, err
		}
	}
	if q.TopicTitle == "" {
		q.TopicTitle = t.Title
	}
	if q.TopicSlug == "" {
		q.TopicSlug = t.Slug
	}
	if q.CategoryID == 0 {
		q.CategoryID = t.CategoryID // private-message lists carry no category
	}
	q.Tags = t.Tags
	q.Archetype = t.Archetype
	q.AllowedGroups = t.AllowedGroups
	p.c.RenderPost(ctx, q, p.k, p.cfg.ExcerptLength)
	return true, nil
}

// topic returns a topic's metadata from the cache, fetching it when missing or older than the TTL.
func (p *Poller) topic(ctx context.Context, id int64) (Topic, error) {
	now := p.cfg.Now()
	if e, ok := p.topics.Get(id); ok && now.Sub(e.at) < topicTTL && !e.at.After(now) {
		return e.t, nil
	}
	t, err := p.c.Topic(ctx, id)
	if err != nil {
		return Topic{}, fmt.Errorf("topic %d: %w", id, err)
	}
	p.topics.Add(id, topicEntry{t: t, at: now})
	return t, nil
}
