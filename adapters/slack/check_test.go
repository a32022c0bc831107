package slack_test

import (
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		arrange  func(f *slacktest.Server) (slack.Config, []adapters.ChannelRef)
		wantErr  bool
		wantLine []string
	}{
		{"all good", func(f *slacktest.Server) (slack.Config, []adapters.ChannelRef) {
			return config(f), []adapters.ChannelRef{f.Channel()}
		}, false, []string{"auth.test (bot token): ok as @discourse", "scopes: ok", "Socket Mode is on",
			"channel #general (C0GENERAL): ok"}},
		{"missing scopes are named", func(f *slacktest.Server) (slack.Config, []adapters.ChannelRef) {
			f.SetScopes("chat:write", "commands", "channels:read", "groups:read", "app_mentions:read", "channels:history")
			return config(f), nil
		}, true, []string{"scopes: missing groups:history (", "; users:read ("}},
		{"bot token rejected", func(f *slacktest.Server) (slack.Config, []adapters.ChannelRef) {
			c := config(f)
			c.BotToken = "xoxb-wrong"
			return c, nil
		}, true, []string{"auth.test (bot token): invalid_auth", "Socket Mode is on"}},
		{"bot token given as app token", func(f *slacktest.Server) (slack.Config, []adapters.ChannelRef) {
			c := config(f)
			c.AppToken = "xapp-wrong"
			return c, nil
		}, true, []string{"apps.connections.open (app token): invalid_auth"}},
		{"channel without the bot", func(f *slacktest.Server) (slack.Config, []adapters.ChannelRef) {
			return config(f), []adapters.ChannelRef{f.AddChannel("C0OUT", "outside", false, false),
				{Platform: "slack", ChatID: "C0SECRET"}, {Platform: "telegram", ChatID: "1"}}
		}, true, []string{"channel #outside (C0OUT): the bot is not a member — /invite @discourse",
			"channel C0SECRET: not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			cfg, chans := tt.arrange(f)
			a, err := slack.New(cfg, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			report, err := a.Check(ctx(t), chans)
			adaptertest.WantReport(t, report, err, tt.wantErr, tt.wantLine...)
			for _, line := range report {
				if strings.Contains(line, "xoxb-") || strings.Contains(line, "xapp-") {
					t.Errorf("report shows a token: %q", line)
				}
			}
		})
	}
}

func config(f *slacktest.Server) slack.Config {
	return slack.Config{BotToken: slacktest.BotToken, AppToken: slacktest.AppToken, APIURL: f.APIURL()}
}

func TestRunStopsOnRejectedToken(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(slack.Config) slack.Config
	}{
		{"bot token", func(c slack.Config) slack.Config { c.BotToken = "xoxb-revoked"; return c }},
		{"app token", func(c slack.Config) slack.Config { c.AppToken = "xapp-revoked"; return c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			a, err := slack.New(tt.cfg(config(f)), testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			err = a.Run(ctx(t), &adaptertest.Recorder{})
			if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
				t.Errorf("Run = %v, want an invalid_auth error", err)
			}
		})
	}
}

func TestRunRetriesUntilSlackIsBack(t *testing.T) {
	f := newFake(t)
	f.FailNext("auth.test", "http_500")
	f.FailNext("auth.test", "service_unavailable")
	a := newAdapter(t, f)
	adaptertest.StartSettled(t, a, f, &adaptertest.Recorder{})
	if err := f.WaitConnected(ctx(t)); err != nil {
		t.Fatal(err)
	}
	f.InjectCommand(f.Channel(), "hello", false)
	adaptertest.WaitPosted(t, f, f.Channel(), "echo: hello")
}

func TestNew(t *testing.T) {
	good := slack.Config{BotToken: "xoxb-1", AppToken: "xapp-1"}
	tests := []struct {
		name    string
		cfg     func(slack.Config) slack.Config
		wantErr string
	}{
		{"defaults", func(c slack.Config) slack.Config { return c }, ""},
		{"GovSlack URL without slash", func(c slack.Config) slack.Config { c.APIURL = "https://slack-gov.com/api"; return c }, ""},
		{"no bot token", func(c slack.Config) slack.Config { c.BotToken = ""; return c }, "slack.bot_token is empty"},
		{"user token as bot token", func(c slack.Config) slack.Config { c.BotToken = "xoxp-1"; return c }, "starting with xoxb-"},
		{"no app token", func(c slack.Config) slack.Config { c.AppToken = ""; return c }, "slack.app_token is empty"},
		{"bot token as app token", func(c slack.Config) slack.Config { c.AppToken = "xoxb-1"; return c }, "starting with xapp-"},
		{"bad API URL", func(c slack.Config) slack.Config { c.APIURL = "slack.com/api"; return c }, "slack.api_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := slack.New(tt.cfg(good), nil)
			if tt.wantErr == "" {
				if err != nil || a.Platform() != "slack" {
					t.Errorf("New = %v, %v", a, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
