package discord

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Notify implements adapters.Adapter. It posts the notification as an embed that pings nobody.
// With a thread ref (the first notification's message id) it posts into the thread started from
// that message, starting it first when the message has none yet: a thread started from a message
// has the message's id as its channel id. The ref of a message posted into such a thread names
// the thread too (see messageRef), since Edit and Delete must address the thread's channel.
func (a *Adapter) Notify(ctx context.Context, ch adapters.ChannelRef, n adapters.Notification, thread adapters.MessageRef) (adapters.MessageRef, error) {
	if ch.Platform != platform || ch.ChatID == "" {
		return "", adapters.Permanent(fmt.Errorf("discord: notify: %q is not a Discord channel", ch.String()))
	}
	parent := ch.ChatID
	if ch.ThreadID != "" {
		parent = ch.ThreadID
	}
	if thread == "" || ch.ThreadID != "" {
		// Discord has no threads inside a thread: there, replies go into the thread itself.
		return a.send(ctx, parent, n)
	}
	threadID := string(thread)
	if t, _, inThread := strings.Cut(threadID, refSep); inThread {
		threadID = t // the ref of a message in the thread (not its root): the same thread
	}
	ref, err := a.sendInThread(ctx, threadID, n)
	if err == nil || !hasCode(err, codeUnknownChannel) {
		return ref, err
	}
	_, err = a.s.MessageThreadStartComplex(parent, threadID, &discordgo.ThreadStart{
		Name: threadName(n.TopicTitle), AutoArchiveDuration: threadArchive,
	}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	switch {
	case err == nil, hasCode(err, codeThreadAlreadyCreated):
	case hasCode(err, codeUnknownMessage):
		// The topic's first message was deleted: the reply still reaches the channel.
		a.log.Warn("discord: thread root message is gone; posting in the channel", "channel", ch.String(), "message", threadID)
		return a.send(ctx, parent, n)
	default:
		return "", classify(fmt.Sprintf("start a thread from message %s in channel %s", threadID, parent), err)
	}
	return a.sendInThread(ctx, threadID, n)
}

// sendInThread posts into a thread that the channel ref does not name; the message's ref names
// the thread.
func (a *Adapter) sendInThread(ctx context.Context, threadID string, n adapters.Notification) (adapters.MessageRef, error) {
	ref, err := a.send(ctx, threadID, n)
	if err != nil {
		return "", err
	}
	return messageRef(threadID, string(ref)), nil
}

// refSep joins a thread's id and a message's id in the ref of a message posted in a thread that
// its channel ref does not name: "<thread id>:<message id>". Snowflakes are digits only.
const refSep = ":"

// messageRef is the ref of message id posted in thread.
func messageRef(thread, id string) adapters.MessageRef {
	return adapters.MessageRef(thread + refSep + id)
}

// send posts the notification's embed into a channel or thread.
func (a *Adapter) send(ctx context.Context, channelID string, n adapters.Notification) (adapters.MessageRef, error) {
	m, err := a.s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Embeds:          []*discordgo.MessageEmbed{notificationEmbed(n)},
		AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	if err != nil {
		return "", classify("post in channel "+channelID, err)
	}
	return adapters.MessageRef(m.ID), nil
}

// Edit replaces a notification's embed with n as the post reads now (PATCH
// channels/{id}/messages/{id}), still pinging nobody. A message that is gone answers Unknown
// Message, a Permanent error.
func (a *Adapter) Edit(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef, n adapters.Notification) error {
	embeds := []*discordgo.MessageEmbed{notificationEmbed(n)}
	return a.onMessage(ch, ref, "edit", func(channelID, id string) error {
		_, err := a.s.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID: id, Channel: channelID, Embeds: &embeds, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		return err
	})
}

// Delete removes a notification (DELETE channels/{id}/messages/{id}: a bot may delete its own
// messages). One already gone is not an error.
func (a *Adapter) Delete(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef) error {
	err := a.onMessage(ch, ref, "delete", func(channelID, id string) error {
		return a.s.ChannelMessageDelete(channelID, id, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	})
	if hasCode(err, codeUnknownMessage) {
		return nil
	}
	return err
}

// maxLegacyThreads bounds the threads searched for a message whose bare ref is not in its channel.
const maxLegacyThreads = 10

// onMessage runs op (an edit or a deletion) on the message ref of ch, in the channel or thread it
// is in (see messageChannel), and classifies its error. A bare ref stored before refs named their
// thread may be a thread reply: when its channel has no such message, op is tried in the threads
// of that channel the bot started before the message, newest first, as the gateway told of them.
func (a *Adapter) onMessage(ch adapters.ChannelRef, ref adapters.MessageRef, what string, op func(channelID, id string) error) error {
	channelID, id, err := messageChannel(ch, ref)
	if err != nil {
		return err
	}
	err = op(channelID, id)
	if hasCode(err, codeUnknownMessage) && channelID == ch.ChatID && ch.ThreadID == "" && !strings.Contains(string(ref), refSep) {
		for _, th := range a.botThreads(ch.ChatID, id) {
			if terr := op(th, id); !hasCode(terr, codeUnknownMessage) {
				channelID, err = th, terr
				break
			}
		}
	}
	return classify(what+" message "+id+" in channel "+channelID, err)
}

// botThreads returns up to maxLegacyThreads threads of channel that the bot started before
// message id was posted, newest first.
func (a *Adapter) botThreads(channelID, id string) []string {
	c, err := a.s.State.Channel(channelID)
	if err != nil || c.GuildID == "" {
		return nil
	}
	g, err := a.s.State.Guild(c.GuildID)
	if err != nil {
		return nil
	}
	bot := a.botUserID()
	a.s.State.RLock()
	var out []string
	for _, th := range g.Threads {
		if th.ParentID == channelID && th.OwnerID == bot && snowflakeLess(th.ID, id) {
			out = append(out, th.ID)
		}
	}
	a.s.State.RUnlock()
	sort.Slice(out, func(i, j int) bool { return snowflakeLess(out[j], out[i]) })
	return out[:min(len(out), maxLegacyThreads)]
}

// messageChannel is the channel (or thread) a notification of ch was posted in, and its message
// id: the thread its ref names ("<thread>:<message>", a reply of a thread rule), else ch's
// thread or channel. A bare message id, the only form of refs stored before, still reads.
func messageChannel(ch adapters.ChannelRef, ref adapters.MessageRef) (channel, id string, err error) {
	thread, id, inThread := strings.Cut(string(ref), refSep)
	if !inThread {
		thread, id = "", thread
	}
	if ch.Platform != platform || ch.ChatID == "" || !isSnowflake(id) || (inThread && !isSnowflake(thread)) {
		return "", "", adapters.Permanent(fmt.Errorf("discord: %q %q is not a Discord message", ch.String(), ref))
	}
	switch {
	case thread != "":
		return thread, id, nil
	case ch.ThreadID != "":
		return ch.ThreadID, id, nil
	}
	return ch.ChatID, id, nil
}
