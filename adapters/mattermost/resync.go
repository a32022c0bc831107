package mattermost

import (
	"context"
	"sort"

	"github.com/mattermost/mattermost-server/v6/model"
)

// resync reads, in every channel of the bot's teams that it is a member of (direct messages
// included), the posts since the newest one it has seen, and handles them as if they had come
// over the websocket. Posts already handled are skipped, so each command is answered once.
// Errors are logged: the socket stays up and the next reconnection tries again.
func (r *runner) resync(ctx context.Context) {
	a := r.a
	a.mu.Lock()
	since := a.since
	a.mu.Unlock()
	channels, err := a.botChannels(ctx, r.me.Id)
	if err != nil {
		a.log.Warn("re-sync: cannot list the bot's channels", "err", err)
		return
	}
	for _, ch := range channels {
		list, err := call(ctx, a, "get posts since", func(c *model.Client4) (*model.PostList, *model.Response, error) {
			// The server answers posts updated strictly after the time; ask from a millisecond
			// earlier so that an unseen post of the cursor's own millisecond is not lost.
			return c.GetPostsSince(ch.Id, since-1, false)
		})
		if err != nil {
			a.log.Warn("re-sync: cannot read posts", "channel", ch.Id, "err", err)
			continue
		}
		// "since" returns posts updated after it too (edits, deletions): keep the new ones.
		for _, p := range oldestFirst(list) {
			if p.CreateAt >= since {
				r.consider(ctx, p)
			}
		}
	}
}

// botChannels lists the channels the bot is a member of, over all its teams, each once, and
// remembers their types.
func (a *Adapter) botChannels(ctx context.Context, me string) ([]*model.Channel, error) {
	teams, err := call(ctx, a, "get teams for user", func(c *model.Client4) ([]*model.Team, *model.Response, error) {
		return c.GetTeamsForUser(me, "")
	})
	if err != nil {
		return nil, err
	}
	var out []*model.Channel
	seen := map[string]bool{}
	for _, t := range teams {
		a.teams.Add(t.Id, t)
		chans, err := call(ctx, a, "get channels for user", func(c *model.Client4) ([]*model.Channel, *model.Response, error) {
			return c.GetChannelsForTeamForUser(t.Id, me, false, "")
		})
		if err != nil {
			return nil, err
		}
		for _, ch := range chans {
			if seen[ch.Id] || ch.DeleteAt != 0 {
				continue
			}
			seen[ch.Id] = true
			a.setChannelType(ch.Id, ch.Type)
			out = append(out, ch)
		}
	}
	return out, nil
}

// oldestFirst returns a post list's posts in creation order.
func oldestFirst(l *model.PostList) []*model.Post {
	if l == nil {
		return nil
	}
	out := make([]*model.Post, 0, len(l.Posts))
	for _, p := range l.Posts {
		if p != nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreateAt != out[j].CreateAt {
			return out[i].CreateAt < out[j].CreateAt
		}
		return out[i].Id < out[j].Id
	})
	return out
}
