package discord

import (
	"context"
	"fmt"
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
	channelID, id, err := messageChannel(ch, ref)
	if err != nil {
		return err
	}
	embeds := []*discordgo.MessageEmbed{notificationEmbed(n)}
	_, err = a.s.ChannelMessageEditComplex(&discordgo.MessageEdit{
		ID: id, Channel: channelID, Embeds: &embeds, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	return classify("edit message "+id+" in channel "+channelID, err)
}

// Delete removes a notification (DELETE channels/{id}/messages/{id}: a bot may delete its own
// messages). One already gone is not an error.
func (a *Adapter) Delete(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef) error {
	channelID, id, err := messageChannel(ch, ref)
	if err != nil {
		return err
	}
	err = a.s.ChannelMessageDelete(channelID, id, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	if hasCode(err, codeUnknownMessage) {
		return nil
	}
	return classify("delete message "+id+" in channel "+channelID, err)
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
