package discord

import (
	"fmt"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

// Section is the `discord:` config section.
type Section struct {
	Token      string   `yaml:"token" secret:"true"`
	TokenFile  string   `yaml:"token_file"`
	Guilds     []string `yaml:"guilds"`
	APIURL     string   `yaml:"api_url"`
	GatewayURL string   `yaml:"gateway_url"`
}

// Platform describes Discord to the registry.
var Platform = adapters.Describe(adapters.Spec[Section]{
	Name: platform, Title: "Discord",
	Abilities: adapters.Abilities{History: true, Previews: true, Edit: true, Delete: true},
	Validate: func(s *Section, p adapters.Problems) {
		section.Secret(p, "token", s.Token)
		for i, g := range s.Guilds {
			if !section.Digits(g) {
				p.Add(fmt.Sprintf("guilds[%d]", i), "%q is not a guild id (a number)", g)
			}
		}
		section.URL(p, "api_url", s.APIURL, "http", "https")
		section.URL(p, "gateway_url", s.GatewayURL, "ws", "wss")
	},
	New: func(s *Section, d adapters.Deps) (adapters.Adapter, error) {
		return New(Config{
			Token: s.Token, Guilds: s.Guilds, APIURL: s.APIURL, GatewayURL: s.GatewayURL,
			Transcripts: true, Pace: d.Values, Values: d.Values,
		}, d.Logger)
	},
})
