package adapters

import "regexp"

// massMention matches the words that ping a whole channel on some platform when they follow "@":
// @everyone, @here (Discord, Slack, Mattermost), @channel (Slack, Mattermost), @all (Mattermost).
// Also as the start of a longer word: Discord reads "@here" in "@here0" as the mention.
var massMention = regexp.MustCompile(`(?i)@(everyone|here|channel|all)`)

// DefuseMentions puts a zero-width joiner between "@" and a mass-mention word, so that untrusted
// forum text still reads "@everyone" but pings nobody on any platform. Adapters apply it to every
// forum string, on top of their markup's own escaping.
func DefuseMentions(s string) string {
	return massMention.ReplaceAllString(s, "@\u2060$1")
}
