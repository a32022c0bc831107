package slacktest

import "regexp"

// liveMention matches what makes Slack notify people when it renders a message's mrkdwn: the
// special mentions <!channel>, <!here>, <!everyone>, user group and user mentions, and bare
// @channel/@here/@everyone words (which Slack links when link_names is on).
var liveMention = regexp.MustCompile(`<!(channel|here|everyone)(\|[^>]*)?>|<!subteam\^[^>]+>|<@[UW][A-Z0-9]*(\|[^>]*)?>|(^|[^\p{L}\p{N}_])@(channel|here|everyone)\b`)

// Pings returns the live mentions in a message's wire text: what would notify people. A fake
// test asserts it is empty for notifications made from forum text.
func Pings(text string) []string {
	return liveMention.FindAllString(text, -1)
}
