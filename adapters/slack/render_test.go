package slack

import (
	"errors"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		in   adapters.Text
		want string
	}{
		{"plain text passes", adapters.Text{{Text: "Watching support."}}, "Watching support."},
		{"control characters are escaped", adapters.Text{{Text: "a < b & c > d"}}, "a &lt; b &amp; c &gt; d"},
		{"a special mention cannot form", adapters.Text{{Text: "<!channel> <@U123>"}}, "&lt;!channel&gt; &lt;@U123&gt;"},
		{"mass mention words are defused", adapters.Text{{Text: "hi @here"}}, "hi @\u2060here"},
		{"bold", adapters.Text{{Text: "Rules: "}, {Kind: adapters.Bold, Text: "1"}}, "Rules: *1*"},
		{"bold keeps spaces outside the marks", adapters.Text{{Kind: adapters.Bold, Text: " x "}}, " *x* "},
		{"bold over two lines marks each line", adapters.Text{{Kind: adapters.Bold, Text: "a\nb"}}, "*a*\n*b*"},
		{"italic", adapters.Text{{Kind: adapters.Italic, Text: "soon"}}, "_soon_"},
		{"inline code", adapters.Text{{Kind: adapters.Code, Text: "tag:bug"}}, "`tag:bug`"},
		{"inline code cannot be closed early", adapters.Text{{Kind: adapters.Code, Text: "a`b"}}, "`aˋb`"},
		{"code block on its own lines", adapters.Text{{Text: "Usage:"}, {Kind: adapters.CodeBlock, Text: "watch <cat>\n"}},
			"Usage:\n```\nwatch &lt;cat&gt;\n```"},
		{"empty code block is dropped", adapters.Text{{Kind: adapters.CodeBlock, Text: "\n"}}, ""},
		{"link", adapters.Text{{Kind: adapters.Link, Text: "Support", URL: "https://forum.example.org/c/support"}},
			"<https://forum.example.org/c/support|Support>"},
		{"link label is escaped", adapters.Text{{Kind: adapters.Link, Text: "a|b <c>", URL: "https://x.org/"}},
			"<https://x.org/|a|b &lt;c&gt;>"},
		{"link URL cannot break out", adapters.Text{{Kind: adapters.Link, Text: "t", URL: "https://x.org/a|b>c&d"}},
			"<https://x.org/a%7Cb%3Ec&amp;d|t>"},
		{"javascript URL is not linked", adapters.Text{{Kind: adapters.Link, Text: "t", URL: "javascript:alert(1)"}}, "t"},
		{"link without text shows the URL", adapters.Text{{Kind: adapters.Link, URL: "https://x.org/"}}, "<https://x.org/|https://x.org/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(tt.in); got != tt.want {
				t.Errorf("render() = %q, want %q", got, tt.want)
			}
		})
	}
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
