package telegram

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Telegram bots cannot read a chat's history: the adapter records what it sees in the chat log
// it is given, and History reads from there.

// record adds a message to the chat log; a failure costs that message in transcripts only.
func (a *Adapter) record(ctx context.Context, m adapters.Message) {
	if err := a.cfg.ChatLog.Append(ctx, m, adapters.LogBounds{PerChat: a.cfg.LogMaxMessages, MaxAge: a.cfg.LogMaxAge, Total: a.cfg.LogMaxTotal}); err != nil {
		a.log.Error("chat log: record message", "channel", m.Channel.String(), "err", err)
	}
}

// pruneChatLog drops messages past the log's age in every chat, also in chats that went quiet.
func (a *Adapter) pruneChatLog(ctx context.Context, now time.Time) {
	if a.cfg.ChatLog == nil || a.cfg.LogMaxAge <= 0 {
		return
	}
	if n, err := a.cfg.ChatLog.Prune(ctx, now.Add(-a.cfg.LogMaxAge)); err != nil {
		if ctx.Err() == nil {
			a.log.Warn("prune the chat log", "err", err)
		}
	} else if n > 0 {
		a.log.Debug("pruned the chat log", "messages", n)
	}
}

// messageLinkRe is a message link, optionally through a forum topic: t.me/c/<chat>/[<topic>/]<id>
// (group 1: a supergroup's id without -100) or t.me/<username>/[<topic>/]<id> (group 2: a public
// chat's username, 4 to 32 characters that start with a letter, so "c" is never one).
var messageLinkRe = regexp.MustCompile(`^https?://(?:www\.)?t(?:elegram)?\.me/(?:c/(\d+)|([A-Za-z]\w{3,31}))/(?:\d+/)?(\d+)/?(?:\?.*)?$`)

// errNotThisChat refuses a link that is not to a message of the chat the command was typed in:
// one answer for a link to another chat, public or not, and for a link that is none.
var errNotThisChat = adapters.Refused("That is not a link to a message of this chat (right-click a message here, Copy Message Link).")

// linkedMessageID is the message id of a link to a message of ch, or errNotThisChat. A
// t.me/c/<chat> link must name ch's chat (a supergroup -100<chat>); a t.me/<username> link must
// name ch's public username now, whatever its case.
func (a *Adapter) linkedMessageID(ctx context.Context, ch adapters.ChannelRef, link string) (string, error) {
	m := messageLinkRe.FindStringSubmatch(strings.TrimSpace(link))
	switch {
	case m == nil:
		return "", errNotThisChat
	case m[1] != "":
		if "-100"+m[1] != ch.ChatID {
			return "", errNotThisChat
		}
	default:
		own, err := a.chatUsername(ctx, ch)
		if err != nil {
			return "", fmt.Errorf("read this chat's username: %w", err)
		}
		if own == "" || !strings.EqualFold(own, m[2]) {
			return "", errNotThisChat
		}
	}
	return m[3], nil
}

// chatUsername is ch's public username now, "" when it has none. It asks Telegram (getChat) each
// time: only a t.me/<username> link needs it, and a rename then counts at once. Nothing is kept
// per chat, so the many groups anyone can add the bot to cost no memory.
func (a *Adapter) chatUsername(ctx context.Context, ch adapters.ChannelRef) (string, error) {
	var chat chatInfo
	if err := a.call(ctx, "getChat", tgbotapi.Params{"chat_id": ch.ChatID}, callTimeout, &chat); err != nil {
		return "", err
	}
	return chat.UserName, nil
}

// History implements adapters.Adapter from the chat log: the newest q.Limit messages, the
// messages from a linked one on, or a thread (a message and the replies to it, to replies to
// them and so on), as adapters.HistoryPlan says. A range longer than q.Limit is refused
// (adapters.CheckRange).
func (a *Adapter) History(ctx context.Context, q adapters.HistoryQuery) (adapters.History, error) {
	if a.cfg.ChatLog == nil {
		return adapters.History{}, adapters.ErrNoHistory
	}
	mode, limit := adapters.HistoryPlan(q)
	read := limit
	if mode != adapters.HistoryLatest {
		// A range starts anywhere in the log: read all of it, so that a message past the
		// range's cap is a range too long, not a message missing from the log.
		read = max(limit, a.cfg.LogMaxMessages)
		if a.cfg.LogMaxMessages <= 0 {
			read = max(limit, adapters.MaxHistoryLimit)
		}
	}
	logged, err := a.cfg.ChatLog.Recent(ctx, q.Channel, read)
	if err != nil {
		return adapters.History{}, fmt.Errorf("read the chat log: %w", err)
	}
	if len(logged) == 0 {
		return adapters.History{}, adapters.Refused("I have recorded no messages here yet: Telegram bots only see messages sent while they are in the group, with privacy mode off or as an administrator.")
	}
	h := adapters.History{Source: Platform.Title(), Messages: logged}
	for i := range h.Messages {
		h.Messages[i].Link = supergroupLink(q.Channel, string(h.Messages[i].ID))
	}
	id := ""
	switch mode {
	case adapters.HistoryLatest:
		return h, nil
	case adapters.HistoryFrom, adapters.HistoryThreadLink:
		link := q.FromLink
		if mode == adapters.HistoryThreadLink {
			link = q.ThreadLink
		}
		if id, err = a.linkedMessageID(ctx, q.Channel, link); err != nil {
			return adapters.History{}, err
		}
	case adapters.HistoryThread:
		if id = string(q.Thread); id == q.Channel.ThreadID {
			h.Messages = h.Messages[max(0, len(h.Messages)-limit):] // the forum topic the command was typed in: its log is the channel's
			return h, adapters.CheckRange(q, len(h.Messages))
		}
	}
	start := -1
	for i, m := range h.Messages {
		if string(m.ID) == id {
			start = i
			break
		}
	}
	if start < 0 {
		return adapters.History{}, adapters.Refused("That message is not in my chat log (it keeps the last %d messages).", max(a.cfg.LogMaxMessages, len(logged)))
	}
	if mode == adapters.HistoryFrom {
		h.Messages = h.Messages[start:]
		return h, adapters.CheckRange(q, len(h.Messages))
	}
	// A thread: its first message (up the chain of replies from the linked one, as far as the
	// log goes) and the replies to it, to them, and so on.
	at := map[adapters.MessageRef]int{}
	for i, m := range h.Messages[:start+1] {
		at[m.ID] = i
	}
	for {
		up, ok := at[h.Messages[start].ReplyTo]
		if !ok || up >= start {
			break
		}
		start = up
	}
	root := h.Messages[start].ID
	keep := []adapters.Message{h.Messages[start]}
	in := map[adapters.MessageRef]bool{root: true}
	for _, m := range h.Messages[start+1:] {
		if in[m.ReplyTo] {
			in[m.ID] = true
			keep = append(keep, m)
		}
	}
	h.Messages = keep
	return h, adapters.CheckRange(q, len(h.Messages))
}

// supergroupLink is a message's link in a supergroup (id -100…): t.me/c/<id>/<message>, which
// opens for the group's members. Basic groups have no message links.
func supergroupLink(ch adapters.ChannelRef, messageID string) string {
	id, ok := strings.CutPrefix(ch.ChatID, "-100")
	if !ok || id == "" || messageID == "" {
		return ""
	}
	return "https://t.me/c/" + id + "/" + messageID
}
