package matrix

import (
	"context"

	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// ChannelName implements adapters.ChannelNamer: the room's name, else its alias.
func (a *Adapter) ChannelName(ctx context.Context, ch adapters.ChannelRef) (string, error) {
	return a.roomName(ctx, id.RoomID(ch.ChatID)), nil
}
