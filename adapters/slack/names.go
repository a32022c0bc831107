package slack

import (
	"context"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// ChannelName implements adapters.ChannelNamer: "#name" from conversations.info.
func (a *Adapter) ChannelName(ctx context.Context, ch adapters.ChannelRef) (string, error) {
	return a.channelName(ctx, ch.ChatID), nil
}
