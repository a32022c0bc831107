// Package matrix is the Matrix adapter: a bot account on a homeserver, reached through the
// client-server API with mautrix-go. It long-polls /sync (no appservice registration, so it runs
// anywhere a client can), keeps the sync token in the store so a restart neither loses nor replays
// commands, joins the rooms it is invited to, answers "!discourse …" and mentions, posts
// notifications as m.notice and reads /messages for transcripts.
package matrix

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// PlatformName is the platform's name in channel refs ("matrix:!room:server[/$thread_root]").
const PlatformName = "matrix"

const (
	// DefaultSyncTimeout is how long one /sync long poll waits on the server for an event.
	DefaultSyncTimeout = 30 * time.Second
	// callTimeout bounds every other request.
	callTimeout = 20 * time.Second
	// maxConcurrentCommands bounds the commands handled at once; more wait their turn.
	maxConcurrentCommands = 8
	// powerTTL is how long a room's power levels are trusted without a change seen in /sync.
	powerTTL = time.Minute
)

// Names of the adapter's values in the store.
const (
	valueSince       = "matrix.since"
	valueSinceTime   = "matrix.since_ts" // a cursor: the newest origin_server_ts (ms) handled"
	valueAccessToken = "matrix.access_token"
	valueDeviceID    = "matrix.device_id"
	valueEncWarned   = "matrix.encrypted_warned." // + room id
)

// Adapter is the Matrix adapter. It implements adapters.Adapter, adapters.Checker and
// adapters.Health.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	values adapters.Values
	cli    *mautrix.Client
	me     id.UserID

	sup *plumbing.Supervisor // the /sync connection; also the adapter's Health

	pacer  *pace.Pacer // every sent event, kept in values across restarts (limits.go)
	limits Limits

	authOnce sync.Mutex // held while logging in, so Notify and Run log in once
	authed   bool

	e2ee   e2ee                   // set by ensureAuth; nil: encrypted rooms are refused
	runner atomic.Pointer[runner] // the running sync loop, for decrypted messages

	mu        sync.Mutex
	power     map[id.RoomID]powerEntry
	encrypted map[id.RoomID]bool
	names     map[id.UserID]string // display names, for transcripts and mentions
	myName    string               // the bot's display name
}

type powerEntry struct {
	pl *event.PowerLevelsEventContent
	at time.Time
}

// New checks cfg and returns an adapter. It does no I/O: logging in waits for Run (or the first
// Notify).
func New(cfg Config, deps adapters.Deps) (*Adapter, error) {
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var problems problemList
	defaults(&cfg, func(string) bool { return false })
	if cfg.AccessToken == "" && cfg.AccessTokenFile != "" {
		b, err := os.ReadFile(cfg.AccessTokenFile)
		if err != nil {
			return nil, fmt.Errorf("access_token_file: %w", err)
		}
		cfg.AccessToken = strings.TrimSpace(string(b))
	}
	if cfg.Password == "" && cfg.PasswordFile != "" {
		b, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("password_file: %w", err)
		}
		cfg.Password = strings.TrimRight(string(b), "\r\n")
	}
	validate(&cfg, &problems)
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	cfg.UserID = strings.TrimSpace(cfg.UserID)
	if cfg.SyncTimeout <= 0 {
		cfg.SyncTimeout = DefaultSyncTimeout
	}
	cli, err := mautrix.NewClient(strings.TrimSpace(cfg.Homeserver), id.UserID(cfg.UserID), strings.TrimSpace(cfg.AccessToken))
	if err != nil {
		return nil, fmt.Errorf("homeserver %q: %w", cfg.Homeserver, err)
	}
	if cfg.HTTPClient != nil {
		cli.Client = cfg.HTTPClient
	} else {
		cli.Client = &http.Client{Timeout: cfg.SyncTimeout + callTimeout}
	}
	cli.UserAgent = "discourse-chatbot " + mautrix.DefaultUserAgent
	cli.DefaultHTTPRetries = 0 // the sync loop and the outbox retry, each with its own backoff
	cli.DeviceID = id.DeviceID(cfg.DeviceID)
	values := deps.Values
	if values == nil {
		values = &adapters.MemValues{}
	}
	minBackoff := cfg.MinBackoff
	if minBackoff <= 0 {
		minBackoff = time.Second
	}
	log := logger.With("platform", PlatformName)
	return &Adapter{
		cfg:       cfg,
		log:       log,
		values:    values,
		cli:       cli,
		me:        id.UserID(cfg.UserID),
		sup:       &plumbing.Supervisor{Log: log, MinBackoff: minBackoff, MaxBackoff: 2 * time.Minute},
		pacer:     pace.New(values, PlatformName, log),
		limits:    *cmp.Or(cfg.Limits, &DefaultLimits),
		power:     map[id.RoomID]powerEntry{},
		encrypted: map[id.RoomID]bool{},
		names:     map[id.UserID]string{},
	}, nil
}

