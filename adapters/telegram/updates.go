package telegram

import (
	"context"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// handleUpdate acts on one update: a migration moves the channel, a command is run and
// answered, an ordinary message goes to the chat log.
func (a *Adapter) handleUpdate(ctx context.Context, h adapters.Handler, u update) {
	msg := u.Message
	if msg == nil {
		msg = u.ChannelPost
	}
	if msg == nil || msg.Chat == nil {
		return
	}
	var topic topicFields
	if u.message != nil {
		topic = *u.message
	}
	ch := channelOf(msg, topic)
	if msg.MigrateToChatID != 0 {
		to := adapters.ChannelRef{Platform: platform, ChatID: strconv.FormatInt(msg.MigrateToChatID, 10)}
		a.log.Info("group upgraded to a supergroup; moving the channel", "from", ch.String(), "to", to.String())
		h.ChannelMoved(ctx, ch, to)
		return
	}
	text, entities := msg.Text, msg.Entities
	if text == "" {
		text, entities = msg.Caption, msg.CaptionEntities
	}
	kind, cmdText := parseCommand(text, a.botName())
	switch kind {
	case getChatID:
		a.reply(ctx, ch, msg, chatIDReply(ch))
	case forBot:
		cmd := adapters.Command{
			Channel: ch,
			Invoker: userOf(msg),
			IsAdmin: a.isAdmin(ctx, msg),
			Text:    cmdText,
			Message: adapters.MessageRef(strconv.Itoa(msg.MessageID)),
			Time:    time.Unix(int64(msg.Date), 0).UTC(),
		}
		if topic.MessageThreadID != 0 {
			cmd.Thread = adapters.MessageRef(strconv.Itoa(topic.MessageThreadID))
		}
		// A command sent as a reply ("/post" answering a message) starts a transcript at the
		// message it answers. In a forum topic every message answers the topic's first one
		// unless it is a real reply: that implicit answer is not a start.
		if r := msg.ReplyToMessage; r != nil && r.MessageID != topic.MessageThreadID {
			cmd.StartAt = adapters.MessageRef(strconv.Itoa(r.MessageID))
		}
		reply := h.HandleCommand(ctx, cmd)
		// Telegram replies are public, so Reply.Announce would repeat it: only Text is sent.
		a.reply(ctx, ch, msg, reply.Text)
	default:
		if a.cfg.ChatLog != nil && msg.Chat.Type != "private" && !isService(msg) {
			a.record(ctx, observed(ch, msg, topic, text, entities))
		}
	}
}

// channelOf is the channel a message was posted in: the chat, and the forum topic when the
// message belongs to one.
func channelOf(msg *tgbotapi.Message, topic topicFields) adapters.ChannelRef {
	ch := adapters.ChannelRef{Platform: platform, ChatID: strconv.FormatInt(msg.Chat.ID, 10)}
	if topic.IsTopicMessage && topic.MessageThreadID != 0 {
		ch.ThreadID = strconv.Itoa(topic.MessageThreadID)
	}
	return ch
}

// userOf is the message's sender: the user, or for channel posts and anonymous admins the chat
// they speak as.
func userOf(msg *tgbotapi.Message) adapters.User {
	if msg.SenderChat != nil {
		c := msg.SenderChat
		name := c.Title
		if msg.AuthorSignature != "" {
			name = msg.AuthorSignature
		}
		return adapters.User{ID: strconv.FormatInt(c.ID, 10), Username: c.UserName, DisplayName: name}
	}
	if msg.From == nil {
		return adapters.User{ID: strconv.FormatInt(msg.Chat.ID, 10), DisplayName: msg.Chat.Title}
	}
	f := msg.From
	return adapters.User{
		ID:          strconv.FormatInt(f.ID, 10),
		Username:    f.UserName,
		DisplayName: strings.TrimSpace(f.FirstName + " " + f.LastName),
		IsBot:       f.IsBot,
	}
}

// isService reports whether msg is a service message (joins, title changes, pins, …) rather
// than something a person wrote.
func isService(msg *tgbotapi.Message) bool {
	return len(msg.NewChatMembers) > 0 || msg.LeftChatMember != nil || msg.NewChatTitle != "" ||
		msg.NewChatPhoto != nil || msg.DeleteChatPhoto || msg.GroupChatCreated ||
		msg.SuperGroupChatCreated || msg.ChannelChatCreated || msg.PinnedMessage != nil ||
		msg.MigrateFromChatID != 0 || msg.MessageAutoDeleteTimerChanged != nil
}

// observed converts a message for the chat log.
func observed(ch adapters.ChannelRef, msg *tgbotapi.Message, topic topicFields, text string, entities []tgbotapi.MessageEntity) adapters.Message {
	m := adapters.Message{
		ID:      adapters.MessageRef(strconv.Itoa(msg.MessageID)),
		Channel: ch,
		User:    userOf(msg),
		Text:    entitiesToMarkdown(text, entities),
		Time:    time.Unix(int64(msg.Date), 0).UTC(),
		Link:    messageLink(msg.Chat, msg.MessageID),
	}
	m.IsBot = m.User.IsBot
	if topic.MessageThreadID != 0 {
		m.Thread = adapters.MessageRef(strconv.Itoa(topic.MessageThreadID))
	}
	// In a forum topic every message "replies" to the topic's first message; that is not a reply.
	if r := msg.ReplyToMessage; r != nil && r.MessageID != topic.MessageThreadID {
		m.ReplyTo = adapters.MessageRef(strconv.Itoa(r.MessageID))
	}
	if media := mediaLabel(msg); media != "" {
		if m.Text != "" {
			m.Text = media + " " + m.Text
		} else {
			m.Text = media
		}
	}
	return m
}

// mediaLabel names a message's attachment. The file itself is not fetched: a Bot API file link
// carries the token, so it must never land in a transcript.
func mediaLabel(msg *tgbotapi.Message) string {
	switch {
	case len(msg.Photo) > 0:
		return "[photo]"
	case msg.Video != nil:
		return "[video]"
	case msg.Animation != nil:
		return "[animation]"
	case msg.Document != nil:
		return "[file: " + markdownEscaper.Replace(msg.Document.FileName) + "]"
	case msg.Audio != nil:
		return "[audio]"
	case msg.Voice != nil:
		return "[voice message]"
	case msg.VideoNote != nil:
		return "[video message]"
	case msg.Sticker != nil:
		return "[sticker " + msg.Sticker.Emoji + "]"
	case msg.Poll != nil:
		return "[poll: " + markdownEscaper.Replace(msg.Poll.Question) + "]"
	case msg.Location != nil:
		return "[location]"
	}
	return ""
}

// messageLink is a t.me link to a message of a public (username) or private supergroup or
// channel; basic groups have none.
func messageLink(chat *tgbotapi.Chat, id int) string {
	switch {
	case chat.UserName != "":
		return "https://t.me/" + chat.UserName + "/" + strconv.Itoa(id)
	case chat.ID < -1000000000000:
		return "https://t.me/c/" + strconv.FormatInt(-chat.ID-1000000000000, 10) + "/" + strconv.Itoa(id)
	}
	return ""
}

// chatIDReply answers /getchatid with the channel ref to put in the config.
func chatIDReply(ch adapters.ChannelRef) adapters.Text {
	t := adapters.Text{
		{Text: "This chat's id is "}, {Kind: adapters.Code, Text: ch.ChatID},
	}
	if ch.ThreadID != "" {
		t = append(t, adapters.Span{Text: ", this topic's id is "}, adapters.Span{Kind: adapters.Code, Text: ch.ThreadID})
	}
	return append(t,
		adapters.Span{Text: ".\nIn the config, name this channel "},
		adapters.Span{Kind: adapters.Code, Text: ch.String()},
		adapters.Span{Text: "."})
}

// reply answers the message msg in its chat (and topic) with t, split to Telegram's length limit.
func (a *Adapter) reply(ctx context.Context, ch adapters.ChannelRef, msg *tgbotapi.Message, t adapters.Text) {
	for i, part := range renderText(t) {
		out := outgoing{text: part}
		if i == 0 {
			out.replyTo = strconv.Itoa(msg.MessageID)
		}
		if _, err := a.send(ctx, ch, out); err != nil {
			wait, limited := adapters.RetryAfterOf(classify(err))
			if !limited || wait > time.Minute {
				a.log.Warn("cannot send the reply to a command", "chat", ch.String(), "err", err)
				return
			}
			// Flood control: the invoker is waiting for this answer, so wait once and resend.
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			if _, err := a.send(ctx, ch, out); err != nil {
				a.log.Warn("cannot send the reply to a command", "chat", ch.String(), "err", err)
				return
			}
		}
	}
}
