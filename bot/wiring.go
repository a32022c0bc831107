package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/cenkalti/backoff/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/console"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// buildAdapters makes an adapter for every platform the config enables, plus opts.Adapters.
func buildAdapters(cfg *config.Config, opts Options, st state.Store, logger *slog.Logger, categories func(context.Context) []string) (map[string]adapters.Adapter, error) {
	ads := map[string]adapters.Adapter{}
	add := func(a adapters.Adapter) error {
		if ads[a.Platform()] != nil {
			return fmt.Errorf("platform %s is configured twice", a.Platform())
		}
		ads[a.Platform()] = a
		return nil
	}
	if cfg.Console != nil {
		in, out := opts.Stdin, opts.Stdout
		if in == nil {
			in = os.Stdin
		}
		if out == nil {
			out = os.Stdout
		}
		if err := add(console.New(in, out, logger.With("platform", "console"))); err != nil {
			return nil, err
		}
	}
	if c := cfg.Slack; c != nil {
		a, err := slack.New(slack.Config{BotToken: c.BotToken, AppToken: c.AppToken, APIURL: c.APIURL}, logger)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		add(a) //nolint:errcheck // first of its platform
	}
	if c := cfg.Telegram; c != nil {
		a, err := telegram.New(telegram.Config{
			Token: c.Token, APIEndpoint: c.APIEndpoint, Offsets: st, LogMessages: c.Log.On(),
			PollTimeout: opts.TelegramPollTimeout,
		}, logger.With("platform", "telegram"))
		if err != nil {
			return nil, fmt.Errorf("telegram: %w", err)
		}
		add(a) //nolint:errcheck // first of its platform
	}
	if c := cfg.Discord; c != nil {
		a, err := discord.New(discord.Config{
			Token: c.Token, Guilds: c.Guilds, APIURL: c.APIURL, GatewayURL: c.GatewayURL,
			Transcripts: true, Categories: categories,
		}, logger)
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		add(a) //nolint:errcheck // first of its platform
	}
	if c := cfg.Mattermost; c != nil {
		a, err := mattermost.New(mattermost.Config{URL: c.URL, Token: c.Token}, logger)
		if err != nil {
			return nil, fmt.Errorf("mattermost: %w", err)
		}
		add(a) //nolint:errcheck // first of its platform
	}
	for _, a := range opts.Adapters {
		if err := add(a); err != nil {
			return nil, err
		}
	}
	return ads, nil
}

// seedRules applies the config's rules idempotently: adding a rule that exists changes nothing.
// It needs the forum's catalogue, so it runs beside the rest and retries while the forum is
// unreachable; a rule the forum refuses (an unknown category) stops the bot with its key.
func (b *Bot) seedRules(ctx context.Context) error {
	for i, r := range b.cfg.Rules {
		ch, err := adapters.ParseChannelRef(r.Channel)
		if err != nil {
			return fmt.Errorf("config: rules[%d].channel: %w", i, err)
		}
		_, err = backoff.Retry(ctx, func() (adapters.Reply, error) {
			reply, err := b.exec.AddRule(ctx, ch, seedSpec(r))
			var refusal *commands.Refusal
			if errors.As(err, &refusal) {
				return reply, backoff.Permanent(err)
			}
			if err != nil && ctx.Err() == nil {
				b.logger.Warn("seed rule: will retry", "rule", i, "err", err)
			}
			return reply, err
		}, backoff.WithMaxElapsedTime(0))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("config: rules[%d]: %w", i, err)
		}
	}
	return nil
}

// seedSpec turns a config seed rule into the command layer's rule spec, so seeds get exactly the
// checks and merge semantics of a chat command.
func seedSpec(r config.SeedRule) commands.RuleSpec {
	return commands.RuleSpec{
		Filter:   state.Filter(strings.ToLower(r.Filter)),
		Category: strings.ToLower(strings.Trim(r.Category, "/")),
		Tags:     state.NormalizeTags(r.Tags),
		Group:    r.Group,
		Mention:  r.Mention,
	}
}
