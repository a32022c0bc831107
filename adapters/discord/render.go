package discord

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Discord's size limits, enforced by truncating on purpose.
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
const (
	maxContent     = 2000 // message content
	maxEmbedTitle  = 256
	maxEmbedDesc   = 4096
	maxAuthorName  = 256
	maxFieldValue  = 1024
	maxThreadName  = 100
	maxChoiceName  = 100
	maxChoices     = 25
	threadArchive  = 10080 // minutes: auto-archive a notification thread after a week idle
	embedFieldCat  = "Category"
	embedFieldTags = "Tags"
)

// noMentions parses no mention at all: forum text can never ping @everyone, a role or a user.
// It must be an empty, non-nil list: a nil Parse would be omitted… and Discord then parses all.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// escapeMarkdown makes untrusted text show literally in Discord markdown and defuses mass
// mentions. Characters that only mean something at the start of a line (headings, lists,
// quotes) are escaped there only, so ordinary text stays readable.
func escapeMarkdown(s string) string { return escapeAt(s, true) }

// escapeAt is escapeMarkdown for text that starts a line where it goes (startsLine) or follows
// other text on its line.
func escapeAt(s string, startsLine bool) string {
	return adapters.EscapeBlockStarts(inlineEscaper.Replace(adapters.DefuseMentions(s)), startsLine)
}

// inlineEscaper backslash-escapes the characters of Discord's inline markdown, links and quotes.
var inlineEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, `~`, `\~`, "`", "\\`", `|`, `\|`,
	`[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`, `<`, `\<`, `>`, `\>`,
)

// plain is for embed parts that Discord shows without markdown (author name, field names,
// thread names): only mentions are defused.
func plain(s string) string { return adapters.DefuseMentions(s) }

// renderText renders the bot's formatted text in Discord markdown.
func renderText(t adapters.Text) string {
	var b strings.Builder
	for _, sp := range t {
		startsLine := b.Len() == 0 || strings.HasSuffix(b.String(), "\n")
		switch sp.Kind {
		case adapters.Bold:
			b.WriteString("**" + escapeAt(sp.Text, false) + "**")
		case adapters.Italic:
			b.WriteString("*" + escapeAt(sp.Text, false) + "*")
		case adapters.Code:
			b.WriteString(inlineCode(plain(sp.Text)))
		case adapters.CodeBlock:
			code := strings.TrimSuffix(plain(sp.Text), "\n")
			b.WriteString("```\n" + strings.ReplaceAll(code, "```", "`\u200b``") + "\n```")
		case adapters.Link:
			b.WriteString(renderLink(sp, startsLine))
		default:
			b.WriteString(escapeAt(sp.Text, startsLine))
		}
	}
	return b.String()
}

// inlineCode wraps s in enough backticks that a backtick inside does not end it.
func inlineCode(s string) string {
	if s == "" {
		return ""
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if fence == "`" {
		return "`" + s + "`"
	}
	return fence + " " + s + " " + fence
}

func renderLink(sp adapters.Span, startsLine bool) string {
	u, ok := safeURL(sp.URL)
	switch {
	case !ok:
		return escapeAt(sp.Text, startsLine)
	case sp.Text == "" || sp.Text == sp.URL:
		return "<" + u + ">"
	}
	return "[" + escapeAt(sp.Text, false) + "](<" + u + ">)"
}

// safeURL accepts absolute http(s) URLs and escapes what would end a markdown link.
func safeURL(raw string) (string, bool) {
	u, ok := adapters.WebURL(strings.TrimSpace(raw))
	if !ok {
		return "", false
	}
	s := u.String()
	s = strings.NewReplacer(" ", "%20", "<", "%3C", ">", "%3E", ")", "%29", "(", "%28").Replace(s)
	return s, true
}

// truncate cuts s to at most n characters (runes), marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := string(r[:n-1])
	// Do not leave a dangling escape backslash: an odd run of them ends with one.
	if n := len(cut) - len(strings.TrimRight(cut, "\\")); n%2 == 1 {
		cut = cut[:len(cut)-1]
	}
	return cut + "…"
}

// parseColor reads "0088CC" (with or without "#"); 0 means Discord's default.
func parseColor(hex string) int {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(hex), "#"), 16, 32)
	if err != nil || v > 0xFFFFFF {
		return 0
	}
	return int(v)
}

// notificationEmbed renders a forum post as an embed: title linked to the post, author with
// avatar, excerpt, category colour, the category path and the tags as fields.
func notificationEmbed(n adapters.Notification) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       truncate(escapeMarkdown(n.TopicTitle), maxEmbedTitle),
		Description: truncate(escapeMarkdown(n.Excerpt), maxEmbedDesc),
		Color:       parseColor(n.CategoryColor),
	}
	if u, ok := safeURL(n.URL); ok {
		e.URL = u
	}
	if a := n.Author(); a != "" {
		e.Author = &discordgo.MessageEmbedAuthor{Name: truncate(plain(a), maxAuthorName)}
		if u, ok := safeURL(n.AvatarURL); ok {
			e.Author.IconURL = u
		}
	}
	if n.CategoryPath != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
			Name: embedFieldCat, Value: truncate(escapeMarkdown("["+n.CategoryPath+"]"), maxFieldValue), Inline: true,
		})
	}
	if len(n.Tags) > 0 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
			Name: embedFieldTags, Value: truncate(escapeMarkdown(strings.Join(n.Tags, ", ")), maxFieldValue), Inline: true,
		})
	}
	if !n.CreatedAt.IsZero() {
		e.Timestamp = n.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	if e.Title == "" {
		e.Title = "(untitled)"
	}
	return e
}

// threadName is the name of the thread a topic's replies go into: plain text, ≤ 100 characters.
func threadName(title string) string {
	name := strings.Join(strings.Fields(plain(title)), " ")
	if name == "" {
		name = "Replies"
	}
	return truncate(name, maxThreadName)
}

// splitContent cuts a long reply into messages of at most maxContent characters, at line
// breaks where it can.
func splitContent(s string) []string {
	var out []string
	for utf8.RuneCountInString(s) > maxContent {
		// Cut at a byte offset of s itself: converting through []rune would turn each invalid
		// byte into a 3-byte U+FFFD and the cut would overrun s.
		end := 0
		for n := 0; n < maxContent; n++ {
			_, size := utf8.DecodeRuneInString(s[end:])
			end += size
		}
		head := s[:end]
		if i := strings.LastIndex(head, "\n"); i > maxContent/2 {
			head = head[:i]
		}
		out = append(out, head)
		s = strings.TrimPrefix(s[len(head):], "\n")
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// MaxReplyLength implements adapters.ReplyLimiter: a Discord message holds 2 000 characters,
// links written out in full.
func (a *Adapter) MaxReplyLength() int { return maxContent }
