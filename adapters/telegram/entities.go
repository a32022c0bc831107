package telegram

import (
	"sort"
	"strings"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// markdownEscaper escapes the characters that plain chat text must not turn into markup once it
// is read as (forum) Markdown.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "~", `\~`,
)

// urlEscaper keeps a link target from ending the Markdown link early.
var urlEscaper = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20")

// entityMarks returns the Markdown that opens and closes a Telegram entity with the given
// content, and whether its content is literal (code): no escaping and no nested markup inside.
func entityMarks(e tgbotapi.MessageEntity, content string) (open, close string, literal bool) {
	switch e.Type {
	case "bold":
		return "**", "**", false
	case "italic":
		return "_", "_", false
	case "strikethrough":
		return "~~", "~~", false
	case "code":
		// A fence longer than any backtick run inside, so a backtick in the code cannot end it.
		fence := strings.Repeat("`", longestRun(content, '`')+1)
		if fence == "`" {
			return "`", "`", true
		}
		return fence + " ", " " + fence, true
	case "pre":
		fence := strings.Repeat("`", max(3, longestRun(content, '`')+1))
		lang := e.Language
		if strings.ContainsAny(lang, "`\r\n") {
			lang = "" // it would break the fence's info string
		}
		return fence + lang + "\n", "\n" + fence, true
	case "text_link":
		return "[", "](" + urlEscaper.Replace(e.URL) + ")", false
	case "url", "email":
		return "", "", true // a bare link: keep it as typed so it stays clickable
	}
	// underline, spoiler, mention, hashtag, …: Markdown has no such markup; keep the text.
	return "", "", false
}

// entitiesToMarkdown converts a Telegram message text and its entities (offsets in UTF-16 code
// units, possibly nested) into Markdown: bold, italic, strikethrough, code, pre, text links.
// Plain text is escaped so it reads the same as in Telegram.
func entitiesToMarkdown(text string, entities []tgbotapi.MessageEntity) string {
	units := utf16.Encode([]rune(text))
	type mark struct {
		at      int
		open    bool
		text    string
		literal bool
		order   int // opening order, so nested marks close in reverse
	}
	var marks []mark
	sorted := append([]tgbotapi.MessageEntity(nil), entities...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Offset != sorted[j].Offset {
			return sorted[i].Offset < sorted[j].Offset
		}
		return sorted[i].Length > sorted[j].Length // outer first
	})
	for i, e := range sorted {
		if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > len(units) {
			continue
		}
		open, close, literal := entityMarks(e, string(utf16.Decode(units[e.Offset:e.Offset+e.Length])))
		marks = append(marks,
			mark{at: e.Offset, open: true, text: open, literal: literal, order: i},
			mark{at: e.Offset + e.Length, open: false, text: close, literal: literal, order: i})
	}
	sort.SliceStable(marks, func(i, j int) bool {
		a, b := marks[i], marks[j]
		if a.at != b.at {
			return a.at < b.at
		}
		if a.open != b.open {
			return !a.open // close before open at the same position
		}
		if a.open {
			return a.order < b.order
		}
		return a.order > b.order
	})

	var b strings.Builder
	literal := 0 // depth inside code/links kept literally
	pos := 0
	emit := func(to int) {
		if to <= pos {
			return
		}
		s := string(utf16.Decode(units[pos:to]))
		if literal == 0 {
			s = markdownEscaper.Replace(s)
		}
		b.WriteString(s)
		pos = to
	}
	for _, m := range marks {
		emit(m.at)
		if m.literal {
			if m.open {
				if literal == 0 {
					b.WriteString(m.text)
				}
				literal++
			} else {
				literal--
				if literal == 0 {
					b.WriteString(m.text)
				}
			}
			continue
		}
		if literal == 0 {
			b.WriteString(m.text)
		}
	}
	emit(len(units))
	return b.String()
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
