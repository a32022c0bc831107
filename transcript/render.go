package transcript

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Options shape a transcript.
type Options struct {
	// Source names the chat's platform in the first line, "View in #general on Slack": the
	// adapter's adapters.History.Source.
	Source string
	// ChannelName and ChannelLink make the first line.
	ChannelName string
	ChannelLink string
	// Quote wraps the transcript in [quote] … [/quote] (transcript.quote).
	Quote bool
}

// Render writes msgs (oldest first) as forum markdown, in the plugin's format: a link back to the
// chat, then one block per run of messages from the same speaker ("![name] **@name:** text"), each
// speaker's avatar defined once as a reference image at the end.
func Render(msgs []adapters.Message, o Options) string {
	var b strings.Builder
	if o.Quote {
		b.WriteString("[quote]\n")
	}
	view := "View in " + where(o.ChannelName, o.Source)
	link := o.ChannelLink
	if len(msgs) > 0 && msgs[0].Link != "" {
		link = msgs[0].Link
	}
	if link != "" {
		fmt.Fprintf(&b, "[**%s**](%s)\n", escapeLinkText(view), safeURL(link))
	} else {
		fmt.Fprintf(&b, "**%s**\n", escapeText(view))
	}
	// Avatars are reference images, one definition per speaker at the end. Message text can
	// define no reference (ToMarkdown escapes "]:"), and two speakers whose names read alike
	// get keys of their own, so no one can show another's avatar.
	keys := map[string]string{}    // speaker identity → reference key
	taken := map[string]bool{}     // keys in use
	var order []string             // identities, in order of first appearance
	avatars := map[string]string{} // identity → avatar URL
	last := "\x00"                 // no speaker yet: even a first message without a name gets its header
	for _, m := range msgs {
		name := speaker(m)
		who := identity(m, name)
		md := ToMarkdown(m.Text)
		if who != last {
			b.WriteString("\n")
			if m.User.AvatarURL != "" {
				if _, seen := keys[who]; !seen {
					key := name
					for i := 2; taken[key]; i++ {
						key = fmt.Sprintf("%s-%d", name, i)
					}
					keys[who], taken[key], avatars[who] = key, true, m.User.AvatarURL
					order = append(order, who)
				}
				fmt.Fprintf(&b, "![%s] ", keys[who])
			}
			sep := " "
			if fenceOpen.MatchString(md) {
				sep = "\n" // a code block that starts the message starts a line of its own
			}
			fmt.Fprintf(&b, "**@%s:**%s", name, sep)
			last = who
		}
		b.WriteString(md)
		for _, f := range m.Files {
			if f.URL != "" {
				fmt.Fprintf(&b, "\n> [%s](%s)\n", escapeLinkText(nonEmpty(f.Name, "attachment")), safeURL(f.URL))
			} else {
				fmt.Fprintf(&b, "\n> %s\n", escapeText(f.Name))
			}
		}
		b.WriteString("\n")
	}
	if o.Quote {
		b.WriteString("[/quote]\n")
	}
	if len(order) > 0 {
		b.WriteString("\n")
		for _, who := range order {
			fmt.Fprintf(&b, "[%s]: %s\n", keys[who], safeURL(avatars[who]))
		}
	}
	return b.String()
}

// identity tells speakers apart: by platform user id, else by name and avatar.
func identity(m adapters.Message, name string) string {
	if m.User.ID != "" {
		return "id:" + m.User.ID
	}
	return "name:" + name + "\x00" + m.User.AvatarURL
}

