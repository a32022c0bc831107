package adaptertest

import (
	"context"
	"sync"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// ChatLog is an in-memory adapters.ChatLog for adapter tests.
type ChatLog struct {
	mu   sync.Mutex
	msgs []adapters.Message
}

var _ adapters.ChatLog = (*ChatLog)(nil)

// Append implements adapters.ChatLog, keeping at most b.PerChat messages per channel and b.Total
// in all (the oldest go; the store drops whole chats first).
func (l *ChatLog) Append(_ context.Context, m adapters.Message, b adapters.LogBounds) error {
	maxMessages, maxAge := b.PerChat, b.MaxAge
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, m)
	var keep []adapters.Message
	count := 0
	for i := len(l.msgs) - 1; i >= 0; i-- {
		x := l.msgs[i]
		if x.Channel == m.Channel {
			count++
			if maxMessages > 0 && count > maxMessages || maxAge > 0 && m.Time.Sub(x.Time) > maxAge {
				continue
			}
		}
		keep = append([]adapters.Message{x}, keep...)
	}
	if b.Total > 0 && len(keep) > b.Total {
		keep = keep[len(keep)-b.Total:]
	}
	l.msgs = keep
	return nil
}

// Recent implements adapters.ChatLog.
func (l *ChatLog) Recent(_ context.Context, ch adapters.ChannelRef, limit int) ([]adapters.Message, error) {
	var out []adapters.Message
	for _, m := range l.All() {
		if m.Channel == ch {
			out = append(out, m)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// Prune implements adapters.ChatLog.
func (l *ChatLog) Prune(_ context.Context, before time.Time) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keep []adapters.Message
	for _, m := range l.msgs {
		if !m.Time.Before(before) {
			keep = append(keep, m)
		}
	}
	n := int64(len(l.msgs) - len(keep))
	l.msgs = keep
	return n, nil
}

// All returns every recorded message, oldest first.
func (l *ChatLog) All() []adapters.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]adapters.Message(nil), l.msgs...)
}
