package telegram

import (
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

// Section is the `telegram:` config section.
type Section struct {
	Token       string     `yaml:"token" secret:"true"`
	TokenFile   string     `yaml:"token_file"`
	APIEndpoint string     `yaml:"api_endpoint"`
	Log         LogSection `yaml:"log"`
}

// LogSection bounds the chat log kept for transcripts (`telegram.log`).
type LogSection struct {
	Enabled     *bool         `yaml:"enabled"`
	MaxMessages int           `yaml:"max_messages"`
	MaxAge      time.Duration `yaml:"max_age"`
	// MaxTotal bounds the messages of all chats together: anyone can add the bot to groups of
	// their own. Over it, the least recently active chats are dropped first.
	MaxTotal int `yaml:"max_total"`
}

// The chat log's defaults.
const (
	DefaultLogMessages = 2000
	DefaultLogMaxAge   = 168 * time.Hour
	DefaultLogMaxTotal = 100_000
)

// On reports whether the chat log is enabled (default true).
func (l LogSection) On() bool { return l.Enabled == nil || *l.Enabled }

// Platform describes Telegram to the registry.
var Platform = adapters.Describe(adapters.Spec[Section]{
	Name: platform, Title: "Telegram",
	Abilities: adapters.Abilities{History: true},
	Defaults: func(s *Section, present func(string) bool) {
		if s.Log.Enabled == nil {
			on := true
			s.Log.Enabled = &on
		}
		if !present("log.max_messages") {
			s.Log.MaxMessages = DefaultLogMessages
		}
		if !present("log.max_age") {
			s.Log.MaxAge = DefaultLogMaxAge
		}
		if !present("log.max_total") {
			s.Log.MaxTotal = DefaultLogMaxTotal
		}
	},
	Validate: func(s *Section, p adapters.Problems) {
		section.Secret(p, "token", s.Token)
		section.URL(p, "api_endpoint", s.APIEndpoint, "http", "https")
		section.IntRange(p, "log.max_messages", s.Log.MaxMessages, 0, 1_000_000)
		section.NonNegative(p, "log.max_age", s.Log.MaxAge)
		section.IntRange(p, "log.max_total", s.Log.MaxTotal, 0, 100_000_000)
	},
	New: func(s *Section, d adapters.Deps) (adapters.Adapter, error) {
		cfg := Config{Token: s.Token, APIEndpoint: s.APIEndpoint, Offsets: d.Values, Pace: d.Values}
		if s.Log.On() && d.ChatLog != nil {
			cfg.ChatLog = d.ChatLog
			cfg.LogMaxMessages, cfg.LogMaxAge, cfg.LogMaxTotal = s.Log.MaxMessages, s.Log.MaxAge, s.Log.MaxTotal
		}
		return New(cfg, d.Logger)
	},
})
