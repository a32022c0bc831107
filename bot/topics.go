package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Topic moves and new tags (DESIGN §13). The store keeps each known topic's category and tags
// (state.TopicState); a reload_topic change of its first post is compared with them. A move
// notifies the new category's rules as the plugin's category_changed does; a new tag notifies
// the tag_added rules. Each (channel, topic, category) and (channel, topic, tag) is announced at
// most once, by the store's notices, so moves back and forth and restarts repeat nothing.

// MatchMoved returns the notifications of a topic moved into p's category, as the plugin's
// category_changed small action makes them: the new category's own rules (follow included), the
// channel's strongest rule deciding, mute notifying nobody.
func (m *Matcher) MatchMoved(p discourse.Post) []Match {
	if m == nil || len(m.rules) == 0 || p.Hidden || p.Deleted || p.IsPrivateMessage() {
		return nil
	}
	return m.match(p, false, true)
}

// TagMatch is a tag_added notification: its channel and rule, and the new tags it is about.
type TagMatch struct {
	Match
	Tags []string
}

// MatchTagsAdded returns the notifications of topic p gaining the tags added, one per channel
// (ordered by channel), as the plugin's tags_changed small action makes them: the tag_added rules
// of p's category and of all categories; a rule with tags needs one of them added and none of
// them on the topic before; a rule without tags hears any. Beyond the plugin, a channel whose
// mute rule matches the topic hears nothing.
func (m *Matcher) MatchTagsAdded(p discourse.Post, added []string) []TagMatch {
	if m == nil || len(m.tagAdded) == 0 || len(added) == 0 || p.Hidden || p.Deleted || p.IsPrivateMessage() {
		return nil
	}
	tags := state.NormalizeTags(p.Tags)
	added = state.NormalizeTags(added)
	inCategory := func(r state.Rule) bool { return r.CategoryID == 0 || r.CategoryID == p.CategoryID }
	muted := map[string]bool{}
	for _, r := range m.mutes {
		if inCategory(r) && (len(r.Tags) == 0 || anyIn(state.NormalizeTags(r.Tags), tags)) {
			muted[r.Channel] = true
		}
	}
	byChannel := map[string]*TagMatch{}
	for _, r := range m.tagAdded {
		if muted[r.Channel] || !inCategory(r) {
			continue
		}
		want := state.NormalizeTags(r.Tags)
		var hit []string
		if len(want) == 0 {
			hit = added
		} else {
			if anyIn(want, slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return slices.Contains(added, t) })) {
				continue // the topic carried one of them already
			}
			for _, t := range added {
				if slices.Contains(want, t) {
					hit = append(hit, t)
				}
			}
		}
		if len(hit) == 0 {
			continue
		}
		if tm := byChannel[r.Channel]; tm != nil {
			tm.Tags = state.NormalizeTags(append(tm.Tags, hit...))
			continue
		}
		byChannel[r.Channel] = &TagMatch{Match: Match{Channel: r.Channel, Rule: r}, Tags: hit}
	}
	out := make([]TagMatch, 0, len(byChannel))
	for _, tm := range byChannel {
		out = append(out, *tm)
	}
	slices.SortFunc(out, func(a, b TagMatch) int { return strings.Compare(a.Channel, b.Channel) })
	return out
}

