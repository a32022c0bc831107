package adapters

import "strings"

// EscapeBlockStarts backslash-escapes what starts a markdown block only at the start of a line —
// a heading ("#"), a list item ("-", "+", "1." or "1)"), a setext underline or rule ("=", "-") —
// so untrusted text cannot turn into headings or lists while ordinary text ("a - b", "v1.2")
// stays as written. Leading spaces and tabs count as the line's start. Adapters whose markdown
// reads these (Discord, Mattermost) apply it after escaping the inline characters. startsLine
// says whether s itself starts a line where it goes (a field, or text after a line break) or
// follows other text on its line (after "**", in a link's label).
func EscapeBlockStarts(s string, startsLine bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	lineStart, digits := startsLine, false // digits: the line so far is blanks then digits
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case lineStart && (c == '#' || c == '-' || c == '+' || c == '='):
			b.WriteByte('\\')
		case digits && (c == '.' || c == ')'):
			b.WriteByte('\\')
		}
		b.WriteByte(c)
		switch {
		case c == '\n':
			lineStart, digits = true, false
		case c == ' ' || c == '\t':
			digits = false // "1 . x" is no list item
		case c >= '0' && c <= '9' && (lineStart || digits):
			lineStart, digits = false, true
		default:
			lineStart, digits = false, false
		}
	}
	return b.String()
}
