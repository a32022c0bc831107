package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/bot"

	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
)

// liveCheckTimeout bounds all the live checks together.
const liveCheckTimeout = 30 * time.Second

func (a *app) checkCommand() *cobra.Command {
	var path string
	var offline bool
	cmd := &cobra.Command{
		Use:   "check [--config FILE] [--offline] [--print-config]",
		Short: "Validate the config, print it with secrets redacted, and test every connection",
		Long: `Check loads and validates the config exactly as run does and prints the effective
configuration (defaults filled in, every secret shown as <redacted>). Then it connects to the forum
(API key and user, visible categories) and to each enabled platform (token, permissions or scopes,
and the channels the config names), one line per finding, and ends with "config OK". A bad key or
value is named with its line; any failed check makes the exit code 1. --offline validates the
config without connecting to anything.`,
		Example: `  discourse-chatbot check --config discourse-chatbot.yaml
  discourse-chatbot check --config discourse-chatbot.yaml --offline
  discourse-chatbot check -c /etc/discourse-chatbot.yaml > effective.yaml`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(path)
			if err != nil {
				return err
			}
			out, err := cfg.Redacted()
			if err != nil {
				return err
			}
			if _, err := a.stdout.Write(out); err != nil {
				return fmt.Errorf("write config: %w", err)
			}
			for _, w := range warnings(cfg) {
				fmt.Fprintf(a.stdout, "# warning: %s\n", w)
			}
			if !offline {
				ctx, cancel := context.WithTimeout(cmd.Context(), liveCheckTimeout)
				defer cancel()
				if err := liveChecks(ctx, cfg, a.stdout, a.logger); err != nil {
					return err
				}
			}
			fmt.Fprintln(a.stdout, "config OK")
			return nil
		}),
	}
	addConfigFlag(cmd, &path, false)
	cmd.Flags().BoolVar(&offline, "offline", false, "validate the config only; connect to nothing")
	return cmd
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
	return bot.Check(ctx, opts.Forum, ads, bot.ConfiguredChannels(opts.Rules, opts.Access), out, logger)
}

// eofReader is an empty stdin: `check` builds the console adapter but never runs it.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
