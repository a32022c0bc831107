package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// perPage is the page size of history reads (Mattermost's maximum is 200).
const perPage = 200

// History implements adapters.Adapter: the newest posts of a channel (GetPostsForChannel then
// GetPostsBefore pages), a whole thread (GetPostThread, by its root's id or by the permalink of
// any of its posts), or the posts from a permalink ("https://chat.example.org/<team>/pl/<post
// id>") on, as adapters.HistoryPlan says. A range longer than q.Limit is refused
// (adapters.CheckRange).
func (a *Adapter) History(ctx context.Context, q adapters.HistoryQuery) (adapters.History, error) {
	chID := q.Channel.ChatID
	posts, err := adapters.ReadHistory(q, platform, adapters.HistoryReads[*model.Post]{
		Latest: func(limit int) ([]*model.Post, error) { return a.newest(ctx, chID, limit) },
		From: func(link string, limit int) ([]*model.Post, error) {
			id, ok := a.parsePermalink(link)
			if !ok {
				return nil, adapters.ErrBadLink
			}
			return a.postsFrom(ctx, chID, id, limit)
		},
		ThreadLink: func(link string, _ int) ([]*model.Post, error) {
			id, ok := a.parsePermalink(link)
			if !ok {
				return nil, adapters.ErrBadLink
			}
			// The thread call takes any post of a thread, root or reply, and answers the whole thread.
			posts, err := a.thread(ctx, chID, id)
			switch {
			case errors.Is(err, errOtherChannel):
				err = fmt.Errorf("the linked message is in another channel: %w", adapters.ErrBadLink)
			case statusOf(err) == http.StatusNotFound:
				err = fmt.Errorf("the linked message does not exist (%w): %w", err, adapters.ErrBadLink)
			}
			return posts, err
		},
		Thread: func(root adapters.MessageRef, _ int) ([]*model.Post, error) {
			posts, err := a.thread(ctx, chID, string(root))
			if errors.Is(err, errOtherChannel) || statusOf(err) == http.StatusNotFound {
				err = fmt.Errorf("thread %s is not in this channel: %w", root, adapters.ErrBadLink)
			}
			return posts, err
		},
	})
	if err != nil {
		return adapters.History{}, err
	}
	ch, err := call(ctx, a, "get channel", func(c *model.Client4) (*model.Channel, *model.Response, error) {
		return c.GetChannel(chID, "")
	})
	if err != nil {
		return adapters.History{}, err
	}
	team := a.teamName(ctx, ch.TeamId)
	h := adapters.History{Source: Platform.Title(), ChannelName: channelName(ch)}
	if team != "" && ch.Type != model.ChannelTypeDirect && ch.Type != model.ChannelTypeGroup {
		h.ChannelLink = a.cfg.URL + "/" + team + "/channels/" + ch.Name
	}
	for _, p := range posts {
		h.Messages = append(h.Messages, a.message(ctx, q.Channel, team, p))
	}
	return h, nil
}

// newest reads the newest limit posts, oldest first.
func (a *Adapter) newest(ctx context.Context, chID string, limit int) ([]*model.Post, error) {
	return a.pages(ctx, "get posts for channel", "", limit, true, func(c *model.Client4, before string, n int) (*model.PostList, *model.Response, error) {
		if before == "" {
			return c.GetPostsForChannel(chID, 0, n, "", false)
		}
		return c.GetPostsBefore(chID, before, 0, n, "", false)
	})
}

// postsFrom reads the post id and the posts after it, at most limit, oldest first.
func (a *Adapter) postsFrom(ctx context.Context, chID, id string, limit int) ([]*model.Post, error) {
	first, err := call(ctx, a, "get post", func(c *model.Client4) (*model.Post, *model.Response, error) {
		return c.GetPost(id, "")
	})
	switch {
	case statusOf(err) == http.StatusNotFound:
		return nil, fmt.Errorf("the linked message does not exist (%w): %w", err, adapters.ErrBadLink)
	case err != nil:
		return nil, err
	}
	if first.ChannelId != chID {
		return nil, fmt.Errorf("the linked message is in another channel: %w", adapters.ErrBadLink)
	}
	rest, err := a.pages(ctx, "get posts after", id, limit-1, false, func(c *model.Client4, after string, n int) (*model.PostList, *model.Response, error) {
		return c.GetPostsAfter(chID, after, 0, n, "", false)
	})
	if err != nil {
		return nil, err
	}
	return append([]*model.Post{first}, rest...), nil
}

// pages reads at most limit posts a page (perPage at most) at a time, oldest first: read gets
// the page's size and the id of the post the pages so far end at (start for the first page:
// "" is none), and answers the page. Backward pages go from the newest posts back (the edge
// is the oldest post read), forward pages from start on (the edge is the newest). It stops at
// limit, an empty page or a short one.
func (a *Adapter) pages(ctx context.Context, op, start string, limit int, backward bool, read func(c *model.Client4, edge string, n int) (*model.PostList, *model.Response, error)) ([]*model.Post, error) {
	var out []*model.Post // in reading order: newest first when backward
	edge := start
	for len(out) < limit {
		n := min(perPage, limit-len(out))
		list, err := call(ctx, a, op, func(c *model.Client4) (*model.PostList, *model.Response, error) {
			return read(c, edge, n)
		})
		if err != nil {
			return nil, err
		}
		page := oldestFirst(list)
		if len(page) == 0 {
			break
		}
		if backward {
			slices.Reverse(page)
		}
		out = append(out, page[:min(len(page), limit-len(out))]...)
		edge = page[len(page)-1].Id
		if len(page) < n {
			break
		}
	}
	if backward {
		slices.Reverse(out)
	}
	return out, nil
}

