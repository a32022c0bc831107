package slack

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// pageSize is one page of conversations.history/replies.
const pageSize = 200

// History reads a channel's messages, oldest first: the newest q.Limit, everything from a pasted
// message link on, or a whole thread (by its root's ts, or by a link to any of its messages), as
// adapters.HistoryPlan says. A range longer than q.Limit is refused (adapters.CheckRange). Text
// is converted from Slack's markup to CommonMark (toCommonMark).
func (a *Adapter) History(ctx context.Context, q adapters.HistoryQuery) (adapters.History, error) {
	ch := q.Channel
	a.ensureIdentity(ctx)
	msgs, err := adapters.ReadHistory(q, platform, adapters.HistoryReads[slack.Message]{
		Latest: func(limit int) ([]slack.Message, error) { return a.history(ctx, ch.ChatID, "", limit, false) },
		From:   func(link string, limit int) ([]slack.Message, error) { return a.fromLink(ctx, ch, link, limit) },
		ThreadLink: func(link string, limit int) ([]slack.Message, error) {
			l, err := a.linkHere(ch, link)
			if err != nil {
				return nil, err
			}
			return a.threadOf(ctx, ch.ChatID, l, limit)
		},
		Thread: func(root adapters.MessageRef, limit int) ([]slack.Message, error) {
			return a.replies(ctx, ch.ChatID, string(root), "", limit)
		},
	})
	if err != nil {
		if isNotMember(err) {
			err = fmt.Errorf("%w: %s", err, a.inviteHint())
		}
		return adapters.History{}, err
	}
	out := adapters.History{Source: Platform.Title(), ChannelName: a.channelName(ctx, ch.ChatID)}
	if team := a.teamURL(); team != "" {
		out.ChannelLink = team + "archives/" + ch.ChatID
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, a.neutralMessage(ctx, ch, m))
	}
	return out, nil
}

// linkHere parses a message link that must point into ch: a link to another channel would put
// that channel's messages into a transcript made here.
func (a *Adapter) linkHere(ch adapters.ChannelRef, link string) (messageLink, error) {
	l, err := parseMessageLink(link)
	if err != nil {
		return messageLink{}, err
	}
	if l.channel != ch.ChatID {
		return messageLink{}, fmt.Errorf("%w: that message is in another channel (%s)", adapters.ErrBadLink, l.channel)
	}
	return l, nil
}

// fromLink reads the linked message and those after it, in its thread when it is a reply.
func (a *Adapter) fromLink(ctx context.Context, ch adapters.ChannelRef, link string, max int) ([]slack.Message, error) {
	l, err := a.linkHere(ch, link)
	if err != nil {
		return nil, err
	}
	var msgs []slack.Message
	if l.threadTS != "" && l.threadTS != l.ts {
		msgs, err = a.replies(ctx, ch.ChatID, l.threadTS, l.ts, max)
	} else {
		msgs, err = a.history(ctx, ch.ChatID, l.ts, max, true)
	}
	if err != nil {
		return nil, err
	}
	return fromLinked(msgs, l.ts, max)
}

// history pages conversations.history back from now. With from set it reads every message from
// that ts on (at most max); otherwise the newest max. The result is oldest first.
func (a *Adapter) history(ctx context.Context, channelID, from string, max int, inclusive bool) ([]slack.Message, error) {
	var out []slack.Message
	cursor := ""
	for {
		params := &slack.GetConversationHistoryParameters{ChannelID: channelID, Cursor: cursor,
			Limit: min(pageSize, max-len(out)), Oldest: from, Inclusive: inclusive && from != ""}
		res, err := a.historyPage(ctx, params)
		if err != nil {
			return nil, classify("conversations.history "+channelID, err)
		}
		out = append(out, res.Messages...)
		cursor = res.ResponseMetaData.NextCursor
		if !res.HasMore || cursor == "" || len(out) >= max {
			break
		}
	}
	if len(out) > max {
		out = out[:max]
	}
	slices.Reverse(out) // Slack answers newest first
	return out, nil
}

func (a *Adapter) historyPage(ctx context.Context, p *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return a.api.GetConversationHistoryContext(ctx, p)
}

