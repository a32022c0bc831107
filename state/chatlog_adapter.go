package state

import (
	"context"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// ChatLogOf returns the store's chat log as the adapters see it (adapters.ChatLog).
func ChatLogOf(s Store) adapters.ChatLog { return chatLog{s} }

type chatLog struct{ s Store }

func (c chatLog) Append(ctx context.Context, m adapters.Message, b adapters.LogBounds) error {
	return c.s.LogMessage(ctx, LoggedMessage{
		Channel: m.Channel.String(), MessageID: string(m.ID), ThreadID: string(m.Thread), ReplyTo: string(m.ReplyTo),
		UserID: m.User.ID, Username: m.User.Username, Name: m.User.DisplayName, AvatarURL: m.User.AvatarURL,
		Text: m.Text, IsBot: m.IsBot || m.User.IsBot, Time: m.Time,
	}, LogBounds{PerChat: b.PerChat, MaxAge: b.MaxAge, Total: b.Total})
}

func (c chatLog) Recent(ctx context.Context, ch adapters.ChannelRef, limit int) ([]adapters.Message, error) {
	logged, err := c.s.ChatLog(ctx, ch.String(), limit)
	if err != nil {
		return nil, err
	}
	out := make([]adapters.Message, 0, len(logged))
	for _, m := range logged {
		out = append(out, adapters.Message{
			ID: adapters.MessageRef(m.MessageID), Channel: ch, Thread: adapters.MessageRef(m.ThreadID),
			ReplyTo: adapters.MessageRef(m.ReplyTo), Text: m.Text, Time: m.Time, IsBot: m.IsBot,
			User: adapters.User{ID: m.UserID, Username: m.Username, DisplayName: m.Name, AvatarURL: m.AvatarURL, IsBot: m.IsBot},
		})
	}
	return out, nil
}

func (c chatLog) Prune(ctx context.Context, before time.Time) (int64, error) {
	return c.s.PruneChatLog(ctx, before)
}
