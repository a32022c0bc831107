package slack

import (
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// escape makes untrusted text inert in Slack mrkdwn: &, < and > become entities, so no
// "<!channel>", "<!here>", "<@U…>" or "<url|label>" control sequence can form, and mass-mention
// words get a zero-width joiner (adapters.DefuseMentions).
func escape(s string) string {
	s = mrkdwnEscaper.Replace(s)
	if strings.IndexByte(s, '@') < 0 {
		return s // DefuseMentions' regexp is the costly part
	}
	return adapters.DefuseMentions(s)
}

var (
	mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	urlEscaper    = strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20", "&", "&amp;")
)

// escapeURL makes a URL safe inside "<url|label>": the characters that would end or split the
// link are percent-encoded, and only http(s) and mailto links are kept.
func escapeURL(u string) string {
	u = strings.TrimSpace(u)
	lower := strings.ToLower(u)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") &&
		!strings.HasPrefix(lower, "mailto:") {
		return ""
	}
	return urlEscaper.Replace(u)
}

// link renders a link in mrkdwn; without a usable URL it is just the escaped label.
func link(url, label string) string {
	u := escapeURL(url)
	if label == "" {
		label = url
	}
	if u == "" {
		return escape(label)
	}
	return "<" + u + "|" + escape(label) + ">"
}

// render turns the bot's formatted text into Slack mrkdwn. Every span's text is escaped: replies
// quote forum names and user input.
func render(t adapters.Text) string {
	var b strings.Builder
	for _, s := range t {
		switch s.Kind {
		case adapters.Bold:
			b.WriteString(wrapLines(s.Text, "*"))
		case adapters.Italic:
			b.WriteString(wrapLines(s.Text, "_"))
		case adapters.Code:
			b.WriteString(wrapLines(s.Text, "`"))
		case adapters.CodeBlock:
			text := strings.Trim(s.Text, "\n")
			if text == "" {
				continue
			}
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteString("\n")
			}
			b.WriteString("```\n" + escape(text) + "\n```")
		case adapters.Link:
			b.WriteString(link(s.URL, s.Text))
		default:
			b.WriteString(escape(s.Text))
		}
	}
	return b.String()
}

// wrapLines wraps each line of s in mark (Slack's *bold*, _italic_, `code` end at a newline and
// need the mark next to a non-space), keeping surrounding spaces outside the marks.
func wrapLines(s, mark string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		core := strings.TrimSpace(line)
		if core == "" {
			lines[i] = escape(line)
			continue
		}
		start := strings.Index(line, core)
		lead, trail := line[:start], line[start+len(core):]
		if mark == "`" {
			core = strings.ReplaceAll(core, "`", "ˋ") // a backtick would end the code span
		}
		lines[i] = lead + mark + escape(core) + mark + trail
	}
	return strings.Join(lines, "\n")
}
