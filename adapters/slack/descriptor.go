package slack

import (
	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

// Section is the `slack:` config section.
type Section struct {
	BotToken     string `yaml:"bot_token" secret:"true"`
	BotTokenFile string `yaml:"bot_token_file"`
	AppToken     string `yaml:"app_token" secret:"true"`
	AppTokenFile string `yaml:"app_token_file"`
	APIURL       string `yaml:"api_url"`
}

// Platform describes Slack to the registry.
var Platform = adapters.Describe(adapters.Spec[Section]{
	Name: platform, Title: "Slack",
	Abilities: adapters.Abilities{History: true, Previews: true},
	Validate: func(s *Section, p adapters.Problems) {
		section.Secret(p, "bot_token", s.BotToken)
		section.Secret(p, "app_token", s.AppToken)
		section.URL(p, "api_url", s.APIURL, "http", "https")
	},
	New: func(s *Section, d adapters.Deps) (adapters.Adapter, error) {
		return New(Config{BotToken: s.BotToken, AppToken: s.AppToken, APIURL: s.APIURL, Pace: d.Values}, d.Logger)
	},
})
