package mattermost

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// onPosted handles a "posted" websocket event: data.post is the post as a JSON string and
// data.channel_type the channel's type ("D" for a direct message).
func (r *runner) onPosted(ctx context.Context, ev *model.WebSocketEvent) {
	data := ev.GetData()
	raw, _ := data["post"].(string)
	var p model.Post
	if err := json.Unmarshal([]byte(raw), &p); err != nil || p.Id == "" {
		r.a.log.Warn("ignoring a posted event without a readable post", "err", err)
		return
	}
	if t, _ := data["channel_type"].(string); t != "" {
		r.a.setChannelType(p.ChannelId, model.ChannelType(t))
	}
	r.consider(ctx, &p)
}

// consider handles a post once, whether it came over the websocket or from a re-sync: it
// advances the re-sync cursor and, when the post is a command to the bot, answers it.
func (r *runner) consider(ctx context.Context, p *model.Post) {
	a := r.a
	if seen, _ := a.seen.ContainsOrAdd(p.Id, struct{}{}); seen {
		return
	}
	a.mu.Lock()
	a.since = max(a.since, p.CreateAt)
	a.mu.Unlock()
	// Bots do not command the bot (a bridge relaying "@discourse watch …" would act with its
	// own account's rights), as on Slack.
	if p.UserId == r.me.Id || p.DeleteAt != 0 || p.Type != "" || p.GetProp("from_webhook") == "true" ||
		p.GetProp("from_bot") == "true" {
		return
	}
	text, ok := commandText(p.Message, r.me.Username, a.channelType(p.ChannelId) == model.ChannelTypeDirect)
	if !ok {
		return
	}
	r.commands.Go(ctx, p.ChannelId, func(ctx context.Context) { r.answer(ctx, p, text) })
}

// answer builds the command, hands it to the handler and posts the reply in the same channel,
// in the command's thread when it was typed in one. Replies are public, so Reply.Announce,
// which says the same to the channel, is not posted again.
func (r *runner) answer(ctx context.Context, p *model.Post, text string) {
	a := r.a
	u, err := a.user(ctx, p.UserId)
	if err != nil {
		a.log.Warn("cannot read the command's author; ignoring the command", "user", p.UserId, "err", err)
		return
	}
	cmd := adapters.Command{
		Channel: adapters.ChannelRef{Platform: platform, ChatID: p.ChannelId},
		Invoker: a.neutralUser(u),
		IsAdmin: a.isAdmin(ctx, p.ChannelId, u),
		Text:    text,
		Message: adapters.MessageRef(p.Id),
		Thread:  adapters.MessageRef(p.RootId),
		// A reply on Mattermost is a post in the thread of the message replied to: a bare
		// `post` there starts at that message.
		StartAt: adapters.MessageRef(p.RootId),
		Time:    time.UnixMilli(p.CreateAt),
		// No slash commands on Mattermost: help and hints must say "@discourse status".
		Invocation: "@" + r.me.Username,
	}
	reply := r.h.HandleCommand(ctx, cmd)
	msg := render(reply.Text)
	if strings.TrimSpace(msg) == "" {
		return
	}
	out := &model.Post{ChannelId: p.ChannelId, RootId: p.RootId, Message: msg}
	if _, err := call(ctx, a, "create post", func(c *model.Client4) (*model.Post, *model.Response, error) {
		return c.CreatePost(out)
	}); err != nil {
		a.log.Warn("cannot post the reply", "channel", p.ChannelId, "err", err)
	}
}

// commandText finds the command in a message: the text after "@bot" when the message mentions
// the bot, or the whole message in a direct channel. A mention that ends a sentence ("thanks
// @bot") is not a command; a bare "@bot" asks for help.
func commandText(msg, bot string, direct bool) (string, bool) {
	if i, end := findMention(msg, bot); i >= 0 {
		before := strings.TrimSpace(msg[:i])
		after := strings.TrimSpace(strings.TrimLeft(msg[end:], ".,:;!?"))
		switch {
		case after != "":
			return after, true
		case before == "" || direct:
			return "help", true
		}
		return "", false
	}
	if direct {
		if t := strings.TrimSpace(msg); t != "" {
			return t, true
		}
	}
	return "", false
}

// findMention returns the byte span of the first "@bot" in msg that stands as a whole word,
// or -1. The name is compared in place, case-insensitively: lowercasing msg first would shift
// the offsets wherever a letter's lowercase has another UTF-8 length (Ⱥ → ⱥ, İ → i).
func findMention(msg, bot string) (start, end int) {
	if bot == "" {
		return -1, -1
	}
	for off := 0; off < len(msg); {
		k := strings.IndexByte(msg[off:], '@')
		if k < 0 {
			return -1, -1
		}
		i := off + k
		j := i + 1 + len(bot)
		if j > len(msg) {
			return -1, -1
		}
		if strings.EqualFold(msg[i+1:j], bot) {
			prev, _ := utf8.DecodeLastRuneInString(msg[:i])
			next, _ := utf8.DecodeRuneInString(msg[j:])
			if (i == 0 || !nameRune(prev)) && (j == len(msg) || !nameRune(next) || next == '.' && endsWord(msg[j+1:])) {
				return i, j
			}
		}
		off = i + 1
	}
	return -1, -1
}

// nameRune reports whether r can be part of a Mattermost username.
func nameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.'
}

// endsWord reports whether s starts with a space or is empty: "@bot." ends a sentence.
func endsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s == "" || unicode.IsSpace(r)
}

func (a *Adapter) setChannelType(id string, t model.ChannelType) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.types[id] = t
}

func (a *Adapter) channelType(id string) model.ChannelType {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.types[id]
}
