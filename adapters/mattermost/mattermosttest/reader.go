package mattermosttest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mattermost/mattermost-server/v6/model"
)

// What a Mattermost user reads in the bot's posts, for tests against this fake and against a real
// server alike (integration/mattermost).

// Shown is Mattermost markdown as a reader sees it: backslash escapes and entities resolved, the
// invisible word joiners that defuse mentions gone.
func Shown(s string) string {
	return strings.ReplaceAll(shown(s), "\u2060", "")
}

// LiveMention is "@" directly followed by a name: on Mattermost that pings a user, or everyone
// for @channel, @all and @here.
var LiveMention = regexp.MustCompile(`@[\p{L}\p{N}_.\-]`)

// Texts lists every text of a post that Mattermost renders.
func Texts(p *model.Post) []string {
	out := []string{p.Message}
	for _, a := range p.Attachments() {
		out = append(out, a.Fallback, a.Pretext, a.AuthorName, a.Title, a.Text, a.Footer)
		for _, f := range a.Fields {
			out = append(out, f.Title, fmt.Sprint(f.Value))
		}
	}
	return out
}
