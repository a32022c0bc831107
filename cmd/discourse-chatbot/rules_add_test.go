package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

func TestRulesAdd(t *testing.T) {
	forum := newTestForum(t, "add-key")
	forum.AddCategory(discourse.Category{Name: "Announcements", Slug: "announcements"})
	forum.AddCategory(discourse.Category{Name: "Staff", Slug: "staff", ReadRestricted: true})
	forum.AddTag("release")
	dir := t.TempDir()
	cfg := writeFile(t, dir, "bot.yaml", fmt.Sprintf("forum: {url: %s, api_key: add-key}\nstate: {dsn: %s}\n",
		forum.URL(), filepath.Join(dir, "bot.db")))

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"add a rule", []string{"slack:C0123", "watch", "announcements", "--tag", "release"}, 0, "created", ""},
		{"the same again changes nothing", []string{"slack:C0123", "watch", "announcements", "--tag", "release"}, 0, "already", ""},
		{"same category and tags: the filter is updated", []string{"slack:C0123", "follow", "announcements", "--tag", "release"}, 0, "updated", ""},
		{"all categories", []string{"slack:C0123", "mute"}, 0, "created", ""},
		{"a tag_added rule", []string{"slack:C0456", "tag_added", "--tag", "release"}, 0, "gaining tag", ""},
		{"unknown category lists the usable ones", []string{"slack:C0123", "watch", "nope"}, 1, "", "announcements"},
		{"restricted category in a public channel", []string{"slack:C0123", "watch", "staff"}, 1, "", "private_channels"},
		{"unknown tag", []string{"slack:C0123", "watch", "announcements", "--tag", "nope"}, 1, "", "nope"},
		{"bad filter", []string{"slack:C0123", "shout", "announcements"}, 2, "", "unknown filter"},
	}
	for _, s := range steps {
		r := run(t, dir, nil, append([]string{"rules", "add", "-c", cfg}, s.args...)...)
		if r.code != s.code || !strings.Contains(r.stdout, s.stdout) || !strings.Contains(r.stderr, s.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout ~%q, stderr ~%q",
				s.name, r.code, r.stdout, r.stderr, s.code, s.stdout, s.stderr)
		}
	}
	list := run(t, dir, nil, "rules", "list", "-c", cfg)
	if got := strings.Count(list.stdout, "slack:C0123"); got != 2 {
		t.Errorf("want 2 rules listed for slack:C0123, got:\n%s", list.stdout)
	}
	if !strings.Contains(list.stdout, "follow") || !strings.Contains(list.stdout, "mute") || !strings.Contains(list.stdout, "tag_added") {
		t.Errorf("rules list:\n%s", list.stdout)
	}
}

// TestRunRefusesABadSeedRule: a config rule the forum cannot resolve stops the start with the
// rule's key, rather than running without it.
func TestRunRefusesABadSeedRule(t *testing.T) {
	forum := newTestForum(t, "seed-key")
	forum.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	dir := t.TempDir()
	cfg := writeFile(t, dir, "bot.yaml", fmt.Sprintf(`forum: {url: %s, api_key: seed-key}
state: {dsn: %s}
console: {}
rules:
  - {channel: "console:local", filter: watch, category: support}
  - {channel: "console:local", filter: watch, category: suport}
`, forum.URL(), filepath.Join(dir, "bot.db")))
	r := run(t, dir, nil, "run", "-c", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "config: rules[1]") || !strings.Contains(r.stderr, "suport") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
