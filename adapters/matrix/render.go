package matrix

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"maunium.net/go/mautrix/event"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// maxBodyBytes bounds the body and formatted_body of one message: an event may be at most
// 65 536 bytes of JSON (https://spec.matrix.org/v1.11/client-server-api/#size-limits), and both
// forms, escaped, must fit in it.
const maxBodyBytes = 24000

// maxReply is the longest reply (its plain text) that reaches the room whole: a link shows its
// URL twice in each form (href and text, "text (url)"), and HTML escaping lengthens it, so half
// of maxBodyBytes, less a margin, fits both forms.
const maxReply = 10000

// MaxReplyLength implements adapters.ReplyLimiter: longer replies are cut (a composer link then
// becomes a new topic instead).
func (a *Adapter) MaxReplyLength() int { return maxReply }

// roomMention matches "@room", which notifies a whole room through the legacy push rule of
// clients and servers that predate intentional mentions (m.mentions).
var roomMention = regexp.MustCompile(`(?i)@(room)\b`)

// defuse makes untrusted text ping nobody: the contract's mass-mention defusing and "@room",
// each with a word joiner after the "@". m.mentions {} on every message keeps user ids quiet
// on servers with intentional mentions.
func defuse(s string) string {
	return roomMention.ReplaceAllString(adapters.DefuseMentions(s), "@\u2060$1")
}

// esc is untrusted text for formatted_body: defused, HTML-escaped, newlines as <br>.
func esc(s string) string {
	return strings.ReplaceAll(html.EscapeString(defuse(s)), "\n", "<br>")
}

// webURL returns raw when it is an absolute http(s) or mailto URL, else "" (no javascript:).
func webURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	switch {
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", u.Scheme == "mailto":
		return u.String()
	}
	return ""
}

// noticeContent renders the bot's formatted text as an m.notice: HTML formatted_body, plain
// body, and no mentions.
func noticeContent(t adapters.Text) *event.MessageEventContent {
	var plain, rich strings.Builder
	for _, s := range t {
		switch s.Kind {
		case adapters.Bold:
			plain.WriteString(defuse(s.Text))
			rich.WriteString("<strong>" + esc(s.Text) + "</strong>")
		case adapters.Italic:
			plain.WriteString(defuse(s.Text))
			rich.WriteString("<em>" + esc(s.Text) + "</em>")
		case adapters.Code:
			plain.WriteString(defuse(s.Text))
			rich.WriteString("<code>" + html.EscapeString(defuse(s.Text)) + "</code>")
		case adapters.CodeBlock:
			plain.WriteString(defuse(s.Text))
			rich.WriteString("<pre><code>" + html.EscapeString(defuse(strings.TrimSuffix(s.Text, "\n"))) + "</code></pre>")
		case adapters.Link:
			u := webURL(s.URL)
			text := s.Text
			if text == "" {
				text = s.URL
			}
			plain.WriteString(defuse(text))
			if u != "" && u != text {
				plain.WriteString(" (" + u + ")")
			}
			if u == "" {
				rich.WriteString(esc(text))
			} else {
				rich.WriteString(`<a href="` + html.EscapeString(u) + `">` + esc(text) + "</a>")
			}
		default:
			plain.WriteString(defuse(s.Text))
			rich.WriteString(esc(s.Text))
		}
	}
	return &event.MessageEventContent{
		MsgType:       event.MsgNotice,
		Body:          truncate(plain.String(), maxBodyBytes),
		Format:        event.FormatHTML,
		FormattedBody: truncateHTML(rich.String(), maxBodyBytes),
		Mentions:      &event.Mentions{},
	}
}

// notificationText is a forum post as the bot's formatted text: the title linked to the post,
// category and tags, the author, and the excerpt.
func notificationText(n adapters.Notification) adapters.Text {
	title := strings.TrimSpace(n.TopicTitle)
	if title == "" {
		title = n.URL
	}
	var t adapters.Text
	if webURL(n.URL) != "" {
		t = append(t, adapters.Span{Kind: adapters.Link, Text: title, URL: n.URL})
	} else {
		t = append(t, adapters.Span{Kind: adapters.Bold, Text: title})
	}
	if n.CategoryPath != "" {
		t = append(t, adapters.Span{Text: " [" + n.CategoryPath + "]"})
	}
	if len(n.Tags) > 0 {
		t = append(t, adapters.Span{Text: " "}, adapters.Span{Kind: adapters.Italic, Text: strings.Join(n.Tags, ", ")})
	}
	if a := n.Author(); a != "" {
		t = append(t, adapters.Span{Text: "\n"}, adapters.Span{Kind: adapters.Bold, Text: a})
		if n.Excerpt != "" {
			t = append(t, adapters.Span{Text: ": "})
		}
	} else if n.Excerpt != "" {
		t = append(t, adapters.Span{Text: "\n"})
	}
	if n.Excerpt != "" {
		t = append(t, adapters.Span{Text: n.Excerpt})
	}
	return t
}

// notificationContent renders a notification: the title as a link in formatted_body, and the
// post's URL spelled out in the plain body for clients that show only that.
func notificationContent(n adapters.Notification) *event.MessageEventContent {
	c := noticeContent(notificationText(n))
	if u := webURL(n.URL); u != "" && !strings.Contains(c.Body, u) {
		c.Body = truncate(c.Body, maxBodyBytes-len(u)-1) + "\n" + u
	}
	return c
}

// truncate cuts s to at most n bytes on a rune boundary, ending with "…" when it cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// truncateHTML cuts HTML that is too long to its text, escaped: cutting markup could leave a
// tag open.
func truncateHTML(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return esc(truncate(htmlText(s), n/2))
}

var tag = regexp.MustCompile(`<[^>]*>`)

// htmlText is the text of the bot's own HTML (a rough cut for truncation, not a parser of
// foreign HTML).
func htmlText(s string) string {
	s = strings.ReplaceAll(s, "<br>", "\n")
	return html.UnescapeString(tag.ReplaceAllString(s, ""))
}
