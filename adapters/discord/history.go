package discord

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// pageSize is the most messages one REST call returns.
// https://discord.com/developers/docs/resources/message#get-channel-messages
const pageSize = 100

// History implements adapters.Adapter: the newest messages of the channel, the messages from a
// pasted message link on, or a whole thread (the thread started from q.Thread, or the thread a
// linked message starts or is in), oldest first, as adapters.HistoryPlan says. A range longer
// than q.Limit is refused (adapters.CheckRange).
func (a *Adapter) History(ctx context.Context, q adapters.HistoryQuery) (adapters.History, error) {
	channelID := q.Channel.ChatID
	if q.Channel.ThreadID != "" {
		channelID = q.Channel.ThreadID
	}
	var thread adapters.MessageRef
	// threadOf reads the thread's id or link from q itself: the two thread reads are one.
	threadRead := func(limit int) (msgs []*discordgo.Message, err error) {
		msgs, thread, err = a.thread(ctx, q, limit)
		return msgs, err
	}
	msgs, err := adapters.ReadHistory(q, platform, adapters.HistoryReads[*discordgo.Message]{
		Latest: func(limit int) ([]*discordgo.Message, error) {
			msgs, err := a.backward(ctx, channelID, limit)
			return withoutStarters(msgs), err
		},
		From: func(link string, limit int) (msgs []*discordgo.Message, err error) {
			msgs, channelID, err = a.fromLink(ctx, q.Channel.ChatID, channelID, link, limit)
			return msgs, err
		},
		ThreadLink: func(_ string, limit int) ([]*discordgo.Message, error) { return threadRead(limit) },
		Thread:     func(_ adapters.MessageRef, limit int) ([]*discordgo.Message, error) { return threadRead(limit) },
	})
	if err != nil {
		return adapters.History{}, err
	}
	guildID, name := a.channelInfo(ctx, channelID)
	h := adapters.History{Source: Platform.Title(), ChannelName: name}
	if guildID != "" {
		h.ChannelLink = messageLink(guildID, channelID, "")
	}
	for _, m := range msgs {
		h.Messages = append(h.Messages, a.message(m, q.Channel, guildID, thread))
	}
	return h, nil
}

// fromLink reads the linked message and those after it (limit, one more than a range needs: a
// starter message may be among them) and returns the channel they are in: chID, the channel or
// thread asked for, or a thread of parent.
func (a *Adapter) fromLink(ctx context.Context, parent, chID, link string, limit int) ([]*discordgo.Message, string, error) {
	_, linkCh, msgID, ok := ParseMessageLink(link)
	if !ok {
		return nil, "", adapters.ErrBadLink
	}
	if linkCh != chID && !a.inChannel(ctx, linkCh, parent) {
		// Reading another channel would let its messages leak into a transcript made here.
		return nil, "", fmt.Errorf("%w: the message is not in this channel or its threads", adapters.ErrBadLink)
	}
	first, err := a.s.ChannelMessage(linkCh, msgID, discordgo.WithContext(ctx))
	if hasCode(err, codeUnknownMessage) {
		return nil, "", fmt.Errorf("%w: there is no such message in this channel", adapters.ErrBadLink)
	}
	if err != nil {
		return nil, "", fmt.Errorf("discord: read message %s in channel %s: %w", msgID, linkCh, redact(err))
	}
	rest, err := a.forward(ctx, linkCh, msgID, limit)
	if err != nil {
		return nil, "", err
	}
	return withoutStarters(append([]*discordgo.Message{first}, rest...)), linkCh, nil
}

// thread reads the thread of this channel that q names, its root message first, and returns the
// thread's id. A thread id is a channel id: any other channel's would put another channel's
// messages (of any guild the bot is in) into this transcript.
func (a *Adapter) thread(ctx context.Context, q adapters.HistoryQuery, limit int) ([]*discordgo.Message, adapters.MessageRef, error) {
	thread, err := a.threadOf(ctx, q)
	if err != nil {
		return nil, "", err
	}
	var msgs []*discordgo.Message
	root, err := a.s.ChannelMessage(q.Channel.ChatID, string(thread), discordgo.WithContext(ctx))
	if err == nil {
		msgs = append(msgs, root)
	} else if !hasCode(err, codeUnknownMessage) {
		return nil, "", fmt.Errorf("discord: read thread root %s: %w", thread, redact(err))
	}
	rest, err := a.forward(ctx, string(thread), "0", limit) // the thread's starter message is left out
	if err != nil {
		return nil, "", err
	}
	return withoutStarters(append(msgs, rest...)), thread, nil
}

