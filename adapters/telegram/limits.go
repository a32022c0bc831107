package telegram

import (
	"context"
	"strconv"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// Limits are the send rates the adapter keeps to.
type Limits struct {
	Private pace.Limit // one private chat
	Group   pace.Limit // one group, supergroup or channel (its forum topics together)
	Overall pace.Limit // every chat together
}

// DefaultLimits are Telegram's flood limits
// (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): no more
// than one message a second in one chat, 20 a minute in one group, 30 a second in all. Telegram
// tolerates short bursts without saying how short; the adapter spaces every message instead.
var DefaultLimits = Limits{
	Private: pace.Limit{N: 1, Per: time.Second},
	Group:   pace.Limit{N: 20, Per: time.Minute},
	Overall: pace.Limit{N: 30, Per: time.Second},
}

// pace waits until chat may receive one more message, or ctx ends.
func (a *Adapter) pace(ctx context.Context, chat int64) error {
	return a.pacer.Wait(ctx,
		pace.Lane{Key: strconv.FormatInt(chat, 10), Limit: a.chatLimit(chat)},
		pace.Lane{Key: "all", Limit: a.limits.Overall})
}

// chatLimit is the limit of one chat, by its kind: private chats have positive ids; groups,
// supergroups and channels negative ones.
func (a *Adapter) chatLimit(chat int64) pace.Limit {
	if chat < 0 {
		return a.limits.Group
	}
	return a.limits.Private
}
