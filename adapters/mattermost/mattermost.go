// Package mattermost is the Mattermost adapter: it talks to the server through the official v6
// model package, the REST API for calls and the websocket for events. Mattermost has no slash
// commands without an inbound URL, so users address the bot by mention ("@discourse watch
// support") or in a direct message.
package mattermost

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// platform is the platform name used in channel refs ("mattermost:<channel id>").
const platform = "mattermost"

const (
	// callTimeout bounds every REST call (the v6 client takes no context, so each call gets one
	// through its transport).
	callTimeout = 15 * time.Second
	// dialTimeout bounds the websocket handshake.
	dialTimeout = 15 * time.Second
	// helloTimeout is how long a new websocket may take to authenticate and say hello.
	helloTimeout = 30 * time.Second
	// cacheTTL is how long user profiles and channel memberships (admin verdicts) are trusted.
	cacheTTL = 30 * time.Second
	// maxMessageRunes is Mattermost's post length limit (model.PostMessageMaxRunesV2, 16 383):
	// replies are cut to it on purpose.
	// https://developers.mattermost.com/integrate/reference/message-attachments/
	maxMessageRunes = model.PostMessageMaxRunesV2
	// maxConcurrentCommands bounds the commands handled at once; more wait their turn.
	maxConcurrentCommands = 8
	// seenPosts is how many post ids are remembered so that a post met both on the websocket and
	// in a re-sync is handled exactly once.
	seenPosts = 10000
)

// Config is the Mattermost section of the configuration.
type Config struct {
	URL        string // server base, e.g. "https://chat.example.org"; tests: the fake's URL
	Token      string // bot access token
	HTTPClient *http.Client
	// Pace keeps the pacing of requests across restarts (the bot's store); nil keeps it in memory.
	Pace pace.Store
	// Limits overrides DefaultLimits (tests lift them); nil means Mattermost's default limit.
	Limits *Limits
}

// Adapter is the Mattermost adapter. It implements adapters.Adapter and adapters.Checker.
type Adapter struct {
	cfg    Config
	base   *url.URL // cfg.URL parsed, without a trailing slash
	wsURL  string   // ws:// or wss:// form of cfg.URL
	api    *model.Client4
	http   *http.Client
	dialer *websocket.Dialer
	log    *slog.Logger
	pacer  *pace.Pacer
	limits Limits

	// backoff shape of the reconnect loop; tests shorten it.
	minBackoff, maxBackoff time.Duration
	sup                    plumbing.Supervisor

	users   *expirable.LRU[string, *model.User]
	members *expirable.LRU[string, *model.ChannelMember]
	teams   *expirable.LRU[string, *model.Team]
	seen    *lru.Cache[string, struct{}]

	mu sync.Mutex
	me *model.User // set by Run once the token is verified
	// since is the CreateAt (ms) of the newest post seen, at first the time New was called:
	// re-syncs read the posts after it, so commands sent before the first connection count.
	since int64
	types map[string]model.ChannelType
}

// New validates cfg and returns an adapter. It does no I/O.
func New(cfg Config, logger *slog.Logger) (*Adapter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	raw := strings.TrimRight(strings.TrimSpace(cfg.URL), "/")
	if raw == "" {
		return nil, errors.New("mattermost: url is empty, want the server's base URL such as https://chat.example.org")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mattermost: url %q: %w", raw, err)
	}
	var wsScheme string
	switch u.Scheme {
	case "http":
		wsScheme = "ws"
	case "https":
		wsScheme = "wss"
	default:
		return nil, fmt.Errorf("mattermost: url %q: want http:// or https://", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("mattermost: url %q has no host", raw)
	}
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("mattermost: token is empty, want the bot account's access token")
	}
	cfg.URL = raw
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	api := model.NewAPIv4Client(raw)
	api.SetToken(cfg.Token)
	api.HTTPClient = hc
	ws := *u
	ws.Scheme = wsScheme

	dialer := &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: dialTimeout,
	}
	if t, ok := hc.Transport.(*http.Transport); ok && t != nil {
		dialer.TLSClientConfig = t.TLSClientConfig
		if t.Proxy != nil {
			dialer.Proxy = t.Proxy
		}
	}
	seen, err := lru.New[string, struct{}](seenPosts)
	if err != nil {
		return nil, fmt.Errorf("mattermost: %w", err)
	}
	limits := *cmp.Or(cfg.Limits, &DefaultLimits)
	log := logger.With("platform", platform)
	return &Adapter{
		cfg:        cfg,
		pacer:      pace.New(cfg.Pace, platform, log),
		limits:     limits,
		base:       u,
		wsURL:      ws.String(),
		api:        api,
		http:       hc,
		dialer:     dialer,
		log:        log,
		minBackoff: time.Second,
		maxBackoff: 2 * time.Minute,
		users:      expirable.NewLRU[string, *model.User](1000, nil, cacheTTL),
		members:    expirable.NewLRU[string, *model.ChannelMember](1000, nil, cacheTTL),
		teams:      expirable.NewLRU[string, *model.Team](100, nil, 10*cacheTTL),
		seen:       seen,
		since:      model.GetMillis(),
		types:      map[string]model.ChannelType{},
	}, nil
}

// Connected and Reconnects (adapters.Health) come from the supervisor.
func (a *Adapter) Connected() bool   { return a.sup.Connected() }
func (a *Adapter) Reconnects() int64 { return a.sup.Reconnects() }

// Platform implements adapters.Adapter.
func (a *Adapter) Platform() string { return platform }

var (
	_ adapters.Adapter = (*Adapter)(nil)
	_ adapters.Checker = (*Adapter)(nil)
)
