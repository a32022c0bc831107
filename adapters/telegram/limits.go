package telegram

import (
	"context"
	"sync"

	"golang.org/x/time/rate"
)

// Telegram's flood limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
// about one message a second in one chat, no more than 20 a minute in one group, and 30 a
// second overall. Short bursts are tolerated, so the per-chat limiter allows a few at once; a
// 429 that still happens becomes RetryAfter.
const (
	perChatRate   = 1 // messages per second in one chat
	perChatBurst  = 3
	perGroupRate  = rate.Limit(20.0 / 60) // messages per second in one group (or channel)
	perGroupBurst = 10                    // a reply in several parts, a few notifications at once
	globalRate    = 30                    // messages per second in all
	globalBurst   = 30
)

// limiter paces sends per chat and overall.
type limiter struct {
	global *rate.Limiter
	mu     sync.Mutex
	chats  map[int64]*rate.Limiter
}

func newLimiter() *limiter {
	return &limiter{
		global: rate.NewLimiter(globalRate, globalBurst),
		chats:  make(map[int64]*rate.Limiter),
	}
}

// wait blocks until chat may receive one more message, or ctx ends.
func (l *limiter) wait(ctx context.Context, chat int64) error {
	l.mu.Lock()
	c, ok := l.chats[chat]
	if !ok {
		c = chatLimiter(chat)
		l.chats[chat] = c
	}
	l.mu.Unlock()
	if err := c.Wait(ctx); err != nil {
		return err
	}
	return l.global.Wait(ctx)
}

// chatLimiter paces one chat: private chats have positive ids, groups, supergroups and channels
// negative ones.
func chatLimiter(chat int64) *rate.Limiter {
	if chat < 0 {
		return rate.NewLimiter(perGroupRate, perGroupBurst)
	}
	return rate.NewLimiter(perChatRate, perChatBurst)
}
