package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// seedStore creates the store at dsn with rules, as the bot would have after chat commands.
func seedStore(t *testing.T, dsn string, rules ...state.Rule) {
	t.Helper()
	st, err := state.Open(t.Context(), "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, r := range rules {
		if _, err := st.AddRule(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRules(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "state.db")
	forum := newTestForum(t, "k")
	support := forum.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	installs := forum.AddCategory(discourse.Category{Name: "Installs", Slug: "installs", ParentID: support})
	cfg := writeFile(t, dir, "c.yaml", "forum:\n  url: "+forum.URL()+"\n  api_key: ${TEST_API_KEY}\nstate:\n  dsn: "+dsn+"\n")
	env := []string{"TEST_API_KEY=k"}
	seedStore(t, dsn,
		state.Rule{Channel: "slack:C1", Type: state.Normal, Filter: state.Watch, CategoryID: installs, Tags: []string{"release"}},
		state.Rule{Channel: "slack:C1", Type: state.Normal, Filter: state.Mute, CategoryID: 0},
		state.Rule{Channel: "telegram:-100", Type: state.GroupMention, Filter: state.Follow, Group: "staff"},
	)

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string // lines, in order (spaces squeezed)
		stderr string
	}{
		{name: "list all, numbered per channel in precedence order", args: []string{"rules", "list", "--config", cfg},
			stdout: []string{
				"CHANNEL N FILTER TYPE CATEGORY TAGS GROUP",
				"slack:C1 1 mute normal all - -",
				"slack:C1 2 watch normal Support/Installs release -",
				"telegram:-100 1 follow group_mention - - staff",
			}},
		{name: "list one channel", args: []string{"rules", "--config", cfg, "list", "telegram:-100"},
			stdout: []string{"CHANNEL N FILTER TYPE CATEGORY TAGS GROUP", "telegram:-100 1 follow group_mention - - staff"}},
		{name: "remove beyond the end", args: []string{"rules", "remove", "-c", cfg, "slack:C1", "3"}, code: 1,
			stderr: "discourse-chatbot: slack:C1 has 2 rule(s), no rule 3\n"},
		{name: "remove with a bad number", args: []string{"rules", "remove", "-c", cfg, "slack:C1", "two"}, code: 2,
			stderr: "discourse-chatbot: rule number \"two\": want 1, 2, … as \"rules list\" shows (see 'discourse-chatbot rules remove --help')\n"},
		{name: "remove with a bad channel", args: []string{"rules", "remove", "-c", cfg, "C1", "1"}, code: 2,
			stderr: "discourse-chatbot: channel \"C1\": want platform:chat_id, e.g. slack:C0123 or telegram:-100123 (see 'discourse-chatbot rules remove --help')\n"},
		{name: "remove with missing arguments", args: []string{"rules", "remove", "-c", cfg, "slack:C1"}, code: 2,
			stderr: "discourse-chatbot: accepts 2 arg(s), received 1 (see 'discourse-chatbot rules remove --help')\n"},
		{name: "remove the mute rule", args: []string{"rules", "remove", "-c", cfg, "slack:C1", "1"},
			stdout: []string{"removed rule 1 of slack:C1: mute category all"}},
		{name: "the watch rule is now number 1", args: []string{"rules", "list", "-c", cfg, "slack:C1"},
			stdout: []string{"CHANNEL N FILTER TYPE CATEGORY TAGS GROUP", "slack:C1 1 watch normal Support/Installs release -"}},
		{name: "remove names the category", args: []string{"rules", "remove", "-c", cfg, "slack:C1", "1"},
			stdout: []string{"removed rule 1 of slack:C1: watch category Support/Installs tags release"}},
		{name: "unknown rules subcommand", args: []string{"rules", "lst", "-c", cfg}, code: 2,
			stderr: "discourse-chatbot: unknown command \"lst\" for \"discourse-chatbot rules\" (see 'discourse-chatbot rules --help')\n"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := run(t, dir, env, st.args...)
			if r.code != st.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, st.code, r.stderr)
			}
			if st.code != 0 {
				if r.stderr != st.stderr {
					t.Errorf("stderr\n got %q\nwant %q", r.stderr, st.stderr)
				}
				return
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				got = append(got, strings.Join(strings.Fields(l), " "))
			}
			if strings.Join(got, "\n") != strings.Join(st.stdout, "\n") {
				t.Errorf("stdout\n got %q\nwant %q", got, st.stdout)
			}
		})
	}
}

