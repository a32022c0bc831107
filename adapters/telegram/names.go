package telegram

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// ChannelName implements adapters.ChannelNamer: the chat's title from getChat (a private chat:
// its @username).
func (a *Adapter) ChannelName(ctx context.Context, ch adapters.ChannelRef) (string, error) {
	var chat chatInfo
	if err := a.call(ctx, "getChat", tgbotapi.Params{"chat_id": ch.ChatID}, callTimeout, &chat); err != nil {
		return "", err
	}
	switch {
	case chat.Title != "":
		return chat.Title, nil
	case chat.UserName != "":
		return "@" + chat.UserName, nil
	}
	return "", nil
}
