package telegram

import (
	"testing"
	"time"
)

// Telegram lets a bot send at most 20 messages a minute into one group, a message a second into
// a private chat.
func TestChatRate(t *testing.T) {
	tests := []struct {
		name string
		chat int64
		max  float64 // messages a second
	}{
		{"private chat", 42, 1},
		{"basic group", -4242, 20.0 / 60},
		{"supergroup", -1001234567890, 20.0 / 60},
	}
	a, err := New(Config{Token: "123:abc"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		got := float64(time.Second) / float64(a.chatLimit(tt.chat).Interval())
		if got > tt.max {
			t.Errorf("%s: %v messages a second, want at most %v", tt.name, got, tt.max)
		}
	}
	if got := float64(time.Second) / float64(a.limits.Overall.Interval()); got > 30 {
		t.Errorf("overall: %v messages a second, want at most 30", got)
	}
}
