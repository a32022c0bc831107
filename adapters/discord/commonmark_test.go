package discord

import "testing"

// TestToCommonMark: Discord's own markup (mentions, custom emoji) arrives in transcripts as
// CommonMark, converted only outside code.
func TestToCommonMark(t *testing.T) {
	names := map[string]string{"123": "bob"}
	tests := []struct{ in, want string }{
		{"hey <@123> <@!123> <:blob:456> <a:dance:789> **b**", "hey @bob @bob :blob: :dance: **b**"},
		{"unknown <@999> stays", "unknown <@999> stays"},
		{"code `<@123> <:blob:456>` kept", "code `<@123> <:blob:456>` kept"},
		{"Yes <:party:99> see ||spoilers|| and > quoted", "Yes :party: see ||spoilers|| and > quoted"},
	}
	for _, tt := range tests {
		if got := toCommonMark(tt.in, names); got != tt.want {
			t.Errorf("toCommonMark(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
