package discourse

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Following the changes of notified posts (DESIGN §13). In live mode the MessageBus session also
// listens on "/topic/{id}" of the topics PollerConfig.FollowTopics names; Discourse publishes
// there (Post#publish_change_to_clients!) "revised" from PostRevisor, "deleted" and "recovered"
// from PostDestroyer, and "acted" from PostActionCreator, which is how a flag that hides a post
// shows. A burst of messages about one post is one Change, ChangeDelay after the last.

// DefaultChangeDelay is the debounce of a post's changes when PollerConfig.ChangeDelay is 0.
const DefaultChangeDelay = 5 * time.Second

// TopicChannel is the MessageBus channel of a topic's post changes.
func TopicChannel(topicID int64) string { return "/topic/" + strconv.FormatInt(topicID, 10) }

// ChangeKind is what happened to a post.
type ChangeKind string

// The kinds of change followed.
const (
	PostEdited    ChangeKind = "edited"    // its text (or its topic's title) changed
	PostRemoved   ChangeKind = "removed"   // deleted, or hidden by flags
	PostRecovered ChangeKind = "recovered" // a deleted post is back
)

// Change is one followed change of a post. Post is the post as it reads now, rendered like a
// new post, for PostEdited and PostRecovered; PostRemoved carries only the ids. Topic says the
// topic's own fields (category, tags, title) may have changed too (PostRevisor's reload_topic):
// Post then carries the topic as it is now, read afresh.
type Change struct {
	Kind    ChangeKind
	TopicID int64
	PostID  int64
	Post    Post
	Topic   bool
}

// topicMessage is the data of a /topic/{id} message about a post.
type topicMessage struct {
	ID          int64  `json:"id"`
	PostNumber  int    `json:"post_number"`
	Type        string `json:"type"`
	ReloadTopic bool   `json:"reload_topic"`
}

// follower debounces changes per post and hands them on, fetching each post once.
type follower struct {
	p     *Poller
	mu    sync.Mutex
	timer map[int64]*time.Timer
	kind  map[int64]string // the latest message type per post waiting
	topic map[int64]int64
	dones map[int64][]func() // per post waiting: marks its messages handled (positions)
	// reload marks the posts waiting with a reload_topic message in their burst.
	reload map[int64]bool
	tries  map[int64]int // failed tries of the change waiting (again)
	pos    *positions
	wg     sync.WaitGroup
	ctx    context.Context
}

func newFollower(ctx context.Context, p *Poller, pos *positions) *follower {
	return &follower{p: p, ctx: ctx, pos: pos, timer: map[int64]*time.Timer{}, kind: map[int64]string{},
		topic: map[int64]int64{}, dones: map[int64][]func(){}, reload: map[int64]bool{}, tries: map[int64]int{}}
}

