package discord

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// platform is the name in channel refs: "discord:<channel id>".
const platform = "discord"

// Adapter is a Discord bot on the gateway. It implements adapters.Adapter and adapters.Checker.
type Adapter struct {
	cfg Config
	log *slog.Logger
	s   *discordgo.Session
	// buttons keeps the command lines of reply buttons too long for a custom_id.
	buttons *buttonStore

	sup plumbing.Supervisor
	// commands runs the work of commands and button presses: in order per channel, a bounded
	// number at once. Acknowledgements do not wait for it (Discord's 3 s).
	commands *plumbing.Dispatcher

	mu      sync.Mutex
	appID   string // the application id, from READY (bots created since 2020: the bot's user id)
	botID   string
	running bool
	closing bool           // set while Run shuts down: no new interactions
	wg      sync.WaitGroup // acknowledgements and autocompletes in flight
}

// maxConcurrentCommands bounds the commands (transcripts, forum calls) run at once, in all channels.
const maxConcurrentCommands = 8

var (
	_ adapters.Adapter = (*Adapter)(nil)
	_ adapters.Checker = (*Adapter)(nil)
)

// New validates cfg and prepares a session; it does no I/O.
func New(cfg Config, logger *slog.Logger) (*Adapter, error) {
	target, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = discardLogger()
	}
	s, err := discordgo.New(cfg.botToken())
	if err != nil {
		return nil, fmt.Errorf("discord: create session: %w", err)
	}
	s.Client = newHTTPClient(cfg.HTTPClient, target, cfg.GatewayURL)
	limits := *cmp.Or(cfg.Limits, &DefaultLimits)
	log := logger.With("platform", platform)
	s.Client.Transport = &pacedTransport{base: transportOf(s.Client), pacer: pace.New(cfg.Pace, platform, log), limits: limits}
	s.Dialer = &websocket.Dialer{HandshakeTimeout: 15 * time.Second, Proxy: http.ProxyFromEnvironment}
	s.Identify.Intents = intents(cfg.Transcripts)
	// Run owns reconnection (bound to its context, with backoff); discordgo still resumes the
	// session on each Open because it keeps the session id and sequence number.
	s.ShouldReconnectOnError = false
	s.ShouldReconnectVoiceOnSessionError = false
	// Handlers only hand work to goroutines that Run owns.
	s.SyncEvents = true
	// discordgo logs through the standard logger; Run logs what matters with slog instead.
	s.LogLevel = -1
	return &Adapter{cfg: cfg, log: log, s: s, buttons: newButtonStore(cfg.Values, log), commands: plumbing.NewDispatcher(maxConcurrentCommands),
		sup: plumbing.Supervisor{Log: log, MinBackoff: 500 * time.Millisecond, MaxBackoff: 2 * time.Minute}}, nil
}

// intents are the gateway intents the bot needs: guilds (channels, threads, permissions) and
// guild messages; the privileged message content intent only to read history text.
func intents(transcripts bool) discordgo.Intent {
	i := discordgo.IntentGuilds | discordgo.IntentGuildMessages
	if transcripts {
		i |= discordgo.IntentMessageContent
	}
	return i
}

// Connected and Reconnects (adapters.Health) come from the supervisor.
func (a *Adapter) Connected() bool   { return a.sup.Connected() }
func (a *Adapter) Reconnects() int64 { return a.sup.Reconnects() }

// Platform implements adapters.Adapter.
func (a *Adapter) Platform() string { return platform }

// gateway close codes that retrying cannot fix.
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes
const (
	closeAuthenticationFailed = 4004
	closeInvalidIntents       = 4013
	closeDisallowedIntents    = 4014
)