func TestRulesBadStore(t *testing.T) {
	dir := t.TempDir()
	notDB := writeFile(t, dir, "not.db", strings.Repeat("this is not a database\n", 200))
	tests := []struct {
		name, dsn, want string
	}{
		{"directory missing", filepath.Join(dir, "nope", "x.db"),
			"discourse-chatbot: open the store: state.dsn \"" + filepath.Join(dir, "nope", "x.db") + "\": directory \"" + filepath.Join(dir, "nope") + "\" does not exist\n"},
		{"not an SQLite file", notDB,
			"discourse-chatbot: open the store: state.dsn \"" + notDB + "\": not an SQLite database\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeFile(t, dir, "c.yaml", minimalConfig+"state:\n  dsn: "+tt.dsn+"\n")
			r := run(t, dir, []string{"TEST_API_KEY=k"}, "rules", "list", "-c", cfg)
			if r.code != 1 || r.stderr != tt.want {
				t.Errorf("exit %d, stderr\n got %q\nwant %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestRulesListEmpty(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "c.yaml", minimalConfig)
	r := run(t, dir, []string{"TEST_API_KEY=k"}, "rules", "list", "-c", cfg)
	if r.code != 0 || r.stdout != "no rules\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "discourse-chatbot.db")); err != nil {
		t.Errorf("the default store was not created in the working directory: %v", err)
	}
}

// TestRulesListCategoryNames: names come from the forum; a category it no longer has, and a
// forum that cannot be asked, still leave a useful list.
func TestRulesListCategoryNames(t *testing.T) {
	forum := newTestForum(t, "k")
	general := forum.AddCategory(discourse.Category{Name: "General", Slug: "general"})
	down := discoursetest.NewServer("k")
	down.Close()
	rules := []state.Rule{
		{Channel: "slack:C1", Type: state.Normal, Filter: state.Watch, CategoryID: general},
		{Channel: "slack:C1", Type: state.Normal, Filter: state.Follow, CategoryID: 999},
	}
	tests := []struct {
		name, url string
		stdout    []string
		stderr    string
	}{
		{"names and a deleted category", forum.URL(),
			[]string{"slack:C1 1 watch normal General - -", "slack:C1 2 follow normal deleted category #999 - -"}, ""},
		{"forum unreachable: ids", down.URL(),
			[]string{"slack:C1 1 watch normal #" + strconv.FormatInt(general, 10) + " - -", "slack:C1 2 follow normal #999 - -"},
			"discourse-chatbot: category names unavailable ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dsn := filepath.Join(dir, "state.db")
			seedStore(t, dsn, rules...)
			cfg := writeFile(t, dir, "c.yaml", "forum:\n  url: "+tt.url+"\n  api_key: k\nstate:\n  dsn: "+dsn+"\n")
			r := run(t, dir, nil, "rules", "list", "-c", cfg)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
				got = append(got, strings.Join(strings.Fields(l), " "))
			}
			if strings.Join(got, "\n") != strings.Join(tt.stdout, "\n") {
				t.Errorf("stdout\n got %q\nwant %q", got, tt.stdout)
			}
			if tt.stderr == "" && r.stderr != "" || !strings.HasPrefix(r.stderr, tt.stderr) {
				t.Errorf("stderr %q, want it to start with %q", r.stderr, tt.stderr)
			}
		})
	}
}
