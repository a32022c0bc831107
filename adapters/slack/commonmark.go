package slack

import (
	"regexp"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Slack markup: https://api.slack.com/reference/surfaces/formatting
var (
	slackAngle  = regexp.MustCompile(`<([^<>\n]+)>`)
	slackBold   = regexp.MustCompile(`(^|[\s(])\*([^*\n]+)\*`)
	slackItalic = regexp.MustCompile(`(^|[\s(])_([^_\n]+)_`)
	slackStrike = regexp.MustCompile(`(^|[\s(])~([^~\n]+)~`)
	// slackEntities are the three characters Slack escapes in message text, code included.
	slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	// labelEscaper keeps a link's label from closing the CommonMark link early.
	labelEscaper = strings.NewReplacer("[", `\[`, "]", `\]`)
)

// toCommonMark converts a message's Slack markup to CommonMark, outside code: <url|text> links,
// <@U…> mentions (name resolves a user id to a name), <#C…|name> channels, <!here> and
// friends, *bold*, _italic_, ~strike~ and the escaped &lt; &gt; &amp;. Code keeps its text,
// unescaped; a code block Slack shows after other text ("Logs: ```x```") goes on lines of its own.
func toCommonMark(text string, name func(userID string) string) string {
	return adapters.OutsideCode(text, func(s string) string { return slackText(s, name) }, codeToCommonMark)
}

func slackText(s string, name func(string) string) string {
	s = slackAngle.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"): // <@U123> or <@U123|name>
			if hasLabel {
				return "@" + label
			}
			return "@" + name(target[1:])
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
			return "[" + labelEscaper.Replace(label) + "](" + target + ")"
		}
		return target
	})
	s = slackBold.ReplaceAllString(s, "$1**$2**")
	s = slackItalic.ReplaceAllString(s, "$1*$2*")
	s = slackStrike.ReplaceAllString(s, "$1~~$2~~")
	return slackEntities.Replace(s)
}

// codeToCommonMark unescapes a code span or block and puts a block (three backticks, across
// lines) on lines of its own, as CommonMark needs for a fence.
func codeToCommonMark(code, before, after string) string {
	code = slackEntities.Replace(code)
	if !strings.HasPrefix(code, "```") || !strings.Contains(code, "\n") {
		return code
	}
	if before != "" && !strings.HasSuffix(before, "\n") {
		code = "\n" + code
	}
	if after != "" && !strings.HasPrefix(after, "\n") {
		code += "\n"
	}
	return code
}
