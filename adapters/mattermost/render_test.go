package mattermost

import (
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

func TestRender(t *testing.T) {
	adaptertest.Render(t, render, []adaptertest.RenderCase{
		{Name: "plain text stays", In: adapters.Text{{Text: "Rules here: 2"}}, Want: "Rules here: 2"},
		{Name: "bold and italic", In: adapters.Text{{Kind: adapters.Bold, Text: "1."}, {Text: " watch "}, {Kind: adapters.Italic, Text: "support"}}, Want: "**1.** watch _support_"},
		{Name: "markdown in plain text is escaped", In: adapters.Text{{Text: "*not bold* _x_ [a](b) `c` # h | t ~s~"}}, Want: `\*not bold\* \_x\_ \[a\]\(b\) \` + "`c\\`" + ` \# h \| t \~s\~`},
		{Name: "line-start markers are escaped there only", In: adapters.Text{{Text: "- x\n+ y\n2. z\nh\n===\na - b 2.5"}}, Want: "\\- x\n\\+ y\n2\\. z\nh\n\\===\na - b 2.5"},
		{Name: "a line after bold text starts a list no more", In: adapters.Text{{Kind: adapters.Bold, Text: "a"}, {Text: "\n- b"}}, Want: "**a**\n\\- b"},
		{Name: "html and entities show literally", In: adapters.Text{{Text: "<b>x</b> &lt; & ok"}}, Want: "&lt;b&gt;x&lt;/b&gt; &amp;lt; & ok"},
		{Name: "mentions are defused", In: adapters.Text{{Text: "@channel @all @here @alice"}}, Want: "@\u2060channel @\u2060all @\u2060here @\u2060alice"},
		{Name: "inline code verbatim", In: adapters.Text{{Kind: adapters.Code, Text: "tag:bug *x*"}}, Want: "`tag:bug *x*`"},
		{Name: "inline code with backticks", In: adapters.Text{{Kind: adapters.Code, Text: "a`b"}}, Want: "``a`b``"},
		{Name: "code block on its own lines", In: adapters.Text{{Text: "Usage:"}, {Kind: adapters.CodeBlock, Text: "watch [category]\n"}}, Want: "Usage:\n```\nwatch [category]\n```\n"},
		{Name: "code block fence outgrows content", In: adapters.Text{{Kind: adapters.CodeBlock, Text: "```"}}, Want: "````\n```\n````\n"},
		{Name: "link", In: adapters.Text{{Kind: adapters.Link, Text: "the topic", URL: "https://forum.example.org/t/1"}}, Want: "[the topic](https://forum.example.org/t/1)"},
		{Name: "link with parens in url", In: adapters.Text{{Kind: adapters.Link, Text: "x", URL: "https://e.org/a_(b)"}}, Want: "[x](https://e.org/a_%28b%29)"},
		{Name: "link without text shows the url", In: adapters.Text{{Kind: adapters.Link, URL: "https://e.org/"}}, Want: "[https://e.org/](https://e.org/)"},
		{Name: "javascript link is only text", In: adapters.Text{{Kind: adapters.Link, Text: "click", URL: "javascript:alert(1)"}}, Want: "click"},
	})
}

func TestRenderTruncatesToPostLimit(t *testing.T) {
	got := render(adapters.Text{{Text: strings.Repeat("a", maxMessageRunes+10)}})
	if n := len([]rune(got)); n != maxMessageRunes || !strings.HasSuffix(got, "…") {
		t.Errorf("rendered %d runes ending %q, want %d ending with …", n, got[len(got)-5:], maxMessageRunes)
	}
}

func TestCommandText(t *testing.T) {
	tests := []struct {
		name   string
		msg    string
		direct bool
		want   string
		ok     bool
	}{
		{"mention then command", "@discourse watch support tag:bug", false, "watch support tag:bug", true},
		{"mention is case-insensitive", "@Discourse status", false, "status", true},
		{"mention after a greeting", "hi @discourse status", false, "status", true},
		{"bare mention asks for help", "@discourse", false, "help", true},
		{"mention ending a sentence is no command", "thanks @discourse", false, "", false},
		{"mention with a full stop", "thanks @discourse. ", false, "", false},
		{"longer username is someone else", "@discourse-dev status", false, "", false},
		{"email-like text is no mention", "mail me@discourse status", false, "", false},
		{"punctuation after the mention", "@discourse: status", false, "status", true},
		{"no mention in a channel", "watch support", false, "", false},
		{"direct message without mention", "watch support", true, "watch support", true},
		{"direct message with mention", "@discourse status", true, "status", true},
		{"empty direct message", "  ", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := commandText(tt.msg, "discourse", tt.direct)
			if got != tt.want || ok != tt.ok {
				t.Errorf("commandText(%q) = %q, %v; want %q, %v", tt.msg, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRetryWait(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"retry-after", map[string]string{"Retry-After": "7"}, "7s"},
		{"x-ratelimit-reset", map[string]string{"X-Ratelimit-Reset": "3"}, "3s"},
		{"the longer of both", map[string]string{"Retry-After": "2", "X-Ratelimit-Reset": "5"}, "5s"},
		{"none: a second", nil, "1s"},
		{"garbage: a second", map[string]string{"Retry-After": "soon"}, "1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := make(map[string][]string)
			for k, v := range tt.headers {
				h[k] = []string{v}
			}
			if got := retryWait(h).String(); got != tt.want {
				t.Errorf("retryWait = %s, want %s", got, tt.want)
			}
		})
	}
}
