package mattermosttest

import (
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/mattermost/mattermost-server/v6/model"
)

// markdownEscape matches a backslash escape of ASCII punctuation.
var markdownEscape = regexp.MustCompile("\\\\([!-/:-@\\[-`{-~])")

// shown is markdown text as a reader sees it: escapes and entities resolved (markup itself, such
// as "**", is left in; tests look for words).
func shown(s string) string {
	return html.UnescapeString(markdownEscape.ReplaceAllString(s, "$1"))
}

// view flattens a post into everything a user reads in it: the message and each attachment's
// pretext, author, title, link, text, fields, footer and the fallback that notifications show.
func view(p *model.Post) string {
	parts := []string{shown(p.Message)}
	for _, a := range p.Attachments() {
		parts = append(parts, shown(a.Pretext), a.AuthorName, shown(a.Title), a.TitleLink, shown(a.Text))
		for _, f := range a.Fields {
			parts = append(parts, f.Title+": "+shown(fmt.Sprint(f.Value)))
		}
		parts = append(parts, shown(a.Footer), a.Fallback)
	}
	var out []string
	for _, s := range parts {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}
