package telegram

import (
	"testing"

	"golang.org/x/time/rate"
)

// Telegram lets a bot send at most 20 messages a minute into one group, a message a second into
// a private chat.
func TestChatRate(t *testing.T) {
	tests := []struct {
		name string
		chat int64
		max  rate.Limit
	}{
		{"private chat", 42, 1},
		{"basic group", -4242, 20.0 / 60},
		{"supergroup", -1001234567890, 20.0 / 60},
	}
	l := newLimiter()
	for _, tt := range tests {
		if err := l.wait(t.Context(), tt.chat); err != nil {
			t.Fatal(err)
		}
		l.mu.Lock()
		got := l.chats[tt.chat].Limit()
		l.mu.Unlock()
		if got > tt.max {
			t.Errorf("%s: %v messages a second, want at most %v", tt.name, got, tt.max)
		}
	}
}
