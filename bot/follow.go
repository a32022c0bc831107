package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// maxFollowedTopics bounds how many topics' MessageBus channels one long poll carries; past it
// the least recently notified are dropped first.
const maxFollowedTopics = 500

// removedNotice is what a notification becomes where the platform lets the bot edit but not
// delete it (or no longer: Telegram after 48 hours).
const removedNotice = "removed on the forum"

// followTopics is the poller's FollowTopics: the topics notified within forum.follow_changes_for,
// then those merely seen in that time (a move or a new tag may concern a topic never notified),
// up to maxFollowedTopics.
func (b *Bot) followTopics(ctx context.Context) []int64 {
	since := time.Now().Add(-b.opts.Forum.FollowChangesFor)
	ids, err := b.store.RecentTopics(ctx, since, maxFollowedTopics)
	if err != nil && ctx.Err() == nil { // a stop is not a failure
		b.logger.Warn("follow forum changes: list the notified topics", "err", err)
	}
	if len(ids) >= maxFollowedTopics {
		return ids
	}
	seen, err := b.store.SeenTopics(ctx, since, maxFollowedTopics)
	if err != nil && ctx.Err() == nil {
		b.logger.Warn("follow forum changes: list the topics seen", "err", err)
	}
	for _, id := range seen {
		if len(ids) >= maxFollowedTopics {
			break
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// followPost is the poller's FollowPost: only posts some channel was notified of.
func (b *Bot) followPost(ctx context.Context, postID int64) bool {
	chs, err := b.store.NotifiedChannels(ctx, postID)
	if err != nil {
		if ctx.Err() == nil {
			b.logger.Warn("follow forum changes: look up a post's notifications", "post_id", postID, "err", err)
		}
		return false
	}
	return len(chs) > 0
}

// handleChange queues a change of a notified post for every channel that was notified of it, as
// outbox rows behind that channel's notifications. A post now in a read-restricted category is
// removed from every channel not allowed to hear private forum content. An error (the store or
// the forum did not answer) has the poller offer the change again later.
func (b *Bot) handleChange(ctx context.Context, c discourse.Change) error {
	log := b.logger.With("post_id", c.PostID, "change", string(c.Kind))
	chs, err := b.store.NotifiedChannels(ctx, c.PostID)
	if err != nil {
		return fmt.Errorf("look up the post's notifications: %w", err)
	}
	var payload []byte
	restricted := false
	if c.Kind != discourse.PostRemoved {
		// As for new posts: a post that may stay in a public channel is checked against
		// categories asked for after the post was read (a topic's move or new tags announced in
		// one are checked in followTopic, only when they are).
		if b.anyPublic(chs) && !c.Post.IsPrivateMessage() {
			if err := b.catalog.CategoriesSince(ctx, c.Post.ReadAt); err != nil {
				return fmt.Errorf("read the forum's categories: %w", err)
			}
		}
		if restricted, err = b.restricted(ctx, c.Post); err != nil {
			return fmt.Errorf("look up the post's category: %w", err)
		}
		if payload, err = encodePayload(c.Post); err != nil {
			log.Error("follow forum changes: encode the post", "err", err)
			return nil // trying again would not help
		}
	}
	if restricted && !c.Post.IsPrivateMessage() {
		// Rows still waiting for public channels are withheld before the deletions are queued
		// behind them: a move into a restricted category sends nothing there and then deletes it.
		if err := b.withholdTopics(ctx, []int64{c.TopicID}); err != nil {
			return err
		}
	}
	// The topic's own fields first: a move or new tags are announced (topics.go). An error there
	// leaves nothing queued, so the change offered again repeats nothing; once they are recorded,
	// the same change offered again finds no move (the store's notices say each once anyway).
	moved := false
	if c.Topic && c.Kind != discourse.PostRemoved {
		if moved, err = b.followTopic(ctx, c.Post); err != nil {
			return fmt.Errorf("follow the topic's move or new tags: %w", err)
		}
	}
	now := time.Now()
	var items []state.OutboxItem
	for _, ch := range chs {
		ref, err := adapters.ParseChannelRef(ch)
		if err != nil || b.adapters[ref.Platform] == nil {
			continue
		}
		it := state.OutboxItem{Channel: ch, TopicID: c.TopicID, PostID: c.PostID, CreatedAt: now, Payload: payload}
		switch {
		case c.Kind == discourse.PostRemoved, restricted && !b.privateChannel(ref):
			it.Kind, it.Payload = state.Delete, nil
		case c.Kind == discourse.PostRecovered:
			it.Kind = state.Recover
		default:
			it.Kind = state.Edit
		}
		items = append(items, it)
	}
	if len(items) > 0 {
		if err := b.store.Enqueue(ctx, items, "", 0); err != nil {
			return fmt.Errorf("queue the change: %w", err)
		}
		for _, it := range items {
			b.metrics.changes.WithLabelValues(string(it.Kind)).Inc()
		}
		log.Debug("queued a forum change", "channels", len(items))
		b.delivery.Wake()
	}
	switch {
	case len(items) == 0 || moved: // a move counts once, as a move
	case c.Kind == discourse.PostRemoved:
		b.followed.removals.Add(1)
	case restricted && anyDelete(items):
		b.followed.moves.Add(1) // the topic's change seen without reload_topic
	default:
		b.followed.edits.Add(1)
	}
	return nil
}

// anyPublic reports whether a channel of chs may not hear private forum content.
func (b *Bot) anyPublic(chs []string) bool {
	for _, ch := range chs {
		if ref, err := adapters.ParseChannelRef(ch); err == nil && b.adapters[ref.Platform] != nil && !b.privateChannel(ref) {
			return true
		}
	}
	return false
}

// applyChange carries out a change row in its channel, on the chat message of the post's
// notification there. It returns that message's ref afterwards ("" when there is none) and
// the platform's error.
func (d *delivery) applyChange(ctx context.Context, log *slog.Logger, ad adapters.Adapter, ref adapters.ChannelRef, it state.OutboxItem) (adapters.MessageRef, error) {
	msg, found, err := d.store.SentRef(ctx, it.Channel, it.PostID)
	if err != nil {
		return "", fmt.Errorf("look up the post's chat message: %w", err)
	}
	ed, canEdit := ad.(adapters.Editor)
	var n adapters.Notification
	if it.Kind != state.Delete {
		if err := json.Unmarshal(it.Payload, &n); err != nil {
			return "", adapters.Permanent(fmt.Errorf("unreadable payload: %w", err))
		}
	}
	switch it.Kind {
	case state.Edit:
		if !found || !canEdit {
			return "", nil // never delivered (or parked), or a platform without edits
		}
		err := ed.Edit(ctx, ref, adapters.MessageRef(msg), n)
		if adapters.IsPermanent(err) {
			// Deleted in chat (by a moderator, say): it stays deleted.
			log.Info("the post's chat message cannot be edited; left as it is", "post_id", it.PostID, "err", err)
			return "", nil
		}
		return adapters.MessageRef(msg), err
	case state.Delete:
		if !found {
			return "", nil
		}
		if del, ok := ad.(adapters.Deleter); ok {
			err := del.Delete(ctx, ref, adapters.MessageRef(msg))
			if err == nil || !adapters.IsPermanent(err) || !canEdit {
				return "", err
			}
			log.Info("the post's chat message cannot be deleted; replacing it with a notice", "post_id", it.PostID, "err", err)
		}
		if !canEdit {
			return "", nil
		}
		err := ed.Edit(ctx, ref, adapters.MessageRef(msg), adapters.Notification{
			TopicID: it.TopicID, PostID: it.PostID, TopicTitle: removedNotice, Excerpt: "This post was " + removedNotice + ".",
		})
		if adapters.IsPermanent(err) {
			return "", nil
		}
		return "", err
	case state.Recover:
		if found && canEdit {
			// Replaced by the notice, not deleted: edit it back. Deleted (or gone): send anew.
			if err := ed.Edit(ctx, ref, adapters.MessageRef(msg), n); !adapters.IsPermanent(err) {
				return adapters.MessageRef(msg), err
			}
		}
		return ad.Notify(ctx, ref, n, "")
	}
	return "", adapters.Permanent(fmt.Errorf("unknown outbox row kind %q", it.Kind))
}

// followedCounts count the forum changes followed since start, for `status`.
type followedCounts struct{ edits, removals, moves, tagNotices atomic.Int64 }

func anyDelete(items []state.OutboxItem) bool {
	for _, it := range items {
		if it.Kind == state.Delete {
			return true
		}
	}
	return false
}
