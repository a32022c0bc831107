package slack_test

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
)

// TestManifest keeps deploy/slack-app-manifest.yaml in step with what the adapter needs.
func TestManifest(t *testing.T) {
	b, err := os.ReadFile("../../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			BotUser struct {
				DisplayName string `yaml:"display_name"`
			} `yaml:"bot_user"`
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
			Shortcuts []struct {
				Name       string `yaml:"name"`
				Type       string `yaml:"type"`
				CallbackID string `yaml:"callback_id"`
			} `yaml:"shortcuts"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if !m.Settings.SocketMode {
		t.Error("Socket Mode is off")
	}
	if it := m.Settings.Interactivity; !it.Enabled || it.RequestURL != "" {
		t.Errorf("interactivity = %+v, want it on without a request URL (the buttons come over Socket Mode)", it)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/discourse" || m.Features.SlashCommands[0].URL != "" {
		t.Errorf("slash commands = %+v, want /discourse without a URL", m.Features.SlashCommands)
	}
	if sc := m.Features.Shortcuts; len(sc) != 1 || sc[0].Type != "message" || sc[0].CallbackID != slack.ShortcutCallbackID || sc[0].Name != "Post to forum from here" {
		t.Errorf("shortcuts = %+v, want the message shortcut %q", sc, slack.ShortcutCallbackID)
	}
	if !slices.Contains(m.Settings.Events.BotEvents, "app_mention") {
		t.Errorf("bot events = %q, want app_mention", m.Settings.Events.BotEvents)
	}
	var want []string
	for _, s := range slack.Scopes {
		want = append(want, s.Name)
	}
	got := slices.Clone(m.OAuth.Scopes.Bot)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("manifest scopes %q, adapter needs %q", got, want)
	}
}