// Platform implements adapters.Adapter.
func (a *Adapter) Platform() string { return PlatformName }

// Connected implements adapters.Health: the last /sync answered.
func (a *Adapter) Connected() bool { return a.sup.Connected() }

// Reconnects implements adapters.Health.
func (a *Adapter) Reconnects() int64 { return a.sup.Reconnects() }

var (
	_ adapters.Adapter      = (*Adapter)(nil)
	_ adapters.Checker      = (*Adapter)(nil)
	_ adapters.Health       = (*Adapter)(nil)
	_ adapters.ReplyLimiter = (*Adapter)(nil)
)

// ensureAuth makes sure the client has a working access token: the configured one, else the one
// a previous password login stored, else a new password login (whose token and device id are
// stored). It answers a permanent error when no credential works.
func (a *Adapter) ensureAuth(ctx context.Context) error {
	a.authOnce.Lock()
	defer a.authOnce.Unlock()
	if a.authed {
		return nil
	}
	fromStore := false
	if a.cli.AccessToken == "" {
		tok, ok, err := a.values.Text(ctx, valueAccessToken)
		if err != nil {
			return fmt.Errorf("read the stored access token: %w", err)
		}
		if ok && tok != "" {
			a.cli.AccessToken, fromStore = tok, true
			if dev, ok, _ := a.values.Text(ctx, valueDeviceID); ok {
				a.cli.DeviceID = id.DeviceID(dev)
			}
		}
	}
	if a.cli.AccessToken == "" {
		if err := a.login(ctx); err != nil {
			return err
		}
	}
	who, err := a.whoami(ctx)
	if err != nil && fromStore && a.cfg.Password != "" && isUnknownToken(err) {
		a.log.Info("the stored access token was revoked; logging in again with the password")
		if err = a.login(ctx); err == nil {
			who, err = a.whoami(ctx)
		}
	}
	if err != nil {
		return err
	}
	if who.UserID != a.me {
		return adapters.Permanent(fmt.Errorf("the access token belongs to %s, not user_id %s", who.UserID, a.me))
	}
	if who.DeviceID != "" {
		a.cli.DeviceID = who.DeviceID
	}
	// Encryption starts here, under authOnce: every reader of a.e2ee has been through
	// ensureAuth first.
	if a.cfg.CryptoStore != "" && a.e2ee == nil {
		if a.e2ee, err = newE2EE(ctx, a); err != nil {
			return fmt.Errorf("matrix encryption: %w", err)
		}
		a.log.Info("end-to-end encryption is on", "device", a.e2ee.device())
	}
	a.authed = true
	return nil
}

// refuses reports whether the adapter must refuse the room: it is encrypted, and the adapter
// has no encryption.
func (a *Adapter) refuses(room id.RoomID) bool { return a.e2ee == nil && a.isEncrypted(room) }

func (a *Adapter) currentRunner() *runner { return a.runner.Load() }

func (a *Adapter) whoami(ctx context.Context) (*mautrix.RespWhoami, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	who, err := a.cli.Whoami(ctx)
	if err != nil {
		return nil, classify("whoami", err)
	}
	return who, nil
}

// login does a password login once and keeps the token and device id in the store.
func (a *Adapter) login(ctx context.Context) error {
	if a.cfg.Password == "" {
		return adapters.Permanent(errors.New("no access token and no password: cannot log in"))
	}
	dev := id.DeviceID(a.cfg.DeviceID)
	if dev == "" {
		if stored, ok, err := a.values.Text(ctx, valueDeviceID); err == nil && ok {
			dev = id.DeviceID(stored)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := a.cli.Login(cctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: a.me.String()},
		Password:                 a.cfg.Password,
		DeviceID:                 dev,
		InitialDeviceDisplayName: "discourse-chatbot",
		StoreCredentials:         true,
	})
	if err != nil {
		return classify("password login", err)
	}
	if err := a.values.SetText(ctx, valueAccessToken, resp.AccessToken); err != nil {
		return fmt.Errorf("keep the access token: %w", err)
	}
	if err := a.values.SetText(ctx, valueDeviceID, resp.DeviceID.String()); err != nil {
		return fmt.Errorf("keep the device id: %w", err)
	}
	a.log.Info("logged in with the password; the access token is kept in the store", "device_id", resp.DeviceID)
	return nil
}

// problemList collects validation problems for New.
type problemList []string

func (p *problemList) Add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func (p *problemList) Has(string) bool { return false }
