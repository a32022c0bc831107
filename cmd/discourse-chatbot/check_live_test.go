package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

func TestCheckConnects(t *testing.T) {
	forum := discoursetest.NewServer("live-key")
	t.Cleanup(forum.Close)
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
		if !strings.Contains(good.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, good.stdout)
		}
	}

	bad := run(t, dir, nil, "check", "-c", config("wrong-key"))
	if bad.code != 1 || !strings.Contains(bad.stdout, "forum: FAIL") || strings.Contains(bad.stdout, "config OK") {
		t.Errorf("check with a wrong forum key: exit %d, stdout:\n%s", bad.code, bad.stdout)
	}
	if strings.Contains(bad.stdout+bad.stderr, "wrong-key") {
		t.Errorf("the API key leaked into check's output")
	}
}
