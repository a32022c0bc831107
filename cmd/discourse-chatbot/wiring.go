package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/bot"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// botOptions turns the config into the bot's options, without the store and adapters.
func botOptions(cfg *config.Config, logger *slog.Logger) bot.Options {
	f := cfg.Forum
	opts := bot.Options{
		Forum: bot.Forum{
			URL: f.URL, APIKey: f.APIKey, APIUsername: f.APIUsername,
			PollInterval: f.PollInterval, MaxRequestsPerMinute: f.MaxRequestsPerMinute,
			NotifyDelay: f.NotifyDelay, ExcerptLength: f.ExcerptLength, Backfill: f.Backfill, Live: f.Live,
			FollowChangesFor: f.FollowChangesFor,
		},
		Delivery: bot.Delivery{MaxAge: cfg.Delivery.MaxAge},
		Access:   bot.Access{Allow: cfg.Access.Allow, PrivateChannels: cfg.Access.PrivateChannels},
		Transcript: bot.Transcript{
			Mode: cfg.Transcript.Mode, Category: cfg.Transcript.Category,
			Quote: cfg.Transcript.QuoteOn(), MaxMessages: cfg.Transcript.MaxMessages,
		},
		HTTPListen: cfg.HTTP.Listen,
		Logger:     logger,
	}
	if w := cfg.Web; w != nil {
		opts.Web = &bot.Web{SignIn: w.SignIn, Secret: w.Secret, Group: w.Group, Token: w.Token}
	}
	for _, r := range cfg.Rules {
		opts.Rules = append(opts.Rules, bot.SeedRule{
			Channel: r.Channel, Filter: r.Filter, Category: r.Category, Tags: r.Tags, Group: r.Group, Mention: r.Mention,
		})
	}
	return opts
}

// buildAdapters makes an adapter for every platform section the config turns on. st may be nil
// (check): adapters then keep their state in memory.
func buildAdapters(cfg *config.Config, st state.Store, logger *slog.Logger, stdin io.Reader, stdout io.Writer) ([]adapters.Adapter, error) {
	deps := adapters.Deps{Logger: logger, Stdin: stdin, Stdout: stdout}
	if st != nil {
		deps.Values, deps.ChatLog = st, state.ChatLogOf(st)
	}
	var out []adapters.Adapter
	for _, p := range cfg.Platforms {
		a, err := p.New(p.Section, deps)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// platformNames names the chat platforms the config turns on.
func platformNames(cfg *config.Config) []string {
	var on []string
	for _, p := range cfg.Platforms {
		on = append(on, p.Name())
	}
	return on
}

// runBot opens the store, builds the adapters and runs the bot until ctx ends.
func (a *app) runBot(ctx context.Context, cfg *config.Config) error {
	return a.runBotWith(ctx, cfg, nil)
}

// runBotWith is runBot with some adapters made by the caller instead of their descriptor (the
// demo's console), replacing the config's adapter of the same platform.
func (a *app) runBotWith(ctx context.Context, cfg *config.Config, own []adapters.Adapter) error {
	st, err := state.Open(ctx, cfg.State.Driver, cfg.State.DSN)
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	defer st.Close()
	ads, err := buildAdapters(cfg, st, a.logger, a.stdin, a.stdout)
	if err != nil {
		return err
	}
	for _, o := range own {
		for i, ad := range ads {
			if ad.Platform() == o.Platform() {
				ads[i] = o
			}
		}
	}
	opts := botOptions(cfg, a.logger)
	opts.Store, opts.Adapters = st, ads
	return bot.Run(ctx, opts)
}
