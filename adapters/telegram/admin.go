package telegram

import (
	"context"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// adminCacheTTL is how long a getChatMember verdict is trusted: short, so a demoted admin loses
// the right within a minute, long enough that a burst of commands costs one call.
const adminCacheTTL = time.Minute

// groupAnonymousBot is the user Telegram shows as the sender of an anonymous group admin's
// messages (https://core.telegram.org/bots/api#message, sender_chat).
const groupAnonymousBot = 1087968824

type adminKey struct{ chat, user int64 }

type adminEntry struct {
	admin bool
	until time.Time
}

// adminCache remembers getChatMember verdicts for a while.
type adminCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[adminKey]adminEntry
}

func newAdminCache(ttl time.Duration) *adminCache {
	return &adminCache{ttl: ttl, m: make(map[adminKey]adminEntry)}
}

func (c *adminCache) get(k adminKey, now time.Time) (bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.until) {
		return false, false
	}
	return e.admin, true
}

func (c *adminCache) put(k adminKey, admin bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, e := range c.m { // drop stale entries so the map stays small
		if now.After(e.until) {
			delete(c.m, key)
		}
	}
	c.m[k] = adminEntry{admin: admin, until: now.Add(c.ttl)}
}

// isAdmin is Telegram's verdict that the sender of msg may administer its chat: the other party of
// a private chat, the author of a channel post or of an anonymous admin message, or a chat
// member whose status is creator or administrator.
func (a *Adapter) isAdmin(ctx context.Context, msg *tgbotapi.Message) bool {
	chat := msg.Chat
	switch {
	case chat.Type == "private", chat.Type == "channel":
		return true
	case msg.SenderChat != nil && msg.SenderChat.ID == chat.ID:
		return true // only admins can post as the group itself
	case msg.From == nil || msg.From.ID == groupAnonymousBot:
		return false
	}
	k := adminKey{chat: chat.ID, user: msg.From.ID}
	now := time.Now()
	if admin, ok := a.admins.get(k, now); ok {
		return admin
	}
	var member tgbotapi.ChatMember
	params := tgbotapi.Params{
		"chat_id": strconv.FormatInt(chat.ID, 10),
		"user_id": strconv.FormatInt(msg.From.ID, 10),
	}
	if err := a.call(ctx, "getChatMember", params, callTimeout, &member); err != nil {
		// Not cached: the next command asks again.
		a.log.Warn("cannot check whether the invoker is a chat admin; treating as member",
			"chat", chat.ID, "user", msg.From.ID, "err", err)
		return false
	}
	admin := member.IsCreator() || member.IsAdministrator()
	a.admins.put(k, admin, now)
	return admin
}