// errOtherChannel is a thread asked for in one channel that lives in another.
var errOtherChannel = errors.New("the thread is in another channel")

// thread reads the thread of post root, or of the thread post root is in (the root post and its
// replies, all in one call), oldest first.
func (a *Adapter) thread(ctx context.Context, chID, root string) ([]*model.Post, error) {
	list, err := call(ctx, a, "get post thread", func(c *model.Client4) (*model.PostList, *model.Response, error) {
		return c.GetPostThread(root, "", false)
	})
	if err != nil {
		return nil, err
	}
	posts := oldestFirst(list)
	if len(posts) > 0 && posts[0].ChannelId != chID {
		return nil, fmt.Errorf("mattermost history: thread %s is not in channel %s: %w", root, chID, errOtherChannel)
	}
	return posts, nil
}

// message converts a post for transcripts.
func (a *Adapter) message(ctx context.Context, ch adapters.ChannelRef, team string, p *model.Post) adapters.Message {
	m := adapters.Message{
		ID:       adapters.MessageRef(p.Id),
		Channel:  ch,
		Thread:   adapters.MessageRef(p.RootId),
		Text:     p.Message,
		Time:     time.UnixMilli(p.CreateAt),
		IsSystem: strings.HasPrefix(p.Type, model.PostSystemMessagePrefix),
		IsBot:    p.GetProp("from_bot") == "true" || p.GetProp("from_webhook") == "true",
	}
	if m.Text == "" {
		var parts []string
		for _, att := range p.Attachments() {
			parts = append(parts, att.Fallback)
		}
		m.Text = strings.Join(parts, "\n")
	}
	if u, err := a.user(ctx, p.UserId); err == nil {
		m.User = a.neutralUser(u)
		m.IsBot = m.IsBot || u.IsBot
	} else {
		m.User = adapters.User{ID: p.UserId}
	}
	if team != "" {
		m.Link = a.cfg.URL + "/" + team + "/pl/" + p.Id
	}
	if p.Metadata != nil {
		for _, f := range p.Metadata.Files {
			m.Files = append(m.Files, adapters.File{Name: f.Name, URL: a.fileURL(ctx, f.Id)})
		}
	}
	return m
}

// fileURL links a file for forum readers: its public link when the server gives them
// (FileSettings.EnablePublicLink; off by default, then 501), else the API's file URL, which only
// opens for someone logged in to Mattermost.
func (a *Adapter) fileURL(ctx context.Context, id string) string {
	link, err := call(ctx, a, "get file link", func(c *model.Client4) (string, *model.Response, error) {
		return c.GetFileLink(id)
	})
	if err == nil && webURL(link) != "" {
		return link
	}
	return a.cfg.URL + model.APIURLSuffix + "/files/" + id
}

// teamName returns the name of team id, or for direct and group channels (no team) that of one
// of the bot's teams, since a permalink works under any team. "" when none is known.
func (a *Adapter) teamName(ctx context.Context, id string) string {
	if id == "" {
		for _, t := range a.teams.Values() {
			return t.Name
		}
		a.mu.Lock()
		me := a.me
		a.mu.Unlock()
		if me == nil {
			return ""
		}
		teams, err := call(ctx, a, "get teams for user", func(c *model.Client4) ([]*model.Team, *model.Response, error) {
			return c.GetTeamsForUser(me.Id, "")
		})
		if err != nil || len(teams) == 0 {
			return ""
		}
		a.teams.Add(teams[0].Id, teams[0])
		return teams[0].Name
	}
	if t, ok := a.teams.Get(id); ok {
		return t.Name
	}
	t, err := call(ctx, a, "get team", func(c *model.Client4) (*model.Team, *model.Response, error) {
		return c.GetTeam(id, "")
	})
	if err != nil {
		a.log.Warn("cannot read the team; history links left out", "team", id, "err", err)
		return ""
	}
	a.teams.Add(id, t)
	return t.Name
}

// channelName names a channel as Mattermost users write it.
func channelName(ch *model.Channel) string {
	switch ch.Type {
	case model.ChannelTypeDirect:
		return "a direct message"
	case model.ChannelTypeGroup:
		return "a group message"
	}
	return "~" + ch.Name
}

// parsePermalink returns the post id of a permalink to this server:
// <server URL>/<team>/pl/<post id>.
func (a *Adapter) parsePermalink(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !strings.EqualFold(u.Host, a.base.Host) || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	prefix := strings.TrimRight(a.base.Path, "/")
	rest, ok := strings.CutPrefix(u.Path, prefix+"/")
	if !ok {
		return "", false
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] != "pl" || !model.IsValidId(parts[2]) {
		return "", false
	}
	return parts[2], true
}
