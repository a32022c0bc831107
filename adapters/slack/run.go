package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
)

// Reconnect pacing for the supervisor (the SDK also retries a dropped socket by itself).
const (
	reconnectInitial = 500 * time.Millisecond
	reconnectMax     = 2 * time.Minute
	// maxConcurrentCommands bounds the commands handled at once, over all channels.
	maxConcurrentCommands = 8
)

// Run connects over Socket Mode and serves commands until ctx is done. Socket drops and
// Slack's refresh requests are reconnected (the SDK reconnects at once, then backs off); when a
// whole session fails (auth.test or apps.connections.open unreachable) Run waits with
// exponential backoff and jitter and tries again, forever. It returns nil when ctx is done and
// an error only when Slack rejects a token.
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	defer a.commands.Wait() // command handlers; they stop with ctx
	return a.sup.Run(ctx, func(ctx context.Context, up func()) error {
		err := a.session(ctx, h, up)
		if isAuthFailure(err) {
			return plumbing.Fatal(fmt.Errorf("slack: a token was rejected, check slack.bot_token and slack.app_token: %w", err))
		}
		return err
	})
}

// session runs one Socket Mode client until it fails or ctx is done. connected is called on
// every successful connection.
func (a *Adapter) session(ctx context.Context, h adapters.Handler, connected func()) error {
	if err := a.whoAmI(ctx); err != nil {
		return err
	}
	sm := socketmode.New(a.api,
		socketmode.OptionDialer(&websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			HandshakeTimeout: handshakeTimeout,
			WriteBufferSize:  32 * 1024, // Slack drops fragmented frames; see socketmode's default
		}),
		socketmode.OptionLog(sdkLogger{a.log}),
	)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(sctx) }()
	for {
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("socket mode stopped")
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-sm.Events:
			a.dispatch(sctx, ctx, sm, evt, h, connected)
		}
	}
}

// dispatch handles one Socket Mode event. Envelopes are acknowledged at once (Slack wants an ack
// within 3 s) under the session's ctx; the command itself goes to the dispatcher (in order per
// channel) under runCtx, so that a session ending does not cut a running command short.
func (a *Adapter) dispatch(ctx, runCtx context.Context, sm *socketmode.Client, evt socketmode.Event, h adapters.Handler, connected func()) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.log.Debug("connecting to Slack")
	case socketmode.EventTypeConnected:
		connected()
		a.log.Info("connected to Slack over Socket Mode")
	case socketmode.EventTypeHello:
		a.log.Debug("Socket Mode hello")
	case socketmode.EventTypeConnectionError:
		a.log.Log(ctx, trouble(ctx), "Socket Mode connection error; the SDK retries", "err", evt.Data)
	case socketmode.EventTypeInvalidAuth:
		a.log.Error("Slack rejected the app-level token")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		a.log.Log(ctx, trouble(ctx), "Socket Mode message problem", "type", evt.Type, "detail", evt.Data)
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		var ack any // a form with a bad input stays open and says what is wrong
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			if errs := formErrors(cb); errs != nil {
				ack = slack.NewErrorsViewSubmissionResponse(errs)
			}
		}
		if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, ack); err != nil {
			a.log.Warn("could not acknowledge a Socket Mode envelope", "type", evt.Type, "err", err)
		}
		chat, work := a.commandFor(evt)
		if work == nil {
			return
		}
		a.commands.Go(runCtx, chat, func(ctx context.Context) { work(ctx, h) })
	default:
		a.log.Debug("ignored Socket Mode event", "type", evt.Type)
	}
}

// trouble is the level of a Socket Mode error event in a session whose context is ctx: a
// warning, but only debug once the session is ending (a stop, a reconnection), when the socket
// the adapter closes itself and the connection attempt it cuts short report errors too.
func trouble(ctx context.Context) slog.Level {
	if ctx.Err() != nil {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
