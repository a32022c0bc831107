package commands

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that every input yields a command or a one-line reason, never a panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "help", "status", "test", "/discourse status", "/watch@forum_bot tag:release",
		"watch support", "follow support/bugs tag:bug", "mute tag:crash,ui", "thread announcements",
		"watch group:staff", "mute mention:@devs", "remove 2", "remove #1",
		"post", "post 30", "post thread", "post thread https://t.me/c/1/2",
		"post https://example.slack.com/archives/C1/p1700000000000100",
		"post 30 to https://forum.example.org/t/welcome/1", `post 10 "Release notes"`,
		"watch support tag:", "remove -1", "post 0", "post 5 to", "wtch",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Parse(in)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %v is not a *SyntaxError", in, err)
			}
			if se.Reason == "" {
				t.Fatalf("Parse(%q): empty reason", in)
			}
			if utf8.ValidString(in) && strings.ContainsAny(se.Reason, "\n\r") {
				t.Fatalf("Parse(%q): reason %q is not one line", in, se.Reason)
			}
			return
		}
		switch p.Kind {
		case KindHelp, KindStatus, KindTest:
		case KindRule:
			if p.Rule.Filter.Precedence() > 4 {
				t.Fatalf("Parse(%q): bad filter %q", in, p.Rule.Filter)
			}
			if p.Rule.Group != "" && p.Rule.Mention != "" {
				t.Fatalf("Parse(%q): both group and mention", in)
			}
			for _, tag := range p.Rule.Tags {
				if tag == "" || strings.ContainsAny(tag, " \t\n,") {
					t.Fatalf("Parse(%q): bad tag %q", in, tag)
				}
			}
		case KindRemove:
			if p.Index < 1 {
				t.Fatalf("Parse(%q): index %d", in, p.Index)
			}
		case KindPost:
			if p.Post.Count < 0 || p.Post.Count > MaxPostCount {
				t.Fatalf("Parse(%q): count %d", in, p.Post.Count)
			}
		default:
			t.Fatalf("Parse(%q): no kind", in)
		}
	})
}
