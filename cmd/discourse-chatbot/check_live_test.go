package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

func TestCheckConnects(t *testing.T) {
	forum := newTestForum(t, "live-key")
	forum.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	forum.AddCategory(discourse.Category{Name: "Staff", Slug: "staff", ReadRestricted: true})
	slack := slacktest.NewServer()
	t.Cleanup(slack.Close)

	dir := t.TempDir()
	config := func(key string) string {
		return writeFile(t, dir, fmt.Sprintf("bot-%d.yaml", len(key)), fmt.Sprintf(`forum: {url: %s, api_key: %s}
slack: {bot_token: %s, app_token: %s, api_url: %s}
rules:
  - {channel: "slack:%s", filter: watch, category: support}
`, forum.URL(), key, slacktest.BotToken, slacktest.AppToken, slack.APIURL(), slacktest.GeneralID))
	}

	good := run(t, dir, nil, "check", "-c", config("live-key"))
	if good.code != 0 {
		t.Fatalf("check with working credentials: exit %d\nstdout:\n%s\nstderr: %s", good.code, good.stdout, good.stderr)
	}
	for _, want := range []string{"forum: ok", "2 categories visible (1 read-restricted)", "slack: ", "config OK"} {
		if !strings.Contains(good.stderr, want) {
			t.Errorf("check output lacks %q:\n%s", want, good.stderr)
		}
	}

	bad := run(t, dir, nil, "check", "-c", config("wrong-key"))
	if bad.code != 1 || !strings.Contains(bad.stderr, "forum: FAIL") || strings.Contains(bad.stderr, "config OK") {
		t.Errorf("check with a wrong forum key: exit %d, stderr:\n%s", bad.code, bad.stderr)
	}
	if strings.Contains(bad.stdout+bad.stderr, "wrong-key") {
		t.Errorf("the API key leaked into check's output")
	}
}

// TestCheckFindings: what run would refuse at start is found by check, one line each, with a
// hint that fits the failure.
func TestCheckFindings(t *testing.T) {
	forum := newTestForum(t, "live-key")
	forum.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	forum.AddTag("bug")
	down := discoursetest.NewServer("live-key")
	down.Close()
	dir := t.TempDir()
	tests := []struct {
		name, url, rules string
		stderr           []string // lines that must be there
		absent           []string
	}{
		{"a seed rule naming a category the forum does not have", forum.URL(),
			"rules:\n  - {channel: \"console:local\", filter: watch, category: suport}\n  - {channel: \"console:local\", filter: follow, category: support, tags: [bugg]}\n",
			[]string{
				"rules[0] (console:local watch): FAIL There is no category suport here. Did you mean support? Categories this channel may use: support. Restricted categories need this channel on the bot's access.private_channels list.",
				"rules[1] (console:local follow): FAIL There is no tag bugg on the forum. Did you mean tag:bug? Tags: bug. See /discourse help.",
				"discourse-chatbot: check failed: rules[0], rules[1] failed",
			}, []string{"config OK"}},
		{"an unreachable forum is a network problem, not credentials", down.URL(), "",
			[]string{"(a network problem: check forum.url, DNS and the route to the forum; not the API key)"},
			[]string{"credentials", "api_key and"}},
		{"an unreachable chat API is a network problem, said once", forum.URL(),
			"telegram: {token: \"123456:ABC-secret\", api_endpoint: " + down.URL() + "}\n" +
				"slack: {bot_token: xoxb-1-secret, app_token: xapp-1-secret, api_url: " + down.URL() + "/api/}\n",
			[]string{"(a network problem (DNS or connection), not the token or permissions)",
				"— a network problem (DNS or connection), not the token or permissions"},
			[]string{"getMe: FAILED: getMe:", "telegram: FAIL", "hint:", "connections:write", "ABC-secret", "xoxb-1-secret", "problem(s)"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeFile(t, dir, fmt.Sprintf("c%d.yaml", i), "forum: {url: "+tt.url+", api_key: live-key}\nconsole: {}\n"+tt.rules)
			r := run(t, dir, nil, "check", "-c", cfg)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			lines := strings.Split(r.stderr, "\n")
			for _, want := range tt.stderr {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, want) || l == want }) {
					t.Errorf("stderr lacks the line %q:\n%s", want, r.stderr)
				}
			}
			for _, bad := range tt.absent {
				if strings.Contains(r.stderr, bad) {
					t.Errorf("stderr has %q:\n%s", bad, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing without --print-config", r.stdout)
			}
		})
	}
}
