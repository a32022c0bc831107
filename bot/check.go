package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Check connects to the forum and to every enabled platform and writes one line per finding to
// out: the forum key and user, the categories the bot can see, and each platform's own checks
// for the channels the config names. It returns an error if any check failed.
func Check(ctx context.Context, cfg *config.Config, out io.Writer, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var failed []string
	client, err := discourse.NewClient(discourse.ClientConfig{
		URL: cfg.Forum.URL, APIKey: cfg.Forum.APIKey, APIUsername: cfg.Forum.APIUsername,
		UserAgent: "discourse-chatbot/" + Version, RequestsPerMinute: cfg.Forum.MaxRequestsPerMinute,
		MaxTries: 2, Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("forum: %w", err)
	}
	if user, err := client.CheckAuth(ctx); err != nil {
		fmt.Fprintf(out, "forum: FAIL %v\n", err)
		failed = append(failed, "forum")
	} else {
		fmt.Fprintf(out, "forum: ok, %s as @%s\n", cfg.Forum.URL, user)
		if cats, err := client.SiteCategories(ctx); err != nil {
			fmt.Fprintf(out, "forum: FAIL read categories: %v\n", err)
			failed = append(failed, "forum")
		} else {
			restricted := 0
			for _, c := range cats {
				if c.ReadRestricted {
					restricted++
				}
			}
			fmt.Fprintf(out, "forum: ok, %d categories visible (%d read-restricted)\n", len(cats), restricted)
		}
	}

	ads, err := buildAdapters(cfg, Options{Stdin: eofReader{}, Stdout: io.Discard}, nil, logger, nil)
	if err != nil {
		return err
	}
	channels := configuredChannels(cfg)
	for _, name := range platformNames(ads) {
		c, ok := ads[name].(adapters.Checker)
		if !ok {
			continue
		}
		report, err := c.Check(ctx, channels[name])
		for _, line := range report {
			fmt.Fprintf(out, "%s: %s\n", name, line)
		}
		if err != nil {
			fmt.Fprintf(out, "%s: FAIL %v\n", name, err)
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("checks failed: %v", failed)
	}
	return nil
}

// configuredChannels lists, per platform, the channels the config names (seed rules and
// private channels), for the platforms' permission checks.
func configuredChannels(cfg *config.Config) map[string][]adapters.ChannelRef {
	seen := map[string]bool{}
	out := map[string][]adapters.ChannelRef{}
	add := func(s string) {
		ch, err := adapters.ParseChannelRef(s)
		if err != nil || seen[ch.String()] {
			return
		}
		seen[ch.String()] = true
		out[ch.Platform] = append(out[ch.Platform], ch)
	}
	for _, r := range cfg.Rules {
		add(r.Channel)
	}
	for _, c := range cfg.Access.PrivateChannels {
		add(c)
	}
	for _, chs := range out {
		sort.Slice(chs, func(i, j int) bool { return chs[i].String() < chs[j].String() })
	}
	return out
}

// eofReader is an empty stdin: `check` builds the console adapter but never runs it.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// NewExecutor returns a command executor over st and the forum the config names, for running
// commands without the daemon (the CLI's `rules add`).
func NewExecutor(cfg *config.Config, st state.Store, logger *slog.Logger) (*commands.Executor, error) {
	client, err := discourse.NewClient(discourse.ClientConfig{
		URL: cfg.Forum.URL, APIKey: cfg.Forum.APIKey, APIUsername: cfg.Forum.APIUsername,
		UserAgent: "discourse-chatbot/" + Version, RequestsPerMinute: cfg.Forum.MaxRequestsPerMinute,
		MaxTries: 3, Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("forum: %w", err)
	}
	return &commands.Executor{
		Store: st, Catalog: discourse.NewCatalog(client), Logger: logger,
		Access: commands.Access{Allow: cfg.Access.Allow, PrivateChannels: cfg.Access.PrivateChannels},
	}, nil
}
