// Package telegram is the Telegram adapter: it long-polls the Bot API with getUpdates (no webhook,
// so it runs behind NAT), answers commands typed in groups, channels and private chats, sends
// notifications as HTML messages and tells the bot every ordinary message it sees, because
// Telegram bots cannot read a chat's history.
package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// platform is the platform's name in channel refs ("telegram:-100123/42").
const platform = "telegram"

// DefaultAPIEndpoint is the public Bot API server.
const DefaultAPIEndpoint = "https://api.telegram.org"

// DefaultPollTimeout is how long one getUpdates call waits on the server for an update.
const DefaultPollTimeout = 30 * time.Second

// Config configures the adapter.
type Config struct {
	// Token is the bot token from @BotFather ("123456:ABC…"). It is a secret: it is never logged and
	// is redacted from every error.
	Token string
	// APIEndpoint is the base URL of a Bot API server, e.g. "http://localhost:8081"; "" means
	// https://api.telegram.org.
	APIEndpoint string
	// Offsets persists the getUpdates offset (state.Store satisfies it), so a restart neither loses
	// nor replays updates. Nil keeps it in memory only.
	Offsets interface {
		Cursor(ctx context.Context, name string) (int64, bool, error)
		SetCursor(ctx context.Context, name string, value int64) error
	}
	// ChatLog, when set, records every ordinary group message: Telegram bots cannot read a
	// chat's history, so History serves transcripts from it, bounded per chat by LogMaxMessages
	// and LogMaxAge, and across chats by LogMaxTotal (0: no bound). Nil turns transcripts off.
	ChatLog        adapters.ChatLog
	LogMaxMessages int
	LogMaxAge      time.Duration
	LogMaxTotal    int
	// PollTimeout is the long-poll timeout of getUpdates; 0 means DefaultPollTimeout.
	PollTimeout time.Duration
	// HTTPClient makes the requests; nil means a new http.Client. Its own Timeout, if any, must
	// exceed PollTimeout.
	HTTPClient *http.Client
	// Pace keeps the pacing of messages across restarts (the bot's store); nil keeps it in memory.
	Pace pace.Store
	// Limits overrides DefaultLimits (tests lift them); nil means Telegram's documented limits.
	Limits *Limits
}

// Adapter is the Telegram adapter. Create it with New.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	bot    *tgbotapi.BotAPI // template: api(ctx) copies it with a context-bound client
	botID  string           // the numeric part of the token, names the offset cursor
	admins *adminCache
	pacer  *pace.Pacer
	limits Limits

	self atomic.Pointer[tgbotapi.User] // from getMe, once Run has connected

	mu      sync.Mutex
	handler adapters.Handler // Run's handler, told of migrations Notify discovers

	sup      plumbing.Supervisor
	commands *plumbing.Dispatcher
	track    inFlight
}

// Connected and Reconnects (adapters.Health) come from the supervisor.
func (a *Adapter) Connected() bool   { return a.sup.Connected() }
func (a *Adapter) Reconnects() int64 { return a.sup.Reconnects() }

// maxConcurrentCommands bounds the commands handled at once, over all chats.
const maxConcurrentCommands = 8

var (
	_ adapters.Adapter = (*Adapter)(nil)
	_ adapters.Checker = (*Adapter)(nil)
	_ adapters.Health  = (*Adapter)(nil)
)

// New validates cfg and returns an adapter. It does no I/O: Run and Check talk to Telegram.
func New(cfg Config, logger *slog.Logger) (*Adapter, error) {
	cfg.Token = strings.TrimSpace(cfg.Token)
	if cfg.Token == "" {
		return nil, errors.New("telegram: token is empty (get one from @BotFather)")
	}
	id, secret, ok := strings.Cut(cfg.Token, ":")
	if _, err := strconv.ParseInt(id, 10, 64); !ok || err != nil || secret == "" {
		return nil, errors.New("telegram: token does not look like a bot token (want 123456:ABC…, from @BotFather)")
	}
	endpoint := strings.TrimRight(strings.TrimSpace(cfg.APIEndpoint), "/")
	if endpoint == "" {
		endpoint = DefaultAPIEndpoint
	}
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, fmt.Errorf("telegram: api_endpoint %q: want an http:// or https:// URL", cfg.APIEndpoint)
	}
	if strings.Contains(endpoint, "%") {
		return nil, fmt.Errorf("telegram: api_endpoint %q must not contain %%", cfg.APIEndpoint)
	}
	cfg.APIEndpoint = endpoint
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = DefaultPollTimeout
	}
	if cfg.PollTimeout < time.Second {
		cfg.PollTimeout = time.Second // the Bot API counts in whole seconds
	}
	if cfg.Offsets == nil {
		cfg.Offsets = &adapters.MemValues{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Built by hand rather than with NewBotAPIWithClient, which calls getMe: New does no I/O.
	bot := &tgbotapi.BotAPI{Token: cfg.Token, Client: cfg.HTTPClient, Buffer: 100}
	bot.SetAPIEndpoint(endpoint + "/bot%s/%s")
	log := logger.With("adapter", platform)
	a := &Adapter{
		sup:      plumbing.Supervisor{Log: log, MaxBackoff: time.Minute},
		commands: plumbing.NewDispatcher(maxConcurrentCommands),
		cfg:      cfg,
		log:      log,
		bot:      bot,
		botID:    id,
		admins:   newAdminCache(adminCacheTTL),
		limits:   *cmp.Or(cfg.Limits, &DefaultLimits),
	}
	a.pacer = pace.New(cfg.Pace, platform, a.log)
	return a, nil
}

// Platform implements adapters.Adapter.
func (a *Adapter) Platform() string { return platform }

// botName is the bot's username as getMe last reported it, "" before Run has connected.
func (a *Adapter) botName() string {
	if u := a.self.Load(); u != nil {
		return u.UserName
	}
	return ""
}

// offsetCursor names the stored getUpdates offset. Update ids belong to one bot, so the name
// carries the bot's id: a new token for another bot starts afresh.
func (a *Adapter) offsetCursor() string { return "telegram.update_offset." + a.botID }
