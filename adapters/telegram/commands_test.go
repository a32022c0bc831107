package telegram

import "testing"

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text     string
		kind     commandKind
		wantText string
	}{
		{"/discourse watch support tag:bug", forBot, "watch support tag:bug"},
		{"/discourse@mybot status", forBot, "status"},
		{"/discourse", forBot, "help"},
		{"/watch support", forBot, "watch support"},
		{"/WATCH support", forBot, "watch support"},
		{"/watch@MyBot support", forBot, "watch support"},
		{"/status\nextra", forBot, "status extra"},
		{"/remove 2", forBot, "remove 2"},
		{"/post 30", forBot, "post 30"},
		{"/test", forBot, "test"},
		{"/help", forBot, "help"},
		{"/thread support", forBot, "thread support"},
		{"/mute", forBot, "mute"},
		{"/follow", forBot, "follow"},
		{"/start", forBot, "help"},
		{"/getchatid", getChatID, ""},
		{"/getchatid@mybot", getChatID, ""},
		{"/watch@otherbot support", notCommand, ""},
		{"/getchatid@otherbot", notCommand, ""},
		{"/weather", notCommand, ""},
		{"watch support", notCommand, ""},
		{"", notCommand, ""},
	}
	for _, tt := range tests {
		kind, text := parseCommand(tt.text, "mybot")
		if kind != tt.kind || text != tt.wantText {
			t.Errorf("parseCommand(%q) = %v, %q; want %v, %q", tt.text, kind, text, tt.kind, tt.wantText)
		}
	}
}

func TestRedact(t *testing.T) {
	const token = "123:AbC-d_e"
	tests := []struct{ in, want string }{
		{`Post "https://api.telegram.org/bot123:AbC-d_e/sendMessage": dial tcp: refused`, `Post "https://api.telegram.org/bot<redacted>/sendMessage": dial tcp: refused`},
		{"escaped bot123%3AAbC-d_e/x", "escaped bot<redacted>/x"},
		{"nothing secret", "nothing secret"},
	}
	for _, tt := range tests {
		if got := redact(tt.in, token); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