// topicOf returns the topic id of a /topic/{id} channel.
func topicOf(channel string) (int64, bool) {
	rest, ok := strings.CutPrefix(channel, "/topic/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// observe takes one /topic/{id} message, msg of channel ch. Types other than the followed ones
// (created, liked, read, …) are ignored: new posts come through /latest. The message counts as
// handled (for the position kept) once its post's change is handed on.
func (f *follower) observe(ch string, msg, topicID int64, data json.RawMessage) {
	done := f.pos.begin(ch, msg)
	var m topicMessage
	if json.Unmarshal(data, &m) != nil || m.ID == 0 {
		done()
		return
	}
	switch m.Type {
	case "revised", "deleted", "recovered", "acted":
	default:
		done()
		return
	}
	// A change of the topic's own fields (a move, new tags) matters even when no channel was
	// notified of the post: tag_added and the new category's rules may want it.
	reload := m.Type == "revised" && m.ReloadTopic
	if !reload && f.p.cfg.FollowPost != nil && !f.p.cfg.FollowPost(f.ctx, m.ID) {
		done()
		return // a post never notified: not worth a request
	}
	delay := f.p.cfg.ChangeDelay
	if delay <= 0 {
		delay = DefaultChangeDelay
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return
	}
	prev := f.kind[m.ID]
	// Within a burst, what the post is at the end decides: a deletion is not undone by a later
	// edit message, but a recovery after it is.
	if !(prev == "deleted" && m.Type != "recovered") {
		f.kind[m.ID] = m.Type
	}
	f.topic[m.ID] = topicID
	if reload {
		f.reload[m.ID] = true
	}
	f.dones[m.ID] = append(f.dones[m.ID], done)
	if t := f.timer[m.ID]; t != nil && t.Stop() {
		t.Reset(delay)
		return
	}
	// No timer, or one firing now (it waits for the lock, then finds itself replaced).
	f.schedule(m.ID, delay)
}

// schedule hands on post id's change after wait, replacing its timer. f.mu must be held.
func (f *follower) schedule(id int64, wait time.Duration) {
	f.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(wait, func() {
		defer f.wg.Done()
		f.fire(id, &t)
	})
	f.timer[id] = t
}

// fire hands on a post's settled change, unless timer t was replaced meanwhile.
func (f *follower) fire(id int64, t **time.Timer) {
	f.mu.Lock()
	if f.timer[id] != *t { // *t is set under the lock before the timer can matter
		f.mu.Unlock()
		return
	}
	typ, topicID, reload, dones := f.kind[id], f.topic[id], f.reload[id], f.dones[id]
	delete(f.kind, id)
	delete(f.topic, id)
	delete(f.reload, id)
	delete(f.timer, id)
	delete(f.dones, id)
	f.mu.Unlock()
	ctx := f.ctx
	if ctx.Err() != nil {
		return // stopping: the messages stay unhandled, and are replayed at the next start
	}
	handled := true // false: tried again later, its messages still unhandled
	defer func() {
		if handled && ctx.Err() == nil {
			f.mu.Lock()
			if f.timer[id] == nil {
				delete(f.tries, id)
			}
			f.mu.Unlock()
			for _, done := range dones {
				done()
			}
			f.pos.flush(ctx)
		}
	}()
	if f.p.cfg.Changed == nil {
		return
	}
	// hand hands on the change; one that could not be taken is tried again later.
	hand := func(c Change) {
		if err := f.p.cfg.Changed(ctx, c); err != nil && ctx.Err() == nil {
			handled = !f.again(id, typ, topicID, reload, dones, err)
		}
	}
	if typ == "deleted" {
		hand(Change{Kind: PostRemoved, TopicID: topicID, PostID: id})
		return
	}
	var post Post
	var err error
	if reload {
		post, err = f.p.reloadTopic(ctx, topicID, id) // one request: the topic, with its first post
	} else {
		post, err = f.p.c.Post(ctx, id)
	}
	post.ReadAt = time.Now()
	if err != nil {
		if IsNotFound(err) {
			hand(Change{Kind: PostRemoved, TopicID: topicID, PostID: id})
			return
		}
		handled = !f.again(id, typ, topicID, reload, dones, err)
		return
	}
	if post.Deleted || post.Hidden {
		hand(Change{Kind: PostRemoved, TopicID: topicID, PostID: id})
		return
	}
	if typ == "acted" {
		return // a like or a flag that did not hide it
	}
	if post.PostNumber == 1 && !reload {
		f.p.topics.Remove(post.TopicID) // the title may be what changed
	}
	ok, err := f.p.enrich(ctx, &post)
	if err != nil {
		handled = !f.again(id, typ, topicID, reload, dones, err)
		return
	}
	if !ok {
		f.p.log.Warn("follow a post's change: its topic is gone or not visible; the change is not followed", "post_id", id)
		return
	}
	kind := PostEdited
	if typ == "recovered" {
		kind = PostRecovered
	}
	hand(Change{Kind: kind, TopicID: post.TopicID, PostID: id, Post: post, Topic: reload})
}

// Tries of a change whose post or topic the forum did not give: the waits double from the
// debounce, up to maxChangeWait.
const (
	maxChangeTries = 6
	maxChangeWait  = time.Minute
)

// again schedules a post's change once more after the forum failed to give the post or its topic
// (an outage, a rate limit), or the Changed hook could not take it, unless the failure is for
// good or the tries are spent; it reports whether it did. A change of the post arriving meanwhile takes these messages with it.
func (f *follower) again(id int64, typ string, topicID int64, reload bool, dones []func(), cause error) bool {
	switch ErrorKind(cause) {
	case KindAuth, KindClient, KindDecode:
		f.p.log.Warn("follow a post's change: the forum refused it; the change is not followed", "post_id", id, "err", cause)
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return true // stopping: left unhandled, replayed at the next start
	}
	if f.timer[id] != nil { // a newer burst reads the post anew anyway
		f.dones[id] = append(f.dones[id], dones...)
		f.reload[id] = f.reload[id] || reload
		return true
	}
	tries := f.tries[id] + 1
	if tries >= maxChangeTries {
		delete(f.tries, id)
		f.p.log.Warn("follow a post's change: tried "+strconv.Itoa(tries)+" times; the change is not followed",
			"post_id", id, "err", cause)
		return false
	}
	delay := f.p.cfg.ChangeDelay
	if delay <= 0 {
		delay = DefaultChangeDelay
	}
	wait := min(delay<<tries, maxChangeWait)
	f.p.log.Info("follow a post's change: it cannot be followed now; trying again", "post_id", id, "retry_in", wait, "err", cause)
	f.tries[id] = tries
	f.kind[id], f.topic[id], f.dones[id] = typ, topicID, dones
	if reload {
		f.reload[id] = true
	}
	f.schedule(id, wait)
	return true
}

// stop cancels the waiting changes and waits for those being handed on.
func (f *follower) stop() {
	f.mu.Lock()
	for id, t := range f.timer {
		if t.Stop() {
			f.wg.Done()
		}
		delete(f.timer, id)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Post fetches one post (GET /posts/{id}.json). The answer names no topic title or category:
// enrich adds them from the topic.
func (c *Client) Post(ctx context.Context, id int64) (Post, error) {
	var w wirePost
	if err := c.call(ctx, "GET", "/posts/"+strconv.FormatInt(id, 10)+".json", nil, nil, &w); err != nil {
		return Post{}, err
	}
	return w.post(), nil
}
