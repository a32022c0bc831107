package adapters

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseChannelRef(t *testing.T) {
	tests := []struct {
		in      string
		want    ChannelRef
		wantErr string
	}{
		{"slack:C0123", ChannelRef{Platform: "slack", ChatID: "C0123"}, ""},
		{"telegram:-100123/42", ChannelRef{Platform: "telegram", ChatID: "-100123", ThreadID: "42"}, ""},
		{"Discord:99", ChannelRef{Platform: "discord", ChatID: "99"}, ""},
		{"console:local", ChannelRef{Platform: "console", ChatID: "local"}, ""},
		{"C0123", ChannelRef{}, "want platform:chat_id"},
		{"irc:#go", ChannelRef{Platform: "irc", ChatID: "#go"}, ""}, // the registry says which platforms exist
		{"sl ack:C1", ChannelRef{}, "not a platform name"},
		{"slack:", ChannelRef{}, "want platform:chat_id"},
		{"slack:/4", ChannelRef{}, "empty chat id"},
	}
	for _, tt := range tests {
		got, err := ParseChannelRef(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseChannelRef(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseChannelRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if back, _ := ParseChannelRef(got.String()); back != got {
			t.Errorf("String() = %q does not parse back", got.String())
		}
	}
}

func TestDefuseMentions(t *testing.T) {
	for _, in := range []string{"@everyone", "hi @here!", "@Channel", "@all people", "x@everyone"} {
		out := DefuseMentions(in)
		if massMention.MatchString(out) {
			t.Errorf("DefuseMentions(%q) = %q still has a mass mention", in, out)
		}
		if strings.ReplaceAll(out, "\u2060", "") != in {
			t.Errorf("DefuseMentions(%q) = %q changed the visible text", in, out)
		}
	}
	if got := DefuseMentions("@alice and @allison"); got != "@alice and @allison" {
		t.Errorf("DefuseMentions touched ordinary mentions: %q", got)
	}
}

// Untrusted text cannot start a heading or a list; the same characters elsewhere stay as written.
func TestEscapeBlockStarts(t *testing.T) {
	for in, want := range map[string]string{
		"# Heading":              `\# Heading`,
		"- item\n+ item":         "\\- item\n\\+ item",
		"1. first\n  12) second": "1\\. first\n  12\\) second",
		"Title\n===\n---":        "Title\n\\===\n\\---",
		"a - b + c # d, v1.2":    "a - b + c # d, v1.2",
		"1 . no list, 1x.":       "1 . no list, 1x.",
	} {
		if got := EscapeBlockStarts(in, true); got != want {
			t.Errorf("EscapeBlockStarts(%q, true) = %q, want %q", in, got, want)
		}
	}
	if got := EscapeBlockStarts("1. after text\n- b", false); got != "1. after text\n\\- b" {
		t.Errorf("text after other text on its line: %q", got)
	}
}

func TestErrorVerdicts(t *testing.T) {
	base := errors.New("boom")
	err := RetryAfter(3*time.Second, base)
	if d, ok := RetryAfterOf(err); !ok || d != 3*time.Second {
		t.Errorf("RetryAfterOf = %v, %v", d, ok)
	}
	if !errors.Is(err, base) {
		t.Error("RetryAfter does not unwrap")
	}
	if IsPermanent(err) {
		t.Error("a retry-after error is not permanent")
	}
	if !IsPermanent(Permanent(base)) {
		t.Error("Permanent not recognised")
	}
}

func TestTextString(t *testing.T) {
	txt := Text{{Kind: Bold, Text: "Rules"}, {Text: ": see "}, {Kind: Link, Text: "docs", URL: "https://x"}}
	if got := txt.String(); got != "Rules: see docs (https://x)" {
		t.Errorf("String() = %q", got)
	}
}

func TestAuthor(t *testing.T) {
	for _, tt := range []struct{ name, user, want string }{
		{"Alice Smith", "alice", "Alice Smith (@alice)"},
		{"alice", "alice", "@alice"},
		{"", "bob", "@bob"},
	} {
		if got := (Notification{AuthorName: tt.name, AuthorUser: tt.user}).Author(); got != tt.want {
			t.Errorf("Author(%q,%q) = %q, want %q", tt.name, tt.user, got, tt.want)
		}
	}
}
