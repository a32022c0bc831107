// Package config reads the bot's YAML configuration (DESIGN §7): strictly, with ${ENV}
// expansion, secrets from files, defaults in one place, and errors that name the key and line.
package config

import "time"

// Config is the whole configuration. A platform section that is nil is off.
type Config struct {
	Forum      Forum       `yaml:"forum"`
	State      State       `yaml:"state"`
	Delivery   Delivery    `yaml:"delivery"`
	Slack      *Slack      `yaml:"slack"`
	Telegram   *Telegram   `yaml:"telegram"`
	Discord    *Discord    `yaml:"discord"`
	Mattermost *Mattermost `yaml:"mattermost"`
	Console    *Console    `yaml:"console"`
	HTTP       HTTP        `yaml:"http"`
	Transcript Transcript  `yaml:"transcript"`
	Access     Access      `yaml:"access"`
	Rules      []SeedRule  `yaml:"rules"`
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

// Slack connects over Socket Mode.
type Slack struct {
	BotToken     string `yaml:"bot_token" secret:"true"`
	BotTokenFile string `yaml:"bot_token_file"`
	AppToken     string `yaml:"app_token" secret:"true"`
	AppTokenFile string `yaml:"app_token_file"`
	APIURL       string `yaml:"api_url"`
}

// Telegram connects by long polling.
type Telegram struct {
	Token       string      `yaml:"token" secret:"true"`
	TokenFile   string      `yaml:"token_file"`
	APIEndpoint string      `yaml:"api_endpoint"`
	Log         TelegramLog `yaml:"log"`
}

// TelegramLog bounds the chat log kept for transcripts.
type TelegramLog struct {
	Enabled     *bool         `yaml:"enabled"`
	MaxMessages int           `yaml:"max_messages"`
	MaxAge      time.Duration `yaml:"max_age"`
}

// On reports whether the chat log is enabled (default true).
func (l TelegramLog) On() bool { return l.Enabled == nil || *l.Enabled }

// Discord connects to the gateway.
type Discord struct {
	Token      string   `yaml:"token" secret:"true"`
	TokenFile  string   `yaml:"token_file"`
	Guilds     []string `yaml:"guilds"`
	APIURL     string   `yaml:"api_url"`
	GatewayURL string   `yaml:"gateway_url"`
}

// Mattermost connects over the websocket.
type Mattermost struct {
	URL       string `yaml:"url"`
	Token     string `yaml:"token" secret:"true"`
	TokenFile string `yaml:"token_file"`
}

// Console is a chat on stdin/stdout.
type Console struct{}

// HTTP serves health and metrics.
type HTTP struct {
	Listen string `yaml:"listen"` // empty: off
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
