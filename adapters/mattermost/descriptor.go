package mattermost

import (
	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

// Section is the `mattermost:` config section.
type Section struct {
	URL       string `yaml:"url"`
	Token     string `yaml:"token" secret:"true"`
	TokenFile string `yaml:"token_file"`
}

// Platform describes Mattermost to the registry.
var Platform = adapters.Describe(adapters.Spec[Section]{
	Name: platform, Title: "Mattermost",
	Abilities: adapters.Abilities{History: true},
	Validate: func(s *Section, p adapters.Problems) {
		section.Required(p, "url", s.URL, "the Mattermost server, e.g. https://chat.example.org")
		section.URL(p, "url", s.URL, "http", "https")
		section.Secret(p, "token", s.Token)
	},
	New: func(s *Section, d adapters.Deps) (adapters.Adapter, error) {
		return New(Config{URL: s.URL, Token: s.Token, Pace: d.Values}, d.Logger)
	},
})
