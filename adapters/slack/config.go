// Package slack is the Slack adapter: it connects over Socket Mode (no public URL needed), takes
// the /discourse slash command and @bot mentions, posts notifications as Block Kit messages and
// reads channel history for transcripts. It speaks to Slack only through github.com/slack-go/slack.
package slack

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// Config is the adapter's configuration (the `slack:` section).
type Config struct {
	// BotToken is the bot user OAuth token, "xoxb-…".
	BotToken string
	// AppToken is the app-level token with connections:write, "xapp-…", for Socket Mode.
	AppToken string
	// APIURL is the Web API base ending in "/", e.g. "https://slack.com/api/" (the default when
	// empty) or GovSlack's "https://slack-gov.com/api/"; tests point it at slacktest.
	APIURL string
	// HTTPClient makes the Web API calls; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Pace keeps the pacing of posts across restarts (the bot's store); nil keeps it in memory.
	Pace pace.Store
	// Limits overrides DefaultLimits (tests lift them); nil means Slack's documented limits.
	Limits *Limits
}

// Timeouts and sizes. Every Web API call also runs under callTimeout.
const (
	httpTimeout      = 30 * time.Second
	callTimeout      = 20 * time.Second
	handshakeTimeout = 15 * time.Second
	// userCacheTTL is how long a users.info answer (name, avatar, admin verdict) is trusted.
	userCacheTTL  = 5 * time.Minute
	userCacheSize = 2000
	// mentionDedupSize bounds the ts's remembered to drop app_mention events Slack resends.
	mentionDedupSize = 512
	// maxSpentPanels bounds the pressed sets of buttons remembered to run a double click once.
	maxSpentPanels = 10000
)

// Adapter is the Slack adapter. Create it with New; it implements adapters.Adapter and
// adapters.Checker.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	api    *slack.Client
	users  *expirable.LRU[string, slack.User]
	seen   *expirable.LRU[string, struct{}]
	spent  *expirable.LRU[string, struct{}] // panels whose buttons were pressed, until they expire
	pacer  *pace.Pacer
	limits Limits
	self   identity
	now    func() time.Time // the clock that dates and expires buttons; tests move it

	sup      plumbing.Supervisor
	commands *plumbing.Dispatcher
}

// Connected and Reconnects (adapters.Health) come from the supervisor.
func (a *Adapter) Connected() bool   { return a.sup.Connected() }
func (a *Adapter) Reconnects() int64 { return a.sup.Reconnects() }

// New validates cfg and builds the adapter. It does no I/O.
func New(cfg Config, logger *slog.Logger) (*Adapter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	switch {
	case cfg.BotToken == "":
		errs = append(errs, errors.New("slack.bot_token is empty: set the Bot User OAuth Token (xoxb-…)"))
	case !strings.HasPrefix(cfg.BotToken, "xoxb-"):
		errs = append(errs, errors.New("slack.bot_token must be a bot token starting with xoxb- (OAuth & Permissions page)"))
	}
	switch {
	case cfg.AppToken == "":
		errs = append(errs, errors.New("slack.app_token is empty: set an app-level token (xapp-…) with connections:write"))
	case !strings.HasPrefix(cfg.AppToken, "xapp-"):
		errs = append(errs, errors.New("slack.app_token must be an app-level token starting with xapp- (Basic Information page)"))
	}
	if cfg.APIURL == "" {
		cfg.APIURL = slack.APIURL
	}
	if _, ok := adapters.WebURL(cfg.APIURL); !ok {
		errs = append(errs, fmt.Errorf("slack.api_url %q: want an http(s) URL such as https://slack.com/api/", cfg.APIURL))
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: httpTimeout}
	}
	a := &Adapter{
		cfg:    cfg,
		log:    logger.With("platform", platform),
		users:  expirable.NewLRU[string, slack.User](userCacheSize, nil, userCacheTTL),
		seen:   expirable.NewLRU[string, struct{}](mentionDedupSize, nil, time.Hour),
		spent:  expirable.NewLRU[string, struct{}](maxSpentPanels, nil, adapters.ButtonLife),
		limits: *cmp.Or(cfg.Limits, &DefaultLimits),
		now:    time.Now,

		commands: plumbing.NewDispatcher(maxConcurrentCommands),
	}
	a.pacer = pace.New(cfg.Pace, platform, a.log)
	a.sup = plumbing.Supervisor{Log: a.log, MinBackoff: reconnectInitial, MaxBackoff: reconnectMax}
	a.api = slack.New(cfg.BotToken,
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionHTTPClient(cfg.HTTPClient),
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionLog(sdkLogger{a.log}),
	)
	return a, nil
}

const platform = "slack"

// Platform returns "slack".
func (a *Adapter) Platform() string { return platform }
