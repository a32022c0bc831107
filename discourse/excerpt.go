package discourse

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Excerpt turns a post's cooked HTML into plain text of at most max characters (runes): text
// only, links reduced to their text, images and oneboxes dropped, emoji images replaced by their
// ":code:", quotes kept as «…» after their author, code kept, spoilers hidden, whitespace
// collapsed, and cut at a word boundary with "…" when too long.
func Excerpt(cooked string, max int) string {
	s, _ := ExcerptAndMentions(cooked, max)
	return s
}

// MentionedGroups returns the names of the groups a post @mentions (the cooked HTML's
// a.mention-group links), each once, in order of appearance.
func MentionedGroups(cooked string) []string {
	_, g := ExcerptAndMentions(cooked, 0)
	return g
}

// ExcerptAndMentions does Excerpt and MentionedGroups in one parse. max <= 0 returns the whole
// text uncut.
func ExcerptAndMentions(cooked string, max int) (string, []string) {
	nodes, err := html.ParseFragment(strings.NewReader(cooked), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		// The tokenizer only fails on read errors, and a strings.Reader has none.
		return "", nil
	}
	var w textWriter
	for _, n := range nodes {
		w.walk(n)
	}
	text := w.b.String()
	if max > 0 {
		text = cutWords(text, max)
	}
	return text, w.groups
}

// textWriter collects collapsed text.
type textWriter struct {
	b       strings.Builder
	pending bool // a space is owed before the next visible rune
	glue    bool // no space before the next visible rune (just after an opening «)
	groups  []string
}

func (w *textWriter) text(s string) {
	for _, r := range s {
		if unicode.IsSpace(r) {
			w.pending = true
			continue
		}
		if w.pending && w.b.Len() > 0 && !w.glue {
			w.b.WriteByte(' ')
		}
		w.pending, w.glue = false, false
		w.b.WriteRune(r)
	}
}

// raw writes s without a space before it (closing marks).
func (w *textWriter) raw(s string) {
	w.pending, w.glue = false, false
	w.b.WriteString(s)
}

func (w *textWriter) brk() { w.pending = true }

func (w *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

func (w *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	default:
		w.children(n)
		return
	}
	class := attr(n, "class")
	switch {
	case hasClass(class, "spoiler") || hasClass(class, "spoiled"):
		w.text("[spoiler]")
		return
	case hasClass(class, "lightbox-wrapper") || strings.Contains(class, "onebox") && n.DataAtom != atom.A ||
		hasClass(class, "lazy-video-container"):
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Svg, atom.Video, atom.Audio, atom.Iframe, atom.Noscript,
		atom.Template, atom.Object, atom.Picture, atom.Head:
		return
	case atom.Img:
		if hasClass(class, "emoji") {
			w.text(cmp(attr(n, "alt"), attr(n, "title")))
		}
		return
	case atom.Aside:
		if !hasClass(class, "quote") {
			return // oneboxes and other embeds
		}
		w.brk()
		w.children(n)
		w.brk()
		return
	case atom.Blockquote:
		w.brk()
		w.text("«")
		w.glue = true
		w.children(n)
		w.raw("»")
		w.brk()
		return
	case atom.A:
		if hasClass(class, "mention-group") {
			name := strings.TrimPrefix(strings.TrimSpace(textOf(n)), "@")
			if name == "" {
				name = strings.TrimPrefix(attr(n, "href"), "/groups/")
			}
			if name != "" && !slices.Contains(w.groups, name) {
				w.groups = append(w.groups, name)
			}
		}
		w.children(n)
		return
	}
	block := isBlock(n.DataAtom)
	if block {
		w.brk()
	}
	w.children(n)
	if block {
		w.brk()
	}
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Br, atom.Li, atom.Ul, atom.Ol, atom.H1, atom.H2, atom.H3, atom.H4,
		atom.H5, atom.H6, atom.Pre, atom.Table, atom.Tr, atom.Td, atom.Th, atom.Hr, atom.Details,
		atom.Summary, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Dl, atom.Dt, atom.Dd:
		return true
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(class, name string) bool {
	for f := range strings.FieldsSeq(class) {
		if f == name {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// cutWords cuts s to at most max runes, at a word boundary when there is one in the second half,
// ending with "…".
func cutWords(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 1 {
		return "…"
	}
	runes := []rune(s)
	limit := max - 1 // room for the ellipsis
	at := limit
	if runes[limit] != ' ' {
		for i := limit - 1; i > limit/2; i-- {
			if runes[i] == ' ' {
				at = i
				break
			}
		}
	}
	out := strings.TrimRightFunc(string(runes[:at]), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—(«", r)
	})
	return out + "…"
}
