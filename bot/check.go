package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Check connects to the forum and to every adapter and writes one line per finding to out: the
// forum key and user, the categories the bot can see, and each adapter's own checks for the
// channels named (per platform: seed rules, private channels). It returns an error if any failed.
func Check(ctx context.Context, forum Forum, ads []adapters.Adapter, channels map[string][]adapters.ChannelRef, out io.Writer, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var failed []string
	client, err := newForumClient(forum, 2, logger)
	if err != nil {
		return fmt.Errorf("forum: %w", err)
	}
	if user, err := client.CheckAuth(ctx); err != nil {
		fmt.Fprintf(out, "forum: FAIL %v\n", err)
		failed = append(failed, "forum")
	} else {
		fmt.Fprintf(out, "forum: ok, %s as @%s\n", redactURL(forum.URL), user)
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

	byName, err := byPlatform(ads)
	if err != nil {
		return err
	}
	for _, name := range platformNames(byName) {
		c, ok := byName[name].(adapters.Checker)
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

// ConfiguredChannels lists, per platform, the channels that seed rules and private channels
// name, for the platforms' permission checks.
func ConfiguredChannels(rules []SeedRule, access Access) map[string][]adapters.ChannelRef {
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
	for _, r := range rules {
		add(r.Channel)
	}
	for _, c := range access.PrivateChannels {
		add(c)
	}
	for _, chs := range out {
		sort.Slice(chs, func(i, j int) bool { return chs[i].String() < chs[j].String() })
	}
	return out
}

// newForumClient is the forum client for one-off commands (check, rules add), outside Run.
func newForumClient(forum Forum, tries int, logger *slog.Logger) (*discourse.Client, error) {
	return discourse.NewClient(discourse.ClientConfig{
		URL: forum.URL, APIKey: forum.APIKey, APIUsername: forum.APIUsername,
		UserAgent: "discourse-chatbot/" + Version, RequestsPerMinute: forum.MaxRequestsPerMinute,
		MaxTries: tries, Logger: logger,
	})
}

// NewExecutor returns a command executor over st and the forum, for running commands without the
// daemon (the CLI's `rules add`).
func NewExecutor(forum Forum, access Access, st state.Store, logger *slog.Logger) (*commands.Executor, error) {
	client, err := newForumClient(forum, 3, logger)
	if err != nil {
		return nil, fmt.Errorf("forum: %w", err)
	}
	return &commands.Executor{
		Store: st, Catalog: discourse.NewCatalog(client), Logger: logger,
		Access: commands.NewAccess(access.Allow, access.PrivateChannels),
	}, nil
}
