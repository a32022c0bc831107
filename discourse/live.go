package discourse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Live mode (PollerConfig.Live, DESIGN §8).
const (
	// liveSafetyFactor: in live mode a tick runs at least every liveSafetyFactor × Interval
	// (5 min by default), in case a MessageBus message was missed. Every post the bot wants has
	// a message (the ids are kept across errors, so the backlog replays), and the long poll
	// costs 2.4 requests a minute: this keeps an idle bot within 3.
	liveSafetyFactor = 60
	// defaultLiveRetry and maxLiveRetry bound the backoff between tries of a failed MessageBus:
	// at most ~27 s (with jitter) pass between the bus answering again and live mode.
	defaultLiveRetry = 2 * time.Second
	maxLiveRetry     = 25 * time.Second
)

// Live mode states.
const (
	liveStarting int32 = iota // first MessageBus call not answered yet
	liveUp                    // listening; ticks on change and as a safety net
	liveDown                  // MessageBus failing; ticks every Interval
)

// live is what the MessageBus listener tells the tick loop.
type live struct {
	mode    atomic.Int32
	changed chan struct{} // cap 1: the forum said something changed; signals coalesce
	moved   chan struct{} // cap 1: mode changed
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // one pending signal is enough
	}
}

func (l *live) set(mode int32) {
	if l.mode.Swap(mode) != mode {
		notify(l.moved)
	}
}

// Live reports whether the poller is listening on the forum's MessageBus now (false while it
// polls: live mode off, starting, or the MessageBus failing), for the web console.
func (p *Poller) Live() bool {
	l := p.live.Load()
	return l != nil && l.mode.Load() == liveUp
}

