package mattermost

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// wordJoiner is U+2060: invisible, and it breaks Mattermost's "@word" mention matching.
const wordJoiner = "\u2060"

// anyMention matches "@" starting a user, group or channel-wide mention (Mattermost usernames
// are letters, digits, ".", "_" and "-").
var anyMention = regexp.MustCompile(`@([\p{L}\p{N}_.\-])`)

// defuse makes untrusted text ping nobody: the contract's mass-mention defusing, then a word
// joiner after the "@" of every other mention, so "@alice" in a forum title does not notify the
// Mattermost user alice either. The text still reads the same.
func defuse(s string) string {
	s = adapters.DefuseMentions(s)
	return anyMention.ReplaceAllString(s, "@"+wordJoiner+"$1")
}

// entityLike matches "&" starting an HTML entity, which Mattermost's markdown would decode.
var entityLike = regexp.MustCompile(`&(#?[A-Za-z0-9]+;)`)

// markdownEscaper backslash-escapes the characters that start Mattermost markdown, and writes
// "<" and ">" as entities (autolinks, HTML, block quotes) since not every markdown dialect
// Mattermost clients use accepts "\<".
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `~`, `\~`,
	`[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`, `#`, `\#`, `|`, `\|`,
	`<`, `&lt;`, `>`, `&gt;`,
)

// escapeMarkdown makes untrusted text show literally in Mattermost markdown (message, attachment
// title, text and field values).
func escapeMarkdown(s string, startsLine bool) string {
	s = entityLike.ReplaceAllString(s, "&amp;$1")
	return adapters.EscapeBlockStarts(markdownEscaper.Replace(s), startsLine)
}

// safeText is untrusted text prepared for a markdown field: escaped and defused.
func safeText(s string) string { return escapeMarkdown(defuse(s), true) }

// safeInline is safeText for text that follows other text on its line (startsLine false).
func safeInline(s string, startsLine bool) string { return escapeMarkdown(defuse(s), startsLine) }

// render turns the bot's formatted text into Mattermost markdown. Plain, bold, italic and link
// texts are escaped and defused (replies can quote forum names); code is shown verbatim, and
// Mattermost does not look for mentions inside code.
func render(t adapters.Text) string {
	var b strings.Builder
	for _, s := range t {
		startsLine := b.Len() == 0 || strings.HasSuffix(b.String(), "\n")
		switch s.Kind {
		case adapters.Bold:
			if s.Text != "" {
				b.WriteString("**" + safeInline(s.Text, false) + "**")
			}
		case adapters.Italic:
			if s.Text != "" {
				b.WriteString("_" + safeInline(s.Text, false) + "_")
			}
		case adapters.Code:
			if s.Text != "" {
				b.WriteString(codeSpan(s.Text))
			}
		case adapters.CodeBlock:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteString("\n")
			}
			fence := fenceFor(s.Text)
			b.WriteString(fence + "\n" + strings.TrimSuffix(s.Text, "\n") + "\n" + fence + "\n")
		case adapters.Link:
			b.WriteString(link(s.Text, s.URL, startsLine))
		default:
			b.WriteString(safeInline(s.Text, startsLine))
		}
	}
	return truncate(b.String(), maxMessageRunes)
}

// link renders a markdown link, or just the text when the URL is not a web or mail link
// (startsLine: whether that text starts a line).
func link(text, raw string, startsLine bool) string {
	u, err := url.Parse(raw)
	ok := err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "mailto")
	switch {
	case !ok:
		return safeInline(text, startsLine)
	case text == "":
		text = raw
	}
	dest := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(raw)
	return "[" + safeInline(text, false) + "](" + dest + ")"
}

// codeSpan wraps s in a backtick run longer than any inside it.
func codeSpan(s string) string {
	n := longestRun(s, '`') + 1
	fence := strings.Repeat("`", n)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// fenceFor returns a code fence longer than any backtick run in s (at least three).
func fenceFor(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

func longestRun(s string, c rune) int {
	best, cur := 0, 0
	for _, r := range s {
		if r == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// truncate cuts s to at most n runes, ending with "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