// withoutStarters leaves out the thread starter messages Discord puts at the head of a thread
// (the thread's root, read from the channel, stands for it).
func withoutStarters(msgs []*discordgo.Message) []*discordgo.Message {
	return slices.DeleteFunc(msgs, func(m *discordgo.Message) bool {
		return m.Type == discordgo.MessageTypeThreadStarterMessage
	})
}

// backward reads the newest limit messages, paging with before; it returns them oldest first.
func (a *Adapter) backward(ctx context.Context, channelID string, limit int) ([]*discordgo.Message, error) {
	var out []*discordgo.Message
	before := ""
	for len(out) < limit {
		want := min(pageSize, limit-len(out))
		page, err := a.s.ChannelMessages(channelID, want, before, "", "", discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("discord: read history of channel %s: %w", channelID, redact(err))
		}
		sortByID(page)
		out = append(page, out...)
		if len(page) < want {
			break
		}
		before = page[0].ID
	}
	return out, nil
}

// forward reads up to limit messages after the message id, paging with after, oldest first.
func (a *Adapter) forward(ctx context.Context, channelID, after string, limit int) ([]*discordgo.Message, error) {
	var out []*discordgo.Message
	for len(out) < limit {
		want := min(pageSize, limit-len(out))
		page, err := a.s.ChannelMessages(channelID, want, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("discord: read history of channel %s: %w", channelID, redact(err))
		}
		sortByID(page)
		out = append(out, page...)
		if len(page) < want || len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
	}
	return out, nil
}

// sortByID orders messages oldest first: snowflakes grow with time.
func sortByID(ms []*discordgo.Message) {
	sort.Slice(ms, func(i, j int) bool { return snowflakeLess(ms[i].ID, ms[j].ID) })
}

func snowflakeLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// channelInfo returns the channel's guild and "#name", from the state cache or the API.
func (a *Adapter) channelInfo(ctx context.Context, channelID string) (guildID, name string) {
	c, err := a.s.State.Channel(channelID)
	if err != nil || c == nil {
		c, err = a.s.Channel(channelID, discordgo.WithContext(ctx))
		if err != nil {
			a.log.Debug("discord: channel info", "channel", channelID, "err", redact(err))
			return "", "#" + channelID
		}
	}
	if c.Name == "" {
		return c.GuildID, "#" + channelID
	}
	return c.GuildID, "#" + c.Name
}

// threadOf is the thread a query names, by id (q.Thread) or by a link to its starter message or
// to one of its messages (q.ThreadLink), once it is known to be a thread of the query's channel;
// otherwise ErrBadLink. A thread started from a message has that message's id.
func (a *Adapter) threadOf(ctx context.Context, q adapters.HistoryQuery) (adapters.MessageRef, error) {
	parent := q.Channel.ChatID
	id := string(q.Thread)
	if q.ThreadLink != "" {
		_, chID, msgID, ok := ParseMessageLink(q.ThreadLink)
		switch {
		case !ok:
			return "", adapters.ErrBadLink
		case chID == parent:
			id = msgID // the thread's starter message, in the channel itself
		default:
			id = chID // a message inside the thread
		}
	}
	if id == q.Channel.ThreadID && id != "" {
		return adapters.MessageRef(id), nil
	}
	if id == parent || !a.inChannel(ctx, id, parent) {
		return "", fmt.Errorf("%w: that is not a thread of this channel", adapters.ErrBadLink)
	}
	return adapters.MessageRef(id), nil
}

// inChannel reports whether channel id is parent or a thread of parent.
func (a *Adapter) inChannel(ctx context.Context, id, parent string) bool {
	if id == parent {
		return true
	}
	c, err := a.s.State.Channel(id)
	if err != nil || c == nil {
		if c, err = a.s.Channel(id, discordgo.WithContext(ctx)); err != nil {
			return false
		}
	}
	return c.ParentID == parent
}

