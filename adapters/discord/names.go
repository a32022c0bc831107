package discord

import (
	"context"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// ChannelName implements adapters.ChannelNamer: "#name" from the gateway's state or the REST API.
func (a *Adapter) ChannelName(ctx context.Context, ch adapters.ChannelRef) (string, error) {
	_, name := a.channelInfo(ctx, ch.ChatID)
	return name, nil
}
