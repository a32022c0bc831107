package telegram

import (
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestEntitiesToMarkdown(t *testing.T) {
	type e = tgbotapi.MessageEntity
	tests := []struct {
		name     string
		text     string
		entities []e
		want     string
	}{
		{"plain", "hello", nil, "hello"},
		{"escapes markdown", "2*3 = a_b [x] <y>", nil, `2\*3 = a\_b \[x\] \<y\>`},
		{"bold", "say hi", []e{{Type: "bold", Offset: 4, Length: 2}}, "say **hi**"},
		{"italic", "say hi", []e{{Type: "italic", Offset: 0, Length: 3}}, "_say_ hi"},
		{"strikethrough", "no yes", []e{{Type: "strikethrough", Offset: 0, Length: 2}}, "~~no~~ yes"},
		{"code is literal", "run a*b now", []e{{Type: "code", Offset: 4, Length: 3}}, "run `a*b` now"},
		{"pre with language", "x := 1", []e{{Type: "pre", Offset: 0, Length: 6, Language: "go"}}, "```go\nx := 1\n```"},
		{"text link", "see docs", []e{{Type: "text_link", Offset: 4, Length: 4, URL: "https://e.org/a_(b)"}}, "see [docs](https://e.org/a_%28b%29)"},
		{"bare url kept", "go https://e.org/a_b", []e{{Type: "url", Offset: 3, Length: 17}}, "go https://e.org/a_b"},
		{"nested", "bold italic", []e{{Type: "bold", Offset: 0, Length: 11}, {Type: "italic", Offset: 5, Length: 6}}, "**bold _italic_**"},
		{"utf-16 offsets after emoji", "😀 hi there", []e{{Type: "bold", Offset: 3, Length: 2}}, "😀 **hi** there"},
		{"mention and hashtag stay text", "@bob #tag", []e{{Type: "mention", Offset: 0, Length: 4}, {Type: "hashtag", Offset: 5, Length: 4}}, "@bob #tag"},
		{"out-of-range entity ignored", "hi", []e{{Type: "bold", Offset: 1, Length: 5}}, "hi"},
		{"backtick inside code", "use a`b", []e{{Type: "code", Offset: 4, Length: 3}}, "use `` a`b ``"},
		{"fence inside pre", "```\nx\n```", []e{{Type: "pre", Offset: 0, Length: 9}}, "````\n```\nx\n```\n````"},
		{"markup inside code stays out", "a b c", []e{{Type: "code", Offset: 0, Length: 5}, {Type: "bold", Offset: 2, Length: 1}}, "`a b c`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := entitiesToMarkdown(tt.text, tt.entities); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