// Discord markup that CommonMark lacks: user mentions <@id> and <@!id>, custom emoji
// <:name:id> and <a:name:id>.
// https://discord.com/developers/docs/reference#message-formatting
var (
	mentionRe     = regexp.MustCompile(`<@!?([0-9]+)>`)
	customEmojiRe = regexp.MustCompile(`<a?:(\w+):[0-9]+>`)
)

// toCommonMark converts a message's Discord markup outside code: mentions of the users the
// message mentions (names maps their ids) as @name, custom emoji as :name:. The rest of
// Discord's markdown is CommonMark already.
func toCommonMark(content string, names map[string]string) string {
	return adapters.OutsideCode(content, func(s string) string {
		s = customEmojiRe.ReplaceAllString(s, ":$1:")
		return mentionRe.ReplaceAllStringFunc(s, func(m string) string {
			if n, ok := names[mentionRe.FindStringSubmatch(m)[1]]; ok {
				return "@" + n
			}
			return m
		})
	}, func(code, _, _ string) string { return code })
}

// message converts one Discord message for transcripts: text as CommonMark, attachments as
// links, embeds (such as the bot's own notifications) as their title and link.
func (a *Adapter) message(m *discordgo.Message, ch adapters.ChannelRef, guildID string, thread adapters.MessageRef) adapters.Message {
	names := map[string]string{}
	for _, u := range m.Mentions {
		names[u.ID] = u.Username
	}
	text := toCommonMark(m.Content, names)
	if text == "" {
		var parts []string
		for _, e := range m.Embeds {
			switch {
			case e.Title != "" && e.URL != "":
				parts = append(parts, "["+e.Title+"]("+e.URL+")")
			case e.Title != "":
				parts = append(parts, e.Title)
			}
			if e.Description != "" {
				parts = append(parts, e.Description)
			}
		}
		text = strings.Join(parts, "\n")
	}
	out := adapters.Message{
		ID:       adapters.MessageRef(m.ID),
		Channel:  ch,
		Thread:   thread,
		Text:     text,
		Time:     m.Timestamp,
		IsSystem: !userMessage(m.Type),
	}
	if m.ReferencedMessage != nil {
		out.ReplyTo = adapters.MessageRef(m.ReferencedMessage.ID)
	}
	if m.Author != nil {
		out.User = adapters.User{
			ID: m.Author.ID, Username: m.Author.Username, DisplayName: m.Author.GlobalName,
			AvatarURL: m.Author.AvatarURL("128"), IsBot: m.Author.Bot,
		}
		out.IsBot = m.Author.Bot
	}
	if m.Member != nil && m.Member.Nick != "" {
		out.User.DisplayName = m.Member.Nick
	}
	for _, f := range m.Attachments {
		out.Files = append(out.Files, adapters.File{Name: f.Filename, URL: f.URL})
	}
	if guildID != "" {
		out.Link = messageLink(guildID, m.ChannelID, m.ID)
	}
	return out
}

func userMessage(t discordgo.MessageType) bool {
	switch t {
	case discordgo.MessageTypeDefault, discordgo.MessageTypeReply, discordgo.MessageTypeChatInputCommand,
		discordgo.MessageTypeContextMenuCommand:
		return true
	}
	return false
}

// messageLink is a message's (or, with no message id, a channel's) permalink.
func messageLink(guildID, channelID, messageID string) string {
	l := "https://discord.com/channels/" + guildID + "/" + channelID
	if messageID != "" {
		l += "/" + messageID
	}
	return l
}

// ParseMessageLink reads a "Copy Message Link" URL,
// https://discord.com/channels/<guild>/<channel>/<message> (also ptb., canary. and
// discordapp.com); guild is "@me" for direct messages.
func ParseMessageLink(link string) (guildID, channelID, messageID string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(strings.Trim(strings.TrimSpace(link), "<>")))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", "", false
	}
	switch strings.ToLower(u.Host) {
	case "discord.com", "www.discord.com", "ptb.discord.com", "canary.discord.com",
		"discordapp.com", "www.discordapp.com", "ptb.discordapp.com", "canary.discordapp.com":
	default:
		return "", "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 4 || parts[0] != "channels" {
		return "", "", "", false
	}
	if (parts[1] != "@me" && !isSnowflake(parts[1])) || !isSnowflake(parts[2]) || !isSnowflake(parts[3]) {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}
