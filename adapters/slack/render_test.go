package slack

import (
	"errors"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

func TestRender(t *testing.T) {
	adaptertest.Render(t, render, []adaptertest.RenderCase{
		{Name: "plain text passes", In: adapters.Text{{Text: "Watching support."}}, Want: "Watching support."},
		{Name: "control characters are escaped", In: adapters.Text{{Text: "a < b & c > d"}}, Want: "a &lt; b &amp; c &gt; d"},
		{Name: "a special mention cannot form", In: adapters.Text{{Text: "<!channel> <@U123>"}}, Want: "&lt;!channel&gt; &lt;@U123&gt;"},
		{Name: "mass mention words are defused", In: adapters.Text{{Text: "hi @here"}}, Want: "hi @\u2060here"},
		{Name: "bold", In: adapters.Text{{Text: "Rules: "}, {Kind: adapters.Bold, Text: "1"}}, Want: "Rules: *1*"},
		{Name: "bold keeps spaces outside the marks", In: adapters.Text{{Kind: adapters.Bold, Text: " x "}}, Want: " *x* "},
		{Name: "bold over two lines marks each line", In: adapters.Text{{Kind: adapters.Bold, Text: "a\nb"}}, Want: "*a*\n*b*"},
		{Name: "italic", In: adapters.Text{{Kind: adapters.Italic, Text: "soon"}}, Want: "_soon_"},
		{Name: "inline code", In: adapters.Text{{Kind: adapters.Code, Text: "tag:bug"}}, Want: "`tag:bug`"},
		{Name: "inline code cannot be closed early", In: adapters.Text{{Kind: adapters.Code, Text: "a`b"}}, Want: "`aˋb`"},
		{Name: "code block on its own lines", In: adapters.Text{{Text: "Usage:"}, {Kind: adapters.CodeBlock, Text: "watch <cat>\n"}},
			Want: "Usage:\n```\nwatch &lt;cat&gt;\n```"},
		{Name: "empty code block is dropped", In: adapters.Text{{Kind: adapters.CodeBlock, Text: "\n"}}, Want: ""},
		{Name: "link", In: adapters.Text{{Kind: adapters.Link, Text: "Support", URL: "https://forum.example.org/c/support"}},
			Want: "<https://forum.example.org/c/support|Support>"},
		{Name: "link label is escaped", In: adapters.Text{{Kind: adapters.Link, Text: "a|b <c>", URL: "https://x.org/"}},
			Want: "<https://x.org/|a|b &lt;c&gt;>"},
		{Name: "link URL cannot break out", In: adapters.Text{{Kind: adapters.Link, Text: "t", URL: "https://x.org/a|b>c&d"}},
			Want: "<https://x.org/a%7Cb%3Ec&amp;d|t>"},
		{Name: "javascript URL is not linked", In: adapters.Text{{Kind: adapters.Link, Text: "t", URL: "javascript:alert(1)"}}, Want: "t"},
		{Name: "link without text shows the URL", In: adapters.Text{{Kind: adapters.Link, URL: "https://x.org/"}}, Want: "<https://x.org/|https://x.org/>"},
	})
}

func TestMentionText(t *testing.T) {
	tests := []struct {
		name, text, self, want string
	}{
		{"leading mention", "<@UBOT> watch support", "UBOT", "watch support"},
		{"mention with label", "<@UBOT|discourse>   status", "UBOT", "status"},
		{"someone else first", "hey <@UOTHER> and <@UBOT> help", "UBOT", "help"},
		{"unknown self takes the first mention", "<@UBOT> help", "", "help"},
		{"no mention", "status", "UBOT", "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mentionText(tt.text, tt.self); got != tt.want {
				t.Errorf("mentionText(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseMessageLink(t *testing.T) {
	tests := []struct {
		name, in string
		want     messageLink
		bad      bool
	}{
		{"message", "https://team.slack.com/archives/C123/p1700000000123456",
			messageLink{channel: "C123", ts: "1700000000.123456"}, false},
		{"reply in a thread", "https://team.slack.com/archives/C123/p1700000000123456?thread_ts=1700000000.000100&cid=C123",
			messageLink{channel: "C123", ts: "1700000000.123456", threadTS: "1700000000.000100"}, false},
		{"angle brackets as Slack shows links", "<https://team.slack.com/archives/C9/p1700000000000001>",
			messageLink{channel: "C9", ts: "1700000000.000001"}, false},
		{"GovSlack", "https://agency.slack-gov.com/archives/C1/p1700000000000002",
			messageLink{channel: "C1", ts: "1700000000.000002"}, false},
		{"Discord link", "https://discord.com/channels/1/2/3", messageLink{}, true},
		{"channel link", "https://team.slack.com/archives/C123", messageLink{}, true},
		{"look-alike host", "https://slack.com.evil.org/archives/C1/p1700000000000002", messageLink{}, true},
		{"plain http", "http://team.slack.com/archives/C1/p1700000000000002", messageLink{}, true},
		{"not a URL", "30", messageLink{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMessageLink(tt.in)
			if tt.bad {
				if err == nil || !errors.Is(err, adapters.ErrBadLink) {
					t.Fatalf("parseMessageLink(%q) = %+v, %v; want ErrBadLink", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseMessageLink(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestTSTime(t *testing.T) {
	got := tsTime("1700000000.123456")
	if got.Unix() != 1700000000 || got.Nanosecond() != 123456000 {
		t.Errorf("tsTime = %v", got)
	}
	if !tsTime("junk").IsZero() {
		t.Error("a bad ts gave a time")
	}
	if l := messageURL("https://t.slack.com/", "C1", "1700000000.123456", ""); l != "https://t.slack.com/archives/C1/p1700000000123456" {
		t.Errorf("messageURL = %q", l)
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("abc", 5); got != "abc" {
		t.Errorf("short text changed: %q", got)
	}
	if got := truncate("abcdef", 4); got != "abc…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("ab &amp; cd", 6); got != "ab …" {
		t.Errorf("truncate cut inside an entity: %q", got)
	}
}
