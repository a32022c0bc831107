// Package bot is the daemon: it wires the forum, the store, the command executor and the chat
// adapters together and owns their lifecycle.
package bot

import (
	"context"
	"io"
	"log/slog"

	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
)

// Options are what the process gives the bot besides its config.
type Options struct {
	Logger *slog.Logger
	Stdin  io.Reader // the console chat's input
	Stdout io.Writer // the console chat's output
}

// Run runs the bot until ctx is cancelled.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	<-ctx.Done()
	return nil
}