// replies pages conversations.replies for the thread rooted at threadTS, oldest first, from
// the message from on when set, at most max messages.
func (a *Adapter) replies(ctx context.Context, channelID, threadTS, from string, max int) ([]slack.Message, error) {
	var out []slack.Message
	cursor := ""
	for {
		params := &slack.GetConversationRepliesParameters{ChannelID: channelID, Timestamp: threadTS,
			Cursor: cursor, Limit: pageSize, Oldest: from, Inclusive: from != ""}
		msgs, more, next, err := a.repliesPage(ctx, params)
		if err != nil {
			return nil, classify("conversations.replies "+channelID, err)
		}
		out = append(out, msgs...)
		cursor = next
		if !more || cursor == "" || len(out) >= max {
			break
		}
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// fromLinked starts msgs (oldest first) at the linked message. A link to a message that is not
// there (deleted, or made up) is ErrBadLink rather than "everything since that time", unless the
// read stopped at max messages, which may have cut it: the range is then too long anyway.
func fromLinked(msgs []slack.Message, ts string, max int) ([]slack.Message, error) {
	for i, m := range msgs {
		if m.Timestamp == ts {
			return msgs[i:], nil
		}
	}
	if len(msgs) >= max {
		return msgs, nil
	}
	return nil, fmt.Errorf("%w: there is no such message in this channel", adapters.ErrBadLink)
}

// threadOf reads the whole thread a linked message roots or belongs to, oldest first. A reply's
// link normally carries its thread's ts (?thread_ts=…); one without it names the reply alone, so
// the thread is read again from the root the reply points to.
func (a *Adapter) threadOf(ctx context.Context, channelID string, l messageLink, max int) ([]slack.Message, error) {
	root := l.threadTS
	if root == "" {
		root = l.ts
	}
	msgs, err := a.replies(ctx, channelID, root, "", max)
	if slackCode(err) == "thread_not_found" {
		return nil, fmt.Errorf("%w: there is no such message in this channel", adapters.ErrBadLink)
	}
	if err == nil && l.threadTS == "" && len(msgs) > 0 {
		if r := msgs[0].ThreadTimestamp; r != "" && r != msgs[0].Timestamp {
			return a.replies(ctx, channelID, r, "", max)
		}
	}
	return msgs, err
}

func (a *Adapter) repliesPage(ctx context.Context, p *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return a.api.GetConversationRepliesContext(ctx, p)
}

// channelName returns "#name" from conversations.info, or the id when that fails.
func (a *Adapter) channelName(ctx context.Context, id string) string {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil || c.Name == "" {
		if err != nil {
			a.log.Debug("conversations.info failed; naming the channel by id", "channel", id, "err", err)
		}
		return "#" + id
	}
	return "#" + c.Name
}

// userSubtypes are the message subtypes of someone writing; every other subtype is a system
// message (joins, topic changes …).
var userSubtypes = map[string]bool{"": true, "bot_message": true, "thread_broadcast": true,
	"file_share": true, "me_message": true}

func (a *Adapter) neutralMessage(ctx context.Context, ch adapters.ChannelRef, m slack.Message) adapters.Message {
	out := adapters.Message{
		ID:       adapters.MessageRef(m.Timestamp),
		Channel:  ch,
		Text:     toCommonMark(m.Text, func(id string) string { u, _ := a.lookupUser(ctx, id, ""); return u.Name() }),
		Time:     tsTime(m.Timestamp),
		IsBot:    m.BotID != "" || m.SubType == "bot_message",
		IsSystem: !userSubtypes[m.SubType],
	}
	if m.ThreadTimestamp != "" && m.ThreadTimestamp != m.Timestamp {
		out.Thread = adapters.MessageRef(m.ThreadTimestamp)
	}
	switch {
	case m.User != "":
		out.User, _ = a.lookupUser(ctx, m.User, "")
	case m.BotProfile != nil:
		out.User = adapters.User{ID: m.BotID, Username: m.BotProfile.Name, IsBot: true,
			AvatarURL: m.BotProfile.Icons.Image72}
	default:
		out.User = adapters.User{ID: m.BotID, Username: m.Username, IsBot: true}
	}
	out.User.IsBot = out.User.IsBot || out.IsBot
	for _, f := range m.Files {
		u := f.Permalink
		if u == "" {
			u = f.URLPrivate
		}
		out.Files = append(out.Files, adapters.File{Name: f.Name, URL: u})
	}
	if team := a.teamURL(); team != "" {
		out.Link = messageURL(team, ch.ChatID, m.Timestamp, string(out.Thread))
	}
	return out
}

// tsTime converts a Slack ts ("1700000000.123456") to a time; zero when it does not parse.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	frac = (frac + "000000")[:6]
	us, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(s, us*1000).UTC()
}

// messageURL is a message's permalink: https://team.slack.com/archives/C123/p1700000000123456,
// with ?thread_ts=… for a reply in a thread.
func messageURL(team, channelID, ts, threadTS string) string {
	u := team + "archives/" + channelID + "/p" + strings.Replace(ts, ".", "", 1)
	if threadTS != "" {
		u += "?thread_ts=" + threadTS + "&cid=" + channelID
	}
	return u
}

// messageLink is a parsed Slack message link.
type messageLink struct {
	channel, ts, threadTS string
}

var linkPath = regexp.MustCompile(`^/archives/([A-Z0-9]+)/p(\d{10})(\d{6})$`)

// parseMessageLink parses https://<team>.slack.com/archives/C123/p1700000000123456[?thread_ts=…]
// (also GovSlack's slack-gov.com). Anything else is adapters.ErrBadLink.
func parseMessageLink(s string) (messageLink, error) {
	bad := func(why string) (messageLink, error) {
		return messageLink{}, fmt.Errorf("%w: %s", adapters.ErrBadLink, why)
	}
	u, err := url.Parse(strings.Trim(strings.TrimSpace(s), "<>"))
	if err != nil || u.Scheme != "https" {
		return bad("want a Slack message link like https://team.slack.com/archives/C123/p1700000000123456")
	}
	host := strings.ToLower(u.Hostname())
	if !strings.HasSuffix(host, ".slack.com") && !strings.HasSuffix(host, ".slack-gov.com") {
		return bad("not a slack.com link")
	}
	m := linkPath.FindStringSubmatch(u.Path)
	if m == nil {
		return bad("not a message link (use “Copy link” on a message)")
	}
	l := messageLink{channel: m[1], ts: m[2] + "." + m[3]}
	if t := u.Query().Get("thread_ts"); t != "" {
		if _, err := strconv.ParseFloat(t, 64); err != nil {
			return bad("bad thread_ts")
		}
		l.threadTS = t
	}
	return l, nil
}
