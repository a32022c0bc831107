// Package config reads the bot's YAML configuration (DESIGN §7): strictly, with ${ENV}
// expansion, secrets from files, defaults in one place, and errors that name the key and line.
package config

import (
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Config is the whole configuration. A platform section that is nil is off.
type Config struct {
	Forum      Forum      `yaml:"forum"`
	State      State      `yaml:"state"`
	Delivery   Delivery   `yaml:"delivery"`
	HTTP       HTTP       `yaml:"http"`
	Web        *Web       `yaml:"web"` // nil: no web console
	Transcript Transcript `yaml:"transcript"`
	Access     Access     `yaml:"access"`
	Rules      []SeedRule `yaml:"rules"`
	// Platforms are the chat platforms the file turns on, in the registry's order; each section
	// is the pointer its descriptor's NewSection made.
	Platforms []Platform `yaml:"-"`
}

// Platform is one chat platform's config section.
type Platform struct {
	adapters.Descriptor
	Section any
}

// Platform returns the section of the named platform, or nil when it is off.
func (c *Config) Platform(name string) any {
	for _, p := range c.Platforms {
		if p.Name() == name {
			return p.Section
		}
	}
	return nil
}

// Forum is the Discourse site and how the bot spends its API budget.
type Forum struct {
	URL                  string        `yaml:"url"`
	APIKey               string        `yaml:"api_key" secret:"true"`
	APIKeyFile           string        `yaml:"api_key_file"`
	APIUsername          string        `yaml:"api_username"`
	PollInterval         time.Duration `yaml:"poll_interval"`
	MaxRequestsPerMinute int           `yaml:"max_requests_per_minute"`
	NotifyDelay          time.Duration `yaml:"notify_delay"`
	ExcerptLength        int           `yaml:"excerpt_length"`
	Backfill             int           `yaml:"backfill"`
	Live                 bool          `yaml:"live"`
	// FollowChangesFor: edits, deletions and moves of notified posts are followed in chat this
	// long (live mode only); 0 turns it off.
	FollowChangesFor time.Duration `yaml:"follow_changes_for"`
}

// State is where the bot keeps its state.
type State struct {
	Driver string `yaml:"driver"` // sqlite
	DSN    string `yaml:"dsn"`
}

// Delivery tunes the outbox.
type Delivery struct {
	MaxAge time.Duration `yaml:"max_age"`
}

// HTTP serves health and metrics.
type HTTP struct {
	Listen string `yaml:"listen"` // empty: off
}

// Web is the web console on http.listen, and how admins sign in to it.
type Web struct {
	SignIn     string `yaml:"sign_in"` // discourse_connect or token
	Secret     string `yaml:"secret" secret:"true"`
	SecretFile string `yaml:"secret_file"`
	Group      string `yaml:"group"` // forum group let in besides admins
	Token      string `yaml:"token" secret:"true"`
	TokenFile  string `yaml:"token_file"`
}

// Transcript says where transcripts go.
type Transcript struct {
	Mode        string `yaml:"mode"` // link or topic
	Category    string `yaml:"category"`
	Quote       *bool  `yaml:"quote"`
	MaxMessages int    `yaml:"max_messages"`
}

// QuoteOn reports whether transcripts are wrapped in [quote] (default true).
func (t Transcript) QuoteOn() bool { return t.Quote == nil || *t.Quote }

// Access lists who may change rules and which channels may hear private forum content.
type Access struct {
	Allow           []string `yaml:"allow"`            // "platform:user_id"
	PrivateChannels []string `yaml:"private_channels"` // channel refs
}

// SeedRule is a rule applied idempotently at start.
type SeedRule struct {
	Channel  string   `yaml:"channel"`
	Filter   string   `yaml:"filter"`
	Category string   `yaml:"category"` // slug or parent/child; empty: all
	Tags     []string `yaml:"tags"`
	Group    string   `yaml:"group"`   // group:<name> rules
	Mention  string   `yaml:"mention"` // mention:<name> rules
}