// Run implements adapters.Adapter: it connects to the gateway, registers the /discourse command,
// answers interactions and reconnects (resuming the session) until ctx is done.
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	a.mu.Lock()
	if a.running {
		a.mu.Unlock()
		return errors.New("discord: Run is already active")
	}
	a.running, a.closing = true, false
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.running = false
		a.mu.Unlock()
	}()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	disconnected := make(chan struct{}, 1)
	removers := []func(){
		a.s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { a.onReady(r) }),
		a.s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
			select {
			case disconnected <- struct{}{}:
			default:
			}
		}),
		a.s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
			a.onInteraction(runCtx, h, ic.Interaction)
		}),
	}
	defer func() {
		for _, r := range removers {
			r()
		}
	}()

	registered := false
	err := a.sup.Run(runCtx, func(ctx context.Context, up func()) error {
		if err := a.connect(ctx); err != nil {
			return err
		}
		up()
		if !registered {
			if err := a.registerCommands(ctx); err != nil {
				a.log.Error("discord: registering the /discourse command failed; it will be retried on the next connection", "err", err)
			} else {
				registered = true
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-disconnected:
			return errors.New("discord: gateway connection lost; resuming")
		}
	})
	a.shutdown()
	return err
}

// connect opens the gateway once. discordgo sends RESUME instead of IDENTIFY when it has a
// session, so events missed while disconnected are replayed; the supervisor retries with backoff.
func (a *Adapter) connect(ctx context.Context) error {
	if a.botUserID() == "" {
		u, err := a.s.User("@me", discordgo.WithContext(ctx))
		if err != nil {
			if isAuthError(err) {
				return plumbing.Fatal(fmt.Errorf("discord: the token was rejected (GET /users/@me): %w", redact(err)))
			}
			return fmt.Errorf("discord: GET /users/@me: %w", redact(err))
		}
		a.mu.Lock()
		a.botID = u.ID
		a.mu.Unlock()
	}
	err := a.s.Open()
	if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
		return nil
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case closeAuthenticationFailed:
			return plumbing.Fatal(fmt.Errorf("discord: the gateway rejected the token: %w", err))
		case closeInvalidIntents, closeDisallowedIntents:
			return plumbing.Fatal(fmt.Errorf("discord: the gateway refused the intents (enable Message Content Intent in the Developer Portal, Bot page, or turn transcripts off): %w", err))
		}
	}
	if isAuthError(err) {
		return plumbing.Fatal(fmt.Errorf("discord: the token was rejected: %w", redact(err)))
	}
	return fmt.Errorf("discord: open gateway: %w", redact(err))
}

// shutdown closes the gateway and waits for the interactions in flight.
func (a *Adapter) shutdown() {
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	if err := a.s.Close(); err != nil {
		a.log.Debug("discord: close gateway", "err", err)
	}
	done := make(chan struct{})
	go func() { a.wg.Wait(); a.commands.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.log.Warn("discord: interactions still running at shutdown")
	}
}

func (a *Adapter) onReady(r *discordgo.Ready) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.User != nil {
		a.botID = r.User.ID
	}
	if r.Application != nil && r.Application.ID != "" {
		a.appID = r.Application.ID
	}
}

func (a *Adapter) botUserID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botID
}

func (a *Adapter) applicationID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.appID != "" {
		return a.appID
	}
	return a.botID
}

// registerCommands overwrites the application's commands with /discourse, per guild when
// configured (instant), else globally (may take a while to show in clients).
func (a *Adapter) registerCommands(ctx context.Context) error {
	app := a.applicationID()
	if app == "" {
		return errors.New("no application id yet")
	}
	cmds := applicationCommands()
	guilds := a.cfg.Guilds
	if len(guilds) == 0 {
		guilds = []string{""}
	}
	for _, g := range guilds {
		if _, err := a.s.ApplicationCommandBulkOverwrite(app, g, cmds, discordgo.WithContext(ctx)); err != nil {
			where := "globally"
			if g != "" {
				where = "in guild " + g
			}
			return fmt.Errorf("register /%s %s (invite the bot with the applications.commands scope): %w", commandName, where, redact(err))
		}
	}
	return nil
}
