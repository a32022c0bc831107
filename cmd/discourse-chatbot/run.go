package main

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/bot"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
)

func (a *app) runCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Run the bot",
		Long: `Run loads the config and runs the bot until SIGINT or SIGTERM: it polls the forum, delivers
notifications to the configured chat platforms and answers /discourse commands there. It stops
cleanly on the first signal; a second one ends it at once.`,
		Example: `  discourse-chatbot run --config /etc/discourse-chatbot.yaml
  DISCOURSE_API_KEY=… discourse-chatbot run -c discourse-chatbot.yaml --log-format json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// After the first signal, restore the default handling: a second one kills at once.
			context.AfterFunc(ctx, stop)
			a.logger.Info("starting", "version", versionString(), "forum", redactURL(cfg.Forum.URL), "platforms", platforms(cfg))
			err = bot.Run(ctx, cfg, bot.Options{Logger: a.logger, Stdin: a.stdin, Stdout: a.stdout})
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

// platforms names the chat platforms the config turns on.
func platforms(cfg *config.Config) []string {
	var on []string
	for _, p := range []struct {
		name string
		on   bool
	}{
		{"slack", cfg.Slack != nil},
		{"telegram", cfg.Telegram != nil},
		{"discord", cfg.Discord != nil},
		{"mattermost", cfg.Mattermost != nil},
		{"console", cfg.Console != nil},
	} {
		if p.on {
			on = append(on, p.name)
		}
	}
	return on
}

// redactURL hides the password of a URL with userinfo (a forum behind HTTP basic auth), for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}
