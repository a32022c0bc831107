// Package discord is the Discord adapter: a bot on the gateway that answers the /discourse
// application command, posts notifications as embeds and reads channel history for transcripts.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

// Config is the Discord section of the configuration.
type Config struct {
	// Token is the bot token from the Developer Portal, with or without the "Bot " prefix.
	Token string
	// Guilds, when set, registers the command in these guilds only (instant); else globally.
	Guilds []string
	// APIURL is the REST base, e.g. "https://discord.com"; tests give the fake's URL.
	APIURL string
	// GatewayURL optionally overrides the gateway URL that GET /gateway would answer.
	GatewayURL string
	// Transcripts requests the privileged MESSAGE_CONTENT intent, needed to read history text.
	Transcripts bool
	// HTTPClient is used for REST calls; nil means a client with a 20 s timeout.
	HTTPClient *http.Client
	// Categories lists the forum's category slugs/paths for the command's autocomplete; nil
	// means the handler's (the bot's catalogue).
	Categories func(ctx context.Context) []string
	// Pace keeps the pacing of requests across restarts (the bot's store); nil keeps it in memory.
	Pace pace.Store
	// Values keeps the command lines of reply buttons too long for a custom_id across restarts
	// (the bot's store); nil keeps them in memory.
	Values adapters.Values
	// Limits overrides DefaultLimits (tests lift them); nil means Discord's documented limits.
	Limits *Limits
}

// defaultAPIURL is where discordgo sends every REST call; other bases are reached by rewriting.
const defaultAPIURL = "https://discord.com"

// restTimeout bounds each REST call when the configured client has no timeout of its own.
const restTimeout = 20 * time.Second

// validate checks the config and returns the parsed REST base.
func (c Config) validate() (*url.URL, error) {
	tok := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Token), "Bot "))
	if tok == "" {
		return nil, errors.New("discord.token is empty: give the bot token from the Developer Portal (Bot → Reset Token)")
	}
	base := c.APIURL
	if base == "" {
		base = defaultAPIURL
	}
	u, ok := adapters.WebURL(base)
	if !ok {
		return nil, fmt.Errorf("discord.api_url %q: want an http(s) URL such as %s", c.APIURL, defaultAPIURL)
	}
	if c.GatewayURL != "" {
		g, err := url.Parse(c.GatewayURL)
		if err != nil || (g.Scheme != "ws" && g.Scheme != "wss") || g.Host == "" {
			return nil, fmt.Errorf("discord.gateway_url %q: want a ws(s) URL such as wss://gateway.discord.gg", c.GatewayURL)
		}
	}
	for _, g := range c.Guilds {
		if !isSnowflake(g) {
			return nil, fmt.Errorf("discord.guilds: %q is not a guild id (a number; Developer Mode → right-click the server → Copy Server ID)", g)
		}
	}
	return u, nil
}

// botToken returns the token in the form the REST API and gateway expect.
func (c Config) botToken() string {
	return "Bot " + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Token), "Bot "))
}

// isSnowflake reports whether s can be a Discord id: a 64-bit number, at most 20 digits.
func isSnowflake(s string) bool { return len(s) <= 20 && section.Digits(s) }

// discardLogger is used when New is given a nil logger.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
