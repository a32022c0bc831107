package adaptertest

import (
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// RenderCase is one row of a platform renderer's table test: the platform's markup for a Text.
type RenderCase struct {
	Name string
	In   adapters.Text
	Want string
}

// Render checks what render makes of each case's Text, one subtest a case.
func Render(t *testing.T, render func(adapters.Text) string, cases []RenderCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if got := render(c.In); got != c.Want {
				t.Errorf("render = %q, want %q", got, c.Want)
			}
		})
	}
}

// FuzzSeeds returns the seeds of every platform's FuzzRender, each a title, excerpt, author,
// category, URL and tag: forum text that tries each platform's markup and mass mentions, a
// javascript: URL, and lengths past every platform's limits. Each platform starts from all of
// them, since forum text can hold any platform's markup.
func FuzzSeeds() [][6]string {
	return [][6]string{
		{"Hello @everyone **bold**", "<@123> ||spoiler|| [x](https://evil)", "Alice", "General", "https://forum.example/t/x/1/1", "bug"},
		{"Hello @channel **bold**", "@all [x](https://evil) @here", "Alice", "General", "https://forum.example/t/x/1/1", "bug"},
		{"Hello <!channel> & <@U123>", "@here *bold* <https://evil|click>", "Alice", "General", "https://forum.example/t/x/1/1", "bug"},
		{"Hello <b>world</b> & co", "@everyone look: <a href=\"x\">", "Alice", "General/Sub", "https://forum.example/t/x/1/1", "bug"},
		{"Hello @room <b>bold</b>", "@everyone <script>alert(1)</script> & more", "Alice", "General", "https://forum.example/t/x/1/1", "bug"},
		{strings.Repeat("é", 5000), "@here", "", "", "javascript:alert(1)", ""},
		{strings.Repeat("é", 9000), "`@here`", "", "", "javascript:alert(1)", ""},
		{strings.Repeat("<", 3000), "&lt;!everyone&gt;", "", "", "javascript:alert(1)", ""},
		{strings.Repeat("é", 5000), "</i><i>", "", "", "javascript:alert(1)", ""},
		{strings.Repeat("é", 40000), "`@here`\n<a href=\"javascript:x\">y</a>", "", "", "javascript:alert(1)", ""},
	}
}
