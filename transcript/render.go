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
	// Platform is the adapter's platform name ("slack", …): it picks the markup conversion and
	// names the chat in the first line.
	Platform string
	// ChannelName and ChannelLink make the first line: "View in #general on Slack".
	ChannelName string
	ChannelLink string
	// Quote wraps the transcript in [quote] … [/quote] (transcript.quote).
	Quote bool
}

var platformTitles = map[string]string{
	"slack": "Slack", "telegram": "Telegram", "discord": "Discord", "mattermost": "Mattermost", "console": "the console",
}

// PlatformTitle returns the platform's name as people write it.
func PlatformTitle(p string) string {
	if t, ok := platformTitles[p]; ok {
		return t
	}
	return p
}

// Render writes msgs (oldest first) as forum markdown, in the plugin's format: a link back to the
// chat, then one block per run of messages from the same speaker ("![name] **@name:** text"), each
// speaker's avatar defined once as a reference image at the end.
func Render(msgs []adapters.Message, o Options) string {
	var b strings.Builder
	if o.Quote {
		b.WriteString("[quote]\n")
	}
	view := "View in " + channelLabel(o.ChannelName) + " on " + PlatformTitle(o.Platform)
	link := o.ChannelLink
	if len(msgs) > 0 && msgs[0].Link != "" {
		link = msgs[0].Link
	}
	if link != "" {
		fmt.Fprintf(&b, "[**%s**](%s)\n", escapeLinkText(view), safeURL(link))
	} else {
		fmt.Fprintf(&b, "**%s**\n", escapeText(view))
	}
	names := speakerNames(msgs)
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
			fmt.Fprintf(&b, "**@%s:** ", name)
			last = who
		}
		b.WriteString(ToMarkdown(o.Platform, m.Text, names))
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

// DefaultTitle is a transcript topic's title when the moderator gives none.
func DefaultTitle(platform, channelName string, t time.Time) string {
	return fmt.Sprintf("Chat transcript: %s on %s, %s", channelLabel(channelName), PlatformTitle(platform), t.UTC().Format("2 Jan 2006"))
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

func speakerNames(msgs []adapters.Message) map[string]string {
	names := map[string]string{}
	for _, m := range msgs {
		if m.User.ID != "" {
			names[m.User.ID] = speaker(m)
		}
	}
	return names
}

func nonEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

var linkTextEscaper = strings.NewReplacer("[", `\[`, "]", `\]`, "<", "&lt;", "\n", " ", "\r", " ")

func escapeLinkText(s string) string { return linkTextEscaper.Replace(s) }

// Slack markup: https://api.slack.com/reference/surfaces/formatting
var (
	slackAngle   = regexp.MustCompile(`<([^<>\n]+)>`)
	slackBold    = regexp.MustCompile(`(^|[\s(])\*([^*\n]+)\*`)
	slackItalic  = regexp.MustCompile(`(^|[\s(])_([^_\n]+)_`)
	slackStrike  = regexp.MustCompile(`(^|[\s(])~([^~\n]+)~`)
	discordEmoji = regexp.MustCompile(`<a?:(\w+):\d+>`)
	discordUser  = regexp.MustCompile(`<@!?(\d+)>`)
)

// ToMarkdown converts a chat message's markup into forum markdown, and makes it inert for the
// forum's renderer: chat text is untrusted, so outside code it can open or close no BBCode tag
// ([quote], [details], …), write no HTML, define no link reference and open no code span or
// fence that would swallow what follows; code spans and blocks keep their text. users maps
// platform user ids to names, for mentions.
func ToMarkdown(platform, text string, users map[string]string) string {
	conv := func(s string) string { return s }
	switch platform {
	case "slack":
		conv = func(s string) string { return slackToMarkdown(s, users) }
	case "discord":
		conv = func(s string) string { return discordToMarkdown(s, users) }
	} // Mattermost and Telegram (whose adapter turns entities into markdown) are markdown already
	var b strings.Builder
	last := 0
	for _, loc := range codeRegions(text) {
		code := text[loc[0]:loc[1]]
		run := len(code) - len(strings.TrimLeft(code, "`"))
		if run < 3 && strings.Contains(code, "\n") {
			continue // a span across lines could hide a line that starts a block: text it is
		}
		b.WriteString(escapeBeforeCode(escapeText(conv(text[last:loc[0]]))))
		if platform == "slack" {
			code = slackEntities.Replace(code)
		}
		b.WriteString(fenceCode(b.String(), code, run, text[loc[1]:]))
		last = loc[1]
	}
	b.WriteString(escapeText(conv(text[last:])))
	return b.String()
}

// codeRegions returns where s has code spans, as CommonMark reads them: a run of n backticks
// opens a span that the next run of exactly n backticks closes; a run that nothing closes is
// plain text, and so is a backtick escaped with a backslash.
func codeRegions(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case '`':
		default:
			i++
			continue
		}
		open := runEnd(s, i)
		n, closed := open-i, -1
		for k := open; k < len(s); {
			if s[k] != '`' {
				k++
				continue
			}
			e := runEnd(s, k)
			if e-k == n {
				closed = e
				break
			}
			k = e
		}
		if closed < 0 {
			i = open
			continue
		}
		out = append(out, [2]int{i, closed})
		i = closed
	}
	return out
}

// runEnd is the end of the run of backticks that starts at i.
func runEnd(s string, i int) int {
	for i < len(s) && s[i] == '`' {
		i++
	}
	return i
}

// PlainText converts a chat message's markup as ToMarkdown does (mentions become @names, Slack's
// <url|text> a markdown link) but without escaping it for the forum: for showing a message back in
// chat, such as in a transcript's preview. msgs name the speakers, for mentions.
func PlainText(platform, text string, msgs []adapters.Message) string {
	names := speakerNames(msgs)
	switch platform {
	case "slack":
		return slackToMarkdown(text, names)
	case "discord":
		return discordToMarkdown(text, names)
	}
	return text
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
// lines) goes on lines of its own, as the forum's markdown needs (Slack writes "Logs: ```x```"),
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
			e := runEnd(s, i)
			n = max(n, e-i)
			i = e - 1
		}
	}
	return n
}

// codeInfo is a fence's info string: a language name.
var codeInfo = regexp.MustCompile(`^[\w+#.-]*$`)

var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func slackToMarkdown(s string, users map[string]string) string {
	s = slackAngle.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"): // <@U123> or <@U123|name>
			if hasLabel {
				return "@" + label
			}
			if name, ok := users[target[1:]]; ok {
				return "@" + name
			}
			return "@" + target[1:]
		case strings.HasPrefix(target, "#"): // <#C123|general>
			if hasLabel {
				return "#" + label
			}
			return "#" + target[1:]
		case strings.HasPrefix(target, "!"): // <!here>, <!subteam^ID|@team>, <!date^…|text>
			if hasLabel {
				return label
			}
			return "@" + strings.SplitN(target[1:], "^", 2)[0]
		case hasLabel:
			return "[" + escapeLinkText(label) + "](" + target + ")"
		}
		return target
	})
	s = slackBold.ReplaceAllString(s, "$1**$2**")
	s = slackItalic.ReplaceAllString(s, "$1*$2*")
	s = slackStrike.ReplaceAllString(s, "$1~~$2~~")
	return slackEntities.Replace(s)
}

func discordToMarkdown(s string, users map[string]string) string {
	s = discordEmoji.ReplaceAllString(s, ":$1:")
	return discordUser.ReplaceAllStringFunc(s, func(m string) string {
		id := discordUser.FindStringSubmatch(m)[1]
		if name, ok := users[id]; ok {
			return "@" + name
		}
		return m
	})
}
