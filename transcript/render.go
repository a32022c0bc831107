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
		fmt.Fprintf(&b, "[**%s**](%s)\n", escapeLinkText(view), link)
	} else {
		fmt.Fprintf(&b, "**%s**\n", view)
	}
	names := speakerNames(msgs)
	avatars := map[string]string{}
	var order []string
	last := "\x00" // no speaker yet: even a first message without a name gets its header
	for _, m := range msgs {
		name := speaker(m)
		if name != last {
			b.WriteString("\n")
			if m.User.AvatarURL != "" {
				if _, seen := avatars[name]; !seen {
					avatars[name] = m.User.AvatarURL
					order = append(order, name)
				}
				fmt.Fprintf(&b, "![%s] ", name)
			}
			fmt.Fprintf(&b, "**@%s:** ", name)
			last = name
		}
		b.WriteString(ToMarkdown(o.Platform, m.Text, names))
		for _, f := range m.Files {
			if f.URL != "" {
				fmt.Fprintf(&b, "\n> [%s](%s)\n", escapeLinkText(nonEmpty(f.Name, "attachment")), f.URL)
			} else {
				fmt.Fprintf(&b, "\n> %s\n", f.Name)
			}
		}
		b.WriteString("\n")
	}
	if o.Quote {
		b.WriteString("[/quote]\n")
	}
	if len(order) > 0 {
		b.WriteString("\n")
		for _, name := range order {
			fmt.Fprintf(&b, "[%s]: %s\n", name, avatars[name])
		}
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

var linkTextEscaper = strings.NewReplacer("[", `\[`, "]", `\]`)

func escapeLinkText(s string) string { return linkTextEscaper.Replace(s) }

// Slack markup: https://api.slack.com/reference/surfaces/formatting
var (
	slackAngle   = regexp.MustCompile(`<([^<>\n]+)>`)
	slackBold    = regexp.MustCompile(`(^|[\s(])\*([^*\n]+)\*`)
	slackItalic  = regexp.MustCompile(`(^|[\s(])_([^_\n]+)_`)
	slackStrike  = regexp.MustCompile(`(^|[\s(])~([^~\n]+)~`)
	discordEmoji = regexp.MustCompile(`<a?:(\w+):\d+>`)
	discordUser  = regexp.MustCompile(`<@!?(\d+)>`)
	codeSpans    = regexp.MustCompile("(?s)```.*?```|`[^`\n]*`")
)

// ToMarkdown converts a chat message's markup into forum markdown. Code spans and blocks are kept
// as they are. users maps platform user ids to names, for mentions.
func ToMarkdown(platform, text string, users map[string]string) string {
	var conv func(string) string
	switch platform {
	case "slack":
		conv = func(s string) string { return slackToMarkdown(s, users) }
	case "discord":
		conv = func(s string) string { return discordToMarkdown(s, users) }
	default: // Mattermost and Telegram (whose adapter turns entities into markdown) are markdown already
		return text
	}
	// Convert only outside code, which must stay byte for byte.
	var b strings.Builder
	last := 0
	for _, loc := range codeSpans.FindAllStringIndex(text, -1) {
		b.WriteString(conv(text[last:loc[0]]))
		code := text[loc[0]:loc[1]]
		if platform == "slack" {
			code = slackCode(text[:loc[0]], slackEntities.Replace(code))
		}
		b.WriteString(code)
		last = loc[1]
	}
	b.WriteString(conv(text[last:]))
	return b.String()
}

var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// slackCode puts a Slack code block ("Logs: ```x```", valid in Slack) on lines of its own, as the
// forum's markdown needs; inline code is returned as it is.
func slackCode(before, code string) string {
	if !strings.HasPrefix(code, "```") || len(code) < 6 {
		return code
	}
	inner := strings.Trim(code[3:len(code)-3], "\n")
	prefix := ""
	if before != "" && !strings.HasSuffix(before, "\n") {
		prefix = "\n"
	}
	return prefix + "```\n" + inner + "\n```"
}

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
