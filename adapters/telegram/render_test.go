package telegram

import (
	"fmt"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

func TestRenderText(t *testing.T) {
	adaptertest.Render(t, oneMessage, []adaptertest.RenderCase{
		{Name: "plain", In: adapters.Text{{Text: "hello"}}, Want: "hello"},
		{Name: "escaped", In: adapters.Text{{Text: "a < b & c > d"}}, Want: "a &lt; b &amp; c &gt; d"},
		{Name: "bold italic code", In: adapters.Text{{Kind: adapters.Bold, Text: "b"}, {Kind: adapters.Italic, Text: "i"}, {Kind: adapters.Code, Text: "<c>"}},
			Want: "<b>b</b><i>i</i><code>&lt;c&gt;</code>"},
		{Name: "code block", In: adapters.Text{{Kind: adapters.CodeBlock, Text: "x := 1\n"}}, Want: "<pre>x := 1\n</pre>"},
		{Name: "link", In: adapters.Text{{Kind: adapters.Link, Text: "forum", URL: "https://f.example/?a=1&b=\"2\""}},
			Want: `<a href="https://f.example/?a=1&amp;b=&#34;2&#34;">forum</a>`},
		{Name: "link without text shows the URL", In: adapters.Text{{Kind: adapters.Link, URL: "https://e.org/"}}, Want: `<a href="https://e.org/">https://e.org/</a>`},
		{Name: "javascript link is text", In: adapters.Text{{Kind: adapters.Link, Text: "x", URL: "javascript:alert(1)"}}, Want: "x"},
		{Name: "mass mention defused", In: adapters.Text{{Text: "@everyone"}}, Want: "@\u2060everyone"},
	})
}

// oneMessage is renderText for a Text that fits one message: its only part (more parts, which
// no case wants, show counted).
func oneMessage(in adapters.Text) string {
	got := renderText(in)
	if len(got) != 1 {
		return fmt.Sprintf("%d messages %q", len(got), got)
	}
	return got[0]
}

func TestRenderTextSplits(t *testing.T) {
	tests := []struct {
		name  string
		in    adapters.Text
		parts int
	}{
		{"short", adapters.Text{{Text: "x"}}, 1},
		{"empty", adapters.Text{}, 0},
		{"two spans over the limit", adapters.Text{{Text: strings.Repeat("a", 3000)}, {Kind: adapters.Bold, Text: strings.Repeat("b", 3000)}}, 2},
		{"one huge span", adapters.Text{{Text: strings.Repeat("c", 10000)}}, 3},
		{"mentions grow when defused", adapters.Text{{Text: strings.Repeat("@all", 2000)}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderText(tt.in)
			if len(got) != tt.parts {
				t.Errorf("%d parts, want %d", len(got), tt.parts)
			}
			for _, p := range got {
				if n := utf16Len(htmlUnescapeForTest(p)); n > MaxMessageLength {
					t.Errorf("a part has %d characters", n)
				}
			}
		})
	}
}

// htmlUnescapeForTest strips tags: what the reader sees of simple rendered HTML.
func htmlUnescapeForTest(s string) string {
	for _, tag := range []string{"<b>", "</b>", "<i>", "</i>"} {
		s = strings.ReplaceAll(s, tag, "")
	}
	return s
}

func TestRenderNotification(t *testing.T) {
	n := adapters.Notification{
		TopicTitle: "Installer <stops>", URL: "https://forum.example.org/t/installer/42/3",
		AuthorName: "Alice Smith", AuthorUser: "alice", CategoryPath: "Support/Installs",
		CategoryColor: "0088CC", Tags: []string{"bug", "linux"}, Excerpt: "It stops & waits.",
	}
	want := `🟦 <b><a href="https://forum.example.org/t/installer/42/3">Installer &lt;stops&gt;</a></b>` +
		"\n[Support/Installs] #bug #linux\n<i>It stops &amp; waits.</i>" +
		"\n— <a href=\"https://forum.example.org/u/alice\">Alice Smith (@alice)</a>"
	if got := renderNotification(n); got != want {
		t.Errorf("renderNotification =\n%s\nwant\n%s", got, want)
	}
}

func TestNotificationExcerptIsCutToTheLimit(t *testing.T) {
	tests := []struct {
		name    string
		excerpt string
	}{
		{"ascii", strings.Repeat("word ", 2000)},
		{"astral (two UTF-16 units each)", strings.Repeat("😀", 5000)},
		{"mentions", strings.Repeat("@here ", 2000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := adapters.Notification{TopicTitle: "T", URL: "https://f.example/t/x/1", Excerpt: tt.excerpt, AuthorUser: "a"}
			out := renderNotification(n)
			visible := out
			for _, tag := range []string{"<b>", "</b>", "<i>", "</i>", `<a href="https://f.example/t/x/1">`, `<a href="https://f.example/u/a">`, "</a>"} {
				visible = strings.ReplaceAll(visible, tag, "")
			}
			if got := utf16Len(visible); got > MaxMessageLength {
				t.Errorf("visible length %d over %d", got, MaxMessageLength)
			}
			if !strings.Contains(out, "…") {
				t.Error("the cut excerpt does not end with …")
			}
			if !strings.Contains(out, "@a") {
				t.Error("the author was cut off")
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"one two three", 8, "one two…"},
		{"😀😀😀", 4, "😀…"},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestColourSquare(t *testing.T) {
	tests := []struct{ hex, want string }{
		{"0088CC", "🟦"}, {"BF1E2E", "🟥"}, {"F1592A", "🟧"}, {"3AB54A", "🟩"},
		{"652D90", "🟪"}, {"231F20", "⬛"}, {"8B4513", "🟫"}, {"F7941D", "🟧"}, {"FFD700", "🟨"}, {"FFF", "⬜"}, {"#E6E7E8", "⬜"}, {"", ""}, {"zzz", ""},
	}
	for _, tt := range tests {
		if got := colourSquare(tt.hex); got != tt.want {
			t.Errorf("colourSquare(%q) = %q, want %q", tt.hex, got, tt.want)
		}
	}
}