// runLive ticks when the MessageBus reports a change on /latest (a burst of messages costs one
// tick), at least every liveSafetyFactor × Interval, and every Interval while the MessageBus
// fails. A tick also follows the first MessageBus answer, so that no post falls between the
// first tick and the id the listener starts from.
func (p *Poller) runLive(ctx context.Context, handle Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	l := &live{changed: make(chan struct{}, 1), moved: make(chan struct{}, 1)}
	p.live.Store(l)
	defer p.live.Store(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.listen(ctx, l)
	}()
	defer func() {
		cancel()
		<-done
	}()
	// A first tick at once, as in polling mode (on a first start it sets the cursors, so posts
	// made while the bus is being reached are news); the first bus answer ticks again, covering
	// the time before the ids the listener starts from.
	last := time.Now() // start of the last tick
	failures := 0      // ticks failed in a row
	count := func(err error) {
		if err == nil {
			failures = 0
		} else {
			failures = min(failures+1, 7)
		}
	}
	count(p.tick(ctx, handle))
	for {
		var due <-chan time.Time
		var timer *time.Timer
		switch {
		case l.mode.Load() == liveDown:
			timer = time.NewTimer(time.Until(last.Add(p.cfg.Interval)))
		case failures > 0:
			// A failed tick (the forum, or the categories a batch needs, did not answer) is
			// tried again after Interval, doubling while it fails, up to the safety net: not
			// left to the next message.
			wait := min(p.cfg.Interval<<(failures-1), liveSafetyFactor*p.cfg.Interval)
			timer = time.NewTimer(time.Until(last.Add(wait)))
		case l.mode.Load() == liveUp:
			timer = time.NewTimer(time.Until(last.Add(liveSafetyFactor * p.cfg.Interval)))
		}
		if timer != nil {
			due = timer.C
		}
		var wake bool
		select {
		case <-ctx.Done():
		case <-l.moved:
		case <-l.changed:
			wake = true
		case <-due:
			wake = true
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
		if !wake {
			continue
		}
		select { // this tick covers every change reported so far
		case <-l.changed:
		default:
		}
		last = time.Now()
		count(p.tick(ctx, handle))
	}
}

// listen keeps a MessageBus session open, and after a failure retries it with backoff while
// the tick loop falls back to polling every Interval. The last id of every channel is kept
// across failures, as message-bus.js does, so the forum replays what was missed; the retries
// stay within maxLiveRetry, so live mode is back within about that long of the bus answering.
// An outage is logged once at warn level.
func (p *Poller) listen(ctx context.Context, l *live) {
	bus := p.c.NewMessageBus()
	pos := newPositions(p.cfg.Positions, p.log)
	f := newFollower(ctx, p, pos)
	defer f.stop()
	eb := liveBackoff(p.liveRetry)
	ids := pos.load(ctx) // last id seen per channel: the followed topics' from the last run
	down := false
	for {
		err := p.session(ctx, bus, l, f, ids, func(healthy bool) {
			if healthy {
				eb.Reset()
			}
			if down {
				down = false
				p.log.Info("forum live mode is back")
			}
		})
		if ctx.Err() != nil {
			return
		}
		l.set(liveDown)
		wait := eb.NextBackOff()
		var rl *rateLimited
		if errors.As(err, &rl) {
			wait = max(wait, rl.wait)
		}
		if !down {
			down = true
			p.log.Warn("forum live mode unavailable, polling every interval",
				"err", err, "poll_interval", p.cfg.Interval, "retry_in", wait)
		} else {
			p.log.Debug("forum live mode still failing", "err", err, "retry_in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// liveBackoff spaces the tries of a failing MessageBus: from first, growing to maxLiveRetry.
func liveBackoff(first time.Duration) *backoff.ExponentialBackOff {
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = first
	eb.MaxInterval = max(first, maxLiveRetry)
	eb.RandomizationFactor = 0.1
	return eb
}

// PrivateMessageGroupChannel is the MessageBus channel on which the forum announces a group's new
// private messages (PrivateMessageTopicTrackingState.group_channel). Its messages reach only
// members of the group: the API user must be one for live private messages.
func PrivateMessageGroupChannel(groupID int64) string {
	return "/private-message-topic-tracking-state/group/" + strconv.FormatInt(groupID, 10)
}

// PrivateMessageUserChannel is the MessageBus channel on which the forum tells a user of new
// replies in the private messages that user tracks (PrivateMessageTopicTrackingState.user_channel):
// for the API user, the replies in its groups' messages, if it is a member that tracks them.
func PrivateMessageUserChannel(userID int64) string {
	return "/private-message-topic-tracking-state/user/" + strconv.FormatInt(userID, 10)
}

// channels lists the MessageBus channels to follow: /latest, /categories, and when private
// messages are wanted, the private-message channel of every group the PrivateGroups config names
// (new messages) and the API user's own (replies). An unknown group, or an id the forum cannot
// give now, leaves its channel out until the next poll.
func (p *Poller) channels(ctx context.Context) []string {
	out := []string{ChannelLatest, ChannelCategories}
	if p.cfg.PrivateGroups == nil || p.cfg.Private != nil && !p.cfg.Private() {
		return out
	}
	if p.userID == 0 {
		id, err := p.c.UserID(ctx)
		if err != nil {
			p.log.Debug("live private messages: the API user's id is unknown for now", "err", err)
		}
		p.userID = id
	}
	if p.userID != 0 {
		out = append(out, PrivateMessageUserChannel(p.userID))
	}
	for _, g := range p.cfg.PrivateGroups() {
		id, ok, err := p.k.GroupID(ctx, g)
		if err != nil {
			p.log.Debug("live private messages: group id unknown for now", "group", g, "err", err)
			continue
		}
		if ok {
			out = append(out, PrivateMessageGroupChannel(id))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Resubscribe makes the MessageBus listener ask again which channels to follow (the group
// rules changed) instead of finishing its current long poll first.
func (p *Poller) Resubscribe() {
	p.resubMu.Lock()
	defer p.resubMu.Unlock()
	if p.resub != nil {
		p.resub()
	}
}

// session long-polls the channels from their last ids (-1 for a channel not seen yet, which
// asks only for its current id), signalling a change for every answer that carries news,
// until a call fails. up is told when the session is up (healthy false) and after each
// successful long poll (healthy true).
func (p *Poller) session(ctx context.Context, bus *MessageBus, l *live, f *follower, ids map[string]int64, up func(healthy bool)) error {
	started := false
	var quiet time.Time // start of the last long poll that brought nothing
	for {
		if !quiet.IsZero() && p.liveGap > 0 {
			t := time.NewTimer(time.Until(quiet.Add(p.liveGap)))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		chans := p.channels(ctx)
		if p.cfg.FollowTopics != nil {
			topics := map[string]bool{}
			for _, id := range p.cfg.FollowTopics(ctx) {
				ch := TopicChannel(id)
				topics[ch] = true
				chans = append(chans, ch)
			}
			forgot := false
			for ch := range ids { // a topic no longer followed is forgotten
				if _, ok := topicOf(ch); ok && !topics[ch] {
					delete(ids, ch)
					f.pos.forget(ch)
					forgot = true
				}
			}
			if forgot {
				f.pos.flush(ctx)
			}
		}
		last := make(map[string]int64, len(chans))
		for _, ch := range chans {
			last[ch] = -1
			if id, ok := ids[ch]; ok {
				last[ch] = id
			}
		}
		pctx, cancel := context.WithCancel(ctx)
		p.resubMu.Lock()
		p.resub = cancel
		p.resubMu.Unlock()
		start := time.Now()
		poll, first := bus.Poll, !started
		if first {
			poll = bus.PollNow // the first call of a session answers at once: the bus is back
		}
		msgs, err := poll(pctx, last)
		resubscribed := pctx.Err() != nil && ctx.Err() == nil
		cancel()
		if resubscribed {
			continue // the channel list changed: poll again with it
		}
		if err != nil {
			return err
		}
		news := false
		for _, m := range msgs {
			if m.Channel == channelStatus {
				for _, ch := range chans {
					v, ok := m.Status(ch)
					if !ok {
						continue
					}
					if _, topic := topicOf(ch); topic {
						if last[ch] >= 0 && v != last[ch] {
							p.log.Debug("forum live mode: a topic's MessageBus id moved (a reset bus, or messages the API user may not read): changes in between are not followed",
								"channel", ch, "from", last[ch], "to", v)
						}
						ids[ch] = v
						f.pos.saw(ch, v)
						continue
					}
					if ch == ChannelCategories {
						if last[ch] >= 0 && v != last[ch] {
							// A change published to groups the API user is not in (a category
							// made read-restricted), or a reset bus: read the categories again.
							p.k.CategoriesChanged()
						}
						ids[ch] = v
						continue
					}
					switch {
					case last[ch] >= 0 && v != last[ch]:
						// The bus was reset, or moved past messages the API user may not read:
						// start from its id, and look in case something was missed.
						news = true
					case last[ch] < 0 && started:
						// A channel joined mid-session (a new group rule): look once, for what
						// came before its id.
						news = true
					}
					ids[ch] = v
				}
				continue
			}
			if _, ok := last[m.Channel]; ok && m.MessageID > ids[m.Channel] {
				ids[m.Channel] = m.MessageID
				if topic, ok := topicOf(m.Channel); ok {
					// A post's change, not news for the post lists. Handled first, then seen:
					// the position kept never passes a message not yet handled.
					f.observe(m.Channel, m.MessageID, topic, m.Data)
					f.pos.saw(m.Channel, m.MessageID)
					continue
				}
				if m.Channel == ChannelCategories {
					p.k.CategoriesChanged() // permissions may have changed: read them again
					continue
				}
				news = true
			}
		}
		f.pos.flush(ctx)
		for _, ch := range chans {
			if _, ok := ids[ch]; !ok {
				return fmt.Errorf("POST /message-bus/{client}/poll: the answer to -1 holds no id for %s", ch)
			}
		}
		if !started {
			started = true
			l.set(liveUp)
			// The first tick (or the one after an outage, or on a new channel) covers the time
			// before the ids, and a replayed backlog is news too.
			notify(l.changed)
			up(false)
		} else {
			up(true)
		}
		quiet = time.Time{}
		if news {
			notify(l.changed)
		} else if !first && len(msgs) == 0 {
			quiet = start // a forum with long polling off answers at once: space the polls
		}
	}
}