func anyIn(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// followTopic compares a topic read afresh (its first post p, after a reload_topic change) with
// the state the store kept, and queues the announcements of a move and of new tags. It reports
// whether the topic moved, and an error when the store or the forum did not answer before
// anything was recorded: the change is then offered again (handleChange's error).
func (b *Bot) followTopic(ctx context.Context, p discourse.Post) (moved bool, err error) {
	if p.IsPrivateMessage() {
		return false, nil
	}
	log := b.logger.With("topic_id", p.TopicID)
	now := state.TopicState{TopicID: p.TopicID, CategoryID: p.CategoryID, Tags: state.NormalizeTags(p.Tags), SeenAt: time.Now()}
	prev, known, err := b.store.TopicState(ctx, p.TopicID)
	if err != nil {
		return false, fmt.Errorf("read the topic's last state: %w", err)
	}
	if !known {
		// Nothing to compare with (a topic from before this version): this is where it starts.
		if _, err := b.store.ChangeTopic(ctx, now, 0, nil); err != nil {
			return false, fmt.Errorf("record the topic's state: %w", err)
		}
		return false, nil
	}
	moved = prev.CategoryID != now.CategoryID
	var added []string
	for _, t := range now.Tags {
		if !slices.Contains(prev.Tags, t) {
			added = append(added, t)
		}
	}
	if !moved && len(added) == 0 {
		if !slices.Equal(prev.Tags, now.Tags) { // tags removed: only the state moves on
			if _, err := b.store.ChangeTopic(ctx, now, 0, nil); err != nil {
				return false, fmt.Errorf("record the topic's state: %w", err)
			}
		}
		return false, nil
	}
	// The announcements the rules ask for, on the platforms enabled.
	type candidate struct {
		match   Match
		ref     adapters.ChannelRef
		notices []state.TopicNotice
	}
	var cands []candidate
	public := false
	consider := func(match Match, notices []state.TopicNotice) {
		ref, err := adapters.ParseChannelRef(match.Channel)
		if err != nil || b.adapters[ref.Platform] == nil {
			return // a rule for a platform that is not enabled
		}
		public = public || !b.privateChannel(ref)
		cands = append(cands, candidate{match, ref, notices})
	}
	m := b.matcher.Load()
	var heardIn int64
	if moved {
		heardIn = prev.CategoryID
		inCat := []state.TopicNotice{{Kind: state.NoticeCategory, Value: strconv.FormatInt(now.CategoryID, 10)}}
		for _, match := range m.MatchMoved(p) {
			consider(match, inCat)
		}
	}
	for _, tm := range m.MatchTagsAdded(p, added) {
		var notices []state.TopicNotice
		for _, t := range tm.Tags {
			notices = append(notices, state.TopicNotice{Kind: state.NoticeTag, Value: t})
		}
		consider(tm.Match, notices)
	}
	// As for new posts: an announcement bound for a public channel is checked against categories
	// asked for after the topic was read (a category made restricted just now must not leak).
	if public {
		if err := b.catalog.CategoriesSince(ctx, p.ReadAt); err != nil {
			return false, fmt.Errorf("read the forum's categories: %w", err)
		}
	}
	restricted, err := b.restricted(ctx, p)
	if err != nil {
		return false, fmt.Errorf("look up the topic's category: %w", err)
	}
	payload, err := encodePayload(p)
	if err != nil {
		log.Error("follow a topic's change: encode the post", "err", err)
		return moved, nil // trying again would not help
	}
	var anns []state.TopicAnnouncement
	index := map[string]int{}
	for _, c := range cands {
		if restricted && !b.privateChannel(c.ref) {
			continue // forum secrets never reach a channel not on access.private_channels
		}
		if i, ok := index[c.match.Channel]; ok { // moved and tagged at once: one message
			anns[i].Notices = append(anns[i].Notices, c.notices...)
			continue
		}
		index[c.match.Channel] = len(anns)
		anns = append(anns, state.TopicAnnouncement{
			Item: state.OutboxItem{Channel: c.match.Channel, TopicID: p.TopicID, PostID: p.ID,
				Thread: c.match.Rule.Filter == state.Thread, Payload: payload, CreatedAt: now.SeenAt},
			Notices: c.notices,
		})
	}
	queued, err := b.store.ChangeTopic(ctx, now, heardIn, anns)
	if err != nil {
		return false, fmt.Errorf("queue the topic's announcements: %w", err)
	}
	if moved {
		b.followed.moves.Add(1)
	}
	for _, it := range queued {
		kind := "moved"
		if i := index[it.Channel]; !slices.ContainsFunc(anns[i].Notices, func(n state.TopicNotice) bool { return n.Kind == state.NoticeCategory }) {
			kind = "tag_added"
		}
		b.metrics.changes.WithLabelValues(kind).Inc()
		if kind == "tag_added" {
			b.followed.tagNotices.Add(1)
		}
	}
	log.Debug("followed a topic's change", "moved", moved, "tags_added", added, "announcements", len(queued))
	if len(queued) > 0 {
		b.delivery.Wake()
	}
	return moved, nil
}

// seeTopics records the topics of a batch of new posts, so that a later move or new tag is told
// from what they were, and reports whether one of them is new (its first post).
func (b *Bot) seeTopics(ctx context.Context, posts []discourse.Post, at time.Time) (fresh bool) {
	var states []state.TopicState
	seen := map[int64]bool{}
	for _, p := range posts {
		if p.IsPrivateMessage() || p.TopicID == 0 || seen[p.TopicID] {
			continue
		}
		seen[p.TopicID] = true
		fresh = fresh || p.PostNumber == 1
		states = append(states, state.TopicState{TopicID: p.TopicID, CategoryID: p.CategoryID, Tags: p.Tags, SeenAt: at})
	}
	if err := b.store.SeeTopics(ctx, states); err != nil && ctx.Err() == nil {
		b.logger.Warn("follow forum changes: record the topics of new posts", "err", err)
	}
	return fresh
}
