package telegram

import (
	"html"
	"strings"
	"unicode/utf16"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// MaxMessageLength is the most characters (after entity parsing, counted in UTF-16 code units)
// one Telegram message may hold: https://core.telegram.org/bots/api#sendmessage. Longer text is
// cut on purpose (notification excerpts) or split into several messages (command replies).
const MaxMessageLength = 4096

// htmlBuilder writes Telegram HTML and counts the characters a reader will see, which is what
// Telegram's length limit measures.
type htmlBuilder struct {
	b       strings.Builder
	visible int
}

// text writes untrusted text: HTML-escaped, with mass mentions defused.
func (h *htmlBuilder) text(s string) {
	s = adapters.DefuseMentions(s)
	h.visible += utf16Len(s)
	h.b.WriteString(html.EscapeString(s))
}

// tag writes markup, which takes no room in the visible text.
func (h *htmlBuilder) tag(s string) { h.b.WriteString(s) }

// link writes text linked to u, or the bare text when u is not a web link.
func (h *htmlBuilder) link(text, u string) {
	if !webURL(u) {
		h.text(text)
		return
	}
	h.tag(`<a href="` + html.EscapeString(u) + `">`)
	h.text(text)
	h.tag("</a>")
}

func (h *htmlBuilder) String() string { return h.b.String() }

// webURL reports whether u is an absolute http(s) URL, the only kind a notification links to.
func webURL(u string) bool {
	_, ok := adapters.WebURL(u)
	return ok
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncate cuts s to at most max UTF-16 units, ending with "…" when it cut.
func truncate(s string, max int) string {
	if utf16Len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > max-1 {
			return strings.TrimRight(s[:i], " \n\t") + "…"
		}
		n += utf16.RuneLen(r)
	}
	return s
}

// spanTags are the HTML tags of each span kind.
var spanTags = map[adapters.SpanKind][2]string{
	adapters.Bold:      {"<b>", "</b>"},
	adapters.Italic:    {"<i>", "</i>"},
	adapters.Code:      {"<code>", "</code>"},
	adapters.CodeBlock: {"<pre>", "</pre>"},
}

// renderText renders a reply in Telegram HTML, split into messages that each fit
// MaxMessageLength. A span never straddles two messages unless it alone is too long.
func renderText(t adapters.Text) []string {
	const limit = MaxMessageLength
	var (
		out []string
		cur htmlBuilder
	)
	flush := func() {
		if strings.TrimSpace(cur.String()) != "" {
			out = append(out, cur.String())
		}
		cur = htmlBuilder{}
	}
	for _, s := range t {
		text := s.Text
		if s.Kind == adapters.Link && text == "" {
			text = s.URL // a link without text shows its URL, as on every platform (not nothing)
		}
		for text != "" {
			room := limit - cur.visible
			if utf16Len(adapters.DefuseMentions(text)) > room {
				if cur.visible > 0 {
					flush()
					continue
				}
				// One span longer than a message: cut it. Defusing a mention adds one character per
				// four ("@all"), so three quarters of the limit always fits.
				head, rest := splitUTF16(text, limit*3/4)
				writeSpan(&cur, s, head)
				flush()
				text = rest
				continue
			}
			writeSpan(&cur, s, text)
			text = ""
		}
	}
	flush()
	return out
}

func writeSpan(h *htmlBuilder, s adapters.Span, text string) {
	if s.Kind == adapters.Link {
		h.link(text, s.URL)
		return
	}
	tags, ok := spanTags[s.Kind]
	if !ok {
		h.text(text)
		return
	}
	h.tag(tags[0])
	h.text(text)
	h.tag(tags[1])
}

// splitUTF16 splits s after at most n UTF-16 units (at least one rune, so callers progress).
func splitUTF16(s string, n int) (string, string) {
	used := 0
	for i, r := range s {
		if used+utf16.RuneLen(r) > n && i > 0 {
			return s[:i], s[i:]
		}
		used += utf16.RuneLen(r)
	}
	return s, ""
}
