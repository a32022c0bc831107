package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

func (a *app) runCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "run [--config FILE]",
		Short: "Run the bot",
		Long: `Run loads the config and runs the bot until SIGINT or SIGTERM: it polls the forum, delivers
notifications to the configured chat platforms and answers /discourse commands there. It stops
cleanly on the first signal; a second one ends it at once.`,
		Example: `  discourse-chatbot run --config /etc/discourse-chatbot.yaml
  DISCOURSE_API_KEY=… discourse-chatbot run -c discourse-chatbot.yaml --log-format json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(path)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// After the first signal, restore the default handling: a second one kills at once.
			context.AfterFunc(ctx, stop)
			a.logger.Info("starting", "version", versionString(), "forum", section.MaskURL(cfg.Forum.URL), "platforms", platformNames(cfg))
			// What check would flag is worth a line in the log too (check says more, and fails).
			problems, warns := offlineFindings(cfg)
			for _, f := range append(problems, warns...) {
				a.logger.Warn(f)
			}
			err = a.runBot(ctx, cfg)
			// A signal that arrives while the bot is still starting cuts the start short: that is
			// the stop that was asked for, not a failure.
			if err != nil && !(ctx.Err() != nil && errors.Is(err, context.Canceled)) {
				return err
			}
			a.logger.Info("stopped")
			return nil
		}),
	}
	addConfigFlag(cmd, &path, false)
	return cmd
}
