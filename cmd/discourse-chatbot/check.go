package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/bot"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
)

// liveCheckTimeout bounds all the live checks together.
const liveCheckTimeout = 30 * time.Second

func (a *app) checkCommand() *cobra.Command {
	var path string
	var offline, printConfig bool
	cmd := &cobra.Command{
		Use:   "check [--config FILE] [--offline] [--print-config]",
		Short: "Validate the config and test every connection, one line per finding",
		Long: `Check loads and validates the config exactly as run does, reporting every problem of the
file at once (each with its key and line), then what run would stumble on: a state.dsn in a
directory that does not exist, rules or access.private_channels for platforms that are not
enabled, no chat platform at all. Then it connects to the forum (API key and user, visible
categories, every seed rule's category, tags and group) and to each enabled platform (token,
permissions or scopes, and the channels the config names). Findings go to stderr, one line each,
ending with "config OK"; any failure makes the exit code 1. --print-config writes the effective
configuration to stdout as YAML (defaults filled in, every secret shown as <redacted>).
--offline connects to nothing.`,
		Example: `  discourse-chatbot check --config discourse-chatbot.yaml
  discourse-chatbot check --offline
  discourse-chatbot check -c /etc/discourse-chatbot/config.yaml --print-config > effective.yaml`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(path)
			if err != nil {
				return err
			}
			if printConfig {
				out, err := cfg.Redacted()
				if err != nil {
					return err
				}
				if _, err := a.stdout.Write(out); err != nil {
					return fmt.Errorf("write config: %w", err)
				}
			}
			problems, warns := offlineFindings(cfg)
			for _, w := range warns {
				fmt.Fprintf(a.stderr, "warning: %s\n", w)
			}
			for _, p := range problems {
				fmt.Fprintf(a.stderr, "FAIL %s\n", p)
			}
			var failed []string
			if len(problems) > 0 {
				failed = append(failed, count(len(problems), "problem", "problems"))
			}
			if !offline {
				ctx, cancel := context.WithTimeout(cmd.Context(), liveCheckTimeout)
				defer cancel()
				if err := liveChecks(ctx, cfg, a.stderr, a.logger); err != nil {
					failed = append(failed, err.Error())
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("check failed: %s", strings.Join(failed, "; "))
			}
			fmt.Fprintln(a.stderr, "config OK")
			return nil
		}),
	}
	addConfigFlag(cmd, &path, false)
	cmd.Flags().BoolVar(&offline, "offline", false, "validate the config only; connect to nothing")
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "write the effective config (secrets redacted) to stdout as YAML")
	return cmd
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// offlineFindings are what run would stumble on that the config's own validation cannot see:
// problems (the start would fail, or a rule would never be heard) and warnings.
func offlineFindings(cfg *config.Config) (problems, warns []string) {
	warns = warnings(cfg)
	if cfg.State.Driver == "sqlite" {
		if dir := filepath.Dir(cfg.State.DSN); dir != "" {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				problems = append(problems, fmt.Sprintf("state.dsn %q: the directory %q does not exist (create it, or point state.dsn elsewhere)", cfg.State.DSN, dir))
			}
		}
	}
	enabled := map[string]bool{}
	for _, p := range cfg.Platforms {
		enabled[p.Name()] = true
	}
	if len(enabled) == 0 {
		warns = append(warns, "no chat platform is enabled: the bot polls the forum and tells no one (add a section such as slack: or telegram:)")
	}
	notEnabled := func(key, ref string) {
		if ch, err := adapters.ParseChannelRef(ref); err == nil && !enabled[ch.Platform] {
			problems = append(problems, fmt.Sprintf("%s %q: platform %s is not enabled (no %s: section)", key, ref, ch.Platform, ch.Platform))
		}
	}
	private := commands.Access{PrivateChannels: cfg.Access.PrivateChannels}
	for i, r := range cfg.Rules {
		notEnabled(fmt.Sprintf("rules[%d].channel", i), r.Channel)
		// The start refuses these, as the chat command does: they can show private forum content.
		if ch, err := adapters.ParseChannelRef(r.Channel); err == nil && (r.Group != "" || r.Mention != "") && !private.IsPrivate(ch) {
			kind := "group"
			if r.Mention != "" {
				kind = "mention"
			}
			problems = append(problems, fmt.Sprintf("rules[%d]: a %s rule can show private forum content, so its channel %q must be on access.private_channels", i, kind, r.Channel))
		}
	}
	for i, c := range cfg.Access.PrivateChannels {
		notEnabled(fmt.Sprintf("access.private_channels[%d]", i), c)
	}
	return problems, warns
}

// warnings are findings that do not stop the start but deserve a look.
func warnings(cfg *config.Config) []string {
	var w []string
	// In live mode an idle bot makes about three requests a minute whatever the interval: the
	// MessageBus long poll, and a safety-net poll every 12 intervals.
	if perMinute := int(time.Minute / cfg.Forum.PollInterval); !cfg.Forum.Live && perMinute > cfg.Forum.MaxRequestsPerMinute {
		w = append(w, fmt.Sprintf("forum.poll_interval %s alone makes %d forum requests a minute, over forum.max_requests_per_minute %d: polls will be slower than asked",
			cfg.Forum.PollInterval, perMinute, cfg.Forum.MaxRequestsPerMinute))
	}
	// tag_added hears only what the followed topics' MessageBus channels say (README,
	// forum.follow_changes_for): without them the rule is never heard.
	if !cfg.Forum.Live || cfg.Forum.FollowChangesFor <= 0 {
		for i, r := range cfg.Rules {
			if strings.EqualFold(r.Filter, "tag_added") {
				w = append(w, fmt.Sprintf("rules[%d]: a tag_added rule is heard only in live mode with forum.follow_changes_for above 0s (forum.live is %t, forum.follow_changes_for %s)",
					i, cfg.Forum.Live, cfg.Forum.FollowChangesFor))
			}
		}
	}
	return w
}

// liveChecks connects to the forum and to each enabled platform and writes one line per finding
// to out; it returns an error when a check fails.
func liveChecks(ctx context.Context, cfg *config.Config, out io.Writer, logger *slog.Logger) error {
	ads, err := buildAdapters(cfg, nil, logger, eofReader{}, io.Discard)
	if err != nil {
		return err
	}
	opts := botOptions(cfg, logger)
	return bot.Check(ctx, opts.Forum, ads, opts.Rules, opts.Access, out, logger)
}

// eofReader is an empty stdin: `check` builds the console adapter but never runs it.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
