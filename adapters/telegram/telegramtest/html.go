package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Entity is a formatted stretch of a message, as the Bot API reports it (offsets in UTF-16 code
// units).
type Entity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

// htmlEntityTypes maps the tags Telegram's HTML parse mode accepts to entity types
// (https://core.telegram.org/bots/api#html-style).
var htmlEntityTypes = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"a": "text_link", "code": "code", "pre": "pre",
	"tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote",
}

type openTag struct {
	name, url, lang string
	start           int
}

// parseHTML does what Telegram does with parse_mode=HTML: it returns the visible text and its
// entities, or the error Telegram reports for markup it cannot parse (unknown tags, unbalanced
// tags, a bare "<", ">" or "&").
func parseHTML(s string) (string, []Entity, error) {
	var (
		out      strings.Builder
		pos      int // UTF-16 length of out
		stack    []openTag
		entities []Entity
	)
	write := func(t string) {
		out.WriteString(t)
		for _, r := range t {
			pos += utf16.RuneLen(r)
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", nil, fmt.Errorf("can't parse entities: unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			if strings.HasPrefix(tag, "/") {
				name := strings.ToLower(strings.TrimSpace(tag[1:]))
				if len(stack) == 0 || stack[len(stack)-1].name != name {
					return "", nil, fmt.Errorf("can't parse entities: unmatched end tag at byte offset %d", i)
				}
				o := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if pos > o.start {
					e := Entity{Type: htmlEntityTypes[o.name], Offset: o.start, Length: pos - o.start, URL: o.url}
					if o.name == "pre" && o.lang != "" {
						e.Language = o.lang
					}
					entities = append(entities, e)
				}
			} else {
				name, attrs, _ := strings.Cut(tag, " ")
				name = strings.ToLower(name)
				if _, ok := htmlEntityTypes[name]; !ok {
					return "", nil, fmt.Errorf("can't parse entities: unsupported start tag %q at byte offset %d", name, i)
				}
				o := openTag{name: name, start: pos}
				a := parseAttrs(attrs)
				switch name {
				case "a":
					href, err := unescapeHTML(a["href"])
					if err != nil || href == "" {
						return "", nil, fmt.Errorf("can't parse entities: bad href at byte offset %d", i)
					}
					o.url = href
				case "span":
					if a["class"] != "tg-spoiler" {
						return "", nil, fmt.Errorf("can't parse entities: span without class tg-spoiler at byte offset %d", i)
					}
				case "code":
					if len(stack) > 0 && stack[len(stack)-1].name == "pre" {
						stack[len(stack)-1].lang = strings.TrimPrefix(a["class"], "language-")
					}
				}
				stack = append(stack, o)
			}
			i += end + 1
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 || end > 12 {
				return "", nil, fmt.Errorf("can't parse entities: bare & at byte offset %d", i)
			}
			t, err := unescapeHTML(s[i : i+end+1])
			if err != nil {
				return "", nil, fmt.Errorf("can't parse entities: %v at byte offset %d", err, i)
			}
			write(t)
			i += end + 1
		case '>':
			return "", nil, fmt.Errorf("can't parse entities: bare > at byte offset %d", i)
		default:
			j := strings.IndexAny(s[i:], "<>&")
			if j < 0 {
				j = len(s) - i
			}
			write(s[i : i+j])
			i += j
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("can't parse entities: can't find end tag corresponding to start tag %q", stack[len(stack)-1].name)
	}
	return out.String(), entities, nil
}

// parseAttrs reads name="value" pairs (double or single quotes).
func parseAttrs(s string) map[string]string {
	m := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		name, rest, ok := strings.Cut(s, "=")
		if !ok || rest == "" {
			break
		}
		q := rest[0]
		if q != '"' && q != '\'' {
			break
		}
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			break
		}
		m[strings.ToLower(strings.TrimSpace(name))] = rest[1 : 1+end]
		s = rest[end+2:]
	}
	return m
}

// unescapeHTML decodes the entities Telegram knows: &lt; &gt; &amp; &quot; and numeric ones.
func unescapeHTML(s string) (string, error) {
	var b strings.Builder
	for s != "" {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], ';')
		if end < 0 {
			return "", fmt.Errorf("bare &")
		}
		name := s[i+1 : i+end]
		switch {
		case name == "lt":
			b.WriteByte('<')
		case name == "gt":
			b.WriteByte('>')
		case name == "amp":
			b.WriteByte('&')
		case name == "quot":
			b.WriteByte('"')
		case strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X"):
			n, err := strconv.ParseUint(name[2:], 16, 32)
			if err != nil {
				return "", fmt.Errorf("bad entity &%s;", name)
			}
			b.WriteRune(rune(n))
		case strings.HasPrefix(name, "#"):
			n, err := strconv.ParseUint(name[1:], 10, 32)
			if err != nil {
				return "", fmt.Errorf("bad entity &%s;", name)
			}
			b.WriteRune(rune(n))
		default:
			return "", fmt.Errorf("unsupported entity &%s;", name)
		}
		s = s[i+end+1:]
	}
	return b.String(), nil
}

// ParseHTML parses s as Telegram does with parse_mode=HTML and returns the visible text, or the
// error Telegram would answer (for renderer tests and fuzz targets).
func ParseHTML(s string) (string, error) {
	text, _, err := parseHTML(s)
	return text, err
}