// safeURL percent-encodes what would end a markdown link or reference destination early, or
// start a title: spaces and control characters, brackets, parentheses, quotes and angle brackets.
func safeURL(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte("()<>[]\"'`\\", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// DefaultTitle is a transcript topic's title when the moderator gives none; source is the
// platform's title (adapters.History.Source).
func DefaultTitle(source, channelName string, t time.Time) string {
	return fmt.Sprintf("Chat transcript: %s, %s", where(channelName, source), t.UTC().Format("2 Jan 2006"))
}

// where is "#general on Slack", or "#general" when the source is not known.
func where(channelName, source string) string {
	if source == "" {
		return channelLabel(channelName)
	}
	return channelLabel(channelName) + " on " + source
}

// MaxComposerURL is the longest composer link offered; longer transcripts become topics (browsers
// and proxies cut long URLs, and Discourse rejects very long query strings).
const MaxComposerURL = 6000

// ComposerURL returns a link that opens the forum's composer prefilled with the transcript, and
// whether it fits in MaxComposerURL.
func ComposerURL(forum, title, body string, categoryID int64) (string, bool) {
	q := url.Values{}
	q.Set("title", title)
	q.Set("body", body)
	if categoryID != 0 {
		q.Set("category_id", fmt.Sprint(categoryID))
	}
	u := strings.TrimRight(forum, "/") + "/new-topic?" + q.Encode()
	return u, len(u) <= MaxComposerURL
}

// channelLabel names a channel as its platform shows it: "#general", Mattermost's "~town-square",
// or a description such as "a direct message" as it is.
func channelLabel(name string) string {
	switch {
	case name == "":
		return "the chat"
	case strings.HasPrefix(name, "#"), strings.HasPrefix(name, "~"), strings.ContainsRune(name, ' '):
		return name
	}
	return "#" + name
}

// speaker is the name a message is shown under: a forum-safe handle (spaces become underscores,
// as the plugin does). A display name is untrusted, so anything but letters, digits, "_", "." and
// "-" becomes "_": brackets, asterisks and the like would be markdown ("![x](https://…)" an image).
func speaker(m adapters.Message) string {
	name := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.TrimPrefix(m.User.Name(), "@"))
	if name == "" {
		return "unknown"
	}
	return name
}

func nonEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

var linkTextEscaper = strings.NewReplacer("[", `\[`, "]", `\]`, "<", "&lt;", "\n", " ", "\r", " ")

func escapeLinkText(s string) string { return linkTextEscaper.Replace(s) }

// ToMarkdown makes a chat message's text, CommonMark from its adapter, inert for the forum's
// renderer: chat text is untrusted, so outside code it can open or close no BBCode tag ([quote],
// [details], …), write no HTML, define no link reference and open no code span or fence that
// would swallow what follows; code spans and blocks keep their text.
func ToMarkdown(text string) string {
	var b strings.Builder
	last := 0
	for _, loc := range adapters.CodeSpans(text) {
		code := text[loc[0]:loc[1]]
		b.WriteString(escapeBeforeCode(escapeText(text[last:loc[0]])))
		b.WriteString(fenceCode(b.String(), code, adapters.BacktickRun(code), text[loc[1]:]))
		last = loc[1]
	}
	b.WriteString(escapeText(text[last:]))
	return b.String()
}

var (
	// markdownLink is the start of a markdown link: "[the docs](".
	markdownLink = regexp.MustCompile(`^\[([^\[\]\n]*)\]\(`)
	// fenceLine is a line that opens a tilde fence (backtick runs are escaped one by one).
	fenceLine = regexp.MustCompile(`(?m)^([ \t>]*)~~~`)
	// tagLine is a line of code that starts with a BBCode tag: the forum finds a block's closing
	// tag by line, even inside a code block.
	tagLine = regexp.MustCompile(`(?m)^([ \t>]*)\[(/?[A-Za-z])`)
)

// blockTags are the forum's block BBCode tags (core and bundled plugins): never left as they are.
var blockTags = map[string]bool{"quote": true, "details": true, "spoiler": true, "code": true, "poll": true,
	"wrap": true, "grid": true, "chat": true, "list": true, "ul": true, "ol": true, "table": true, "summary": true}

// escapeText makes chat text (outside code) inert for the forum's renderer, with HTML entities,
// which the forum decodes to plain characters after it has parsed the markup: no "<" (HTML), no
// "[" before a letter or "/" (a BBCode tag, or a link reference) unless it starts a markdown link
// whose text names no block tag, no "]:" (a link reference definition: avatars stay ours), no
// backtick that would open a code span, no "~~~" fence.
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, "]:", "&#93;:")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '[' && i+1 < len(s) && (s[i+1] == '/' || isLetter(s[i+1])) && !isLink(s[i:]):
			b.WriteString("&#91;")
		case c == '`' && !escaped(s, i):
			b.WriteString("\\`")
		default:
			b.WriteByte(c)
		}
	}
	return fenceLine.ReplaceAllString(b.String(), `$1\~~~`)
}

// escaped reports whether s[i] follows an odd run of backslashes.
func escaped(s string, i int) bool {
	n := 0
	for i > 0 && s[i-1] == '\\' {
		n, i = n+1, i-1
	}
	return n%2 == 1
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isLink reports whether s starts with a markdown link ("[the docs](…)") whose text is not a
// block tag's name.
func isLink(s string) bool {
	m := markdownLink.FindStringSubmatch(s)
	return m != nil && !blockTags[strings.ToLower(strings.TrimPrefix(strings.Fields(m[1] + " x")[0], "/"))]
}

// escapeBeforeCode keeps text that ends in an odd run of backslashes from escaping the backtick
// of the code span after it (which would turn the code into live text).
func escapeBeforeCode(s string) string {
	n := len(s) - len(strings.TrimRight(s, `\`))
	if n%2 == 1 {
		return s + `\`
	}
	return s
}

// fenceCode writes a code span or block. A block (a run of three or more backticks, across
// lines) goes on lines of its own, as the forum's markdown needs (chat text may read "Logs: ```x```"),
// keeping an info string ("```go"), with a fence longer than any run of backticks inside it;
// lines of code that start with a BBCode tag get a zero-width space after the "[" so that the
// forum does not end a [quote] there. before is what was written so far, after the message text
// that follows.
func fenceCode(before, code string, run int, after string) string {
	inner := code[run : len(code)-run]
	if run < 3 || !strings.Contains(inner, "\n") {
		return code // on one line it is an inline code span
	}
	info, body, _ := strings.Cut(inner, "\n")
	if !codeInfo.MatchString(info) {
		info, body = "", inner
	}
	body = tagLine.ReplaceAllString(strings.Trim(body, "\n"), "$1[\u200b$2")
	fence := strings.Repeat("`", max(3, longestRun(body)+1))
	prefix, suffix := "", ""
	if before != "" && !strings.HasSuffix(before, "\n") {
		prefix = "\n"
	}
	if after != "" && !strings.HasPrefix(after, "\n") {
		suffix = "\n"
	}
	return prefix + fence + info + "\n" + body + "\n" + fence + suffix
}

// longestRun is the longest run of backticks in s.
func longestRun(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			e := i + adapters.BacktickRun(s[i:])
			n = max(n, e-i)
			i = e - 1
		}
	}
	return n
}

// fenceOpen is text that starts with a fenced code block's opening line (as fenceCode writes it).
var fenceOpen = regexp.MustCompile("^`{3,}[\\w+#.-]*\n")

// codeInfo is a fence's info string: a language name.
var codeInfo = regexp.MustCompile(`^[\w+#.-]*$`)
