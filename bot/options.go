package bot

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Options are everything the bot runs with. The bot takes them as given: the CLI fills in the
// config's defaults, and a zero value means zero (an excerpt of no characters, say).
type Options struct {
	Forum      Forum
	Delivery   Delivery
	Access     Access
	Transcript Transcript
	// Rules are applied at every start, idempotently (the config's seed rules).
	Rules []SeedRule
	// HTTPListen is the address for /healthz, /readyz and /metrics; "" serves nothing.
	HTTPListen string
	// Web, when set, serves the web console on HTTPListen too.
	Web *Web
	// Store keeps the state; the caller opens and closes it.
	Store state.Store
	// Adapters are the chat platforms, at most one per platform.
	Adapters []adapters.Adapter
	Logger   *slog.Logger
	// Testing holds hooks for tests and benchmarks only.
	Testing Testing
}

// Forum is the Discourse site and how the bot spends its API budget (DESIGN §8).
type Forum struct {
	URL, APIKey, APIUsername string
	PollInterval             time.Duration
	MaxRequestsPerMinute     int
	NotifyDelay              time.Duration
	ExcerptLength            int
	Backfill                 int
	Live                     bool
	// FollowChangesFor is how long the edits, deletions and moves of a notified post are
	// followed in chat (live mode only; 0 follows none). ChangeDelay is the debounce of a
	// burst of changes (0: discourse.DefaultChangeDelay).
	FollowChangesFor time.Duration
	ChangeDelay      time.Duration
}

// Web is the web console's sign-in (DESIGN §12).
type Web struct {
	// SignIn is "discourse_connect" (through the forum's DiscourseConnect provider) or "token".
	SignIn string
	// Secret is the DiscourseConnect secret the forum holds for the console's host.
	Secret string
	// Group lets members of this forum group in besides the forum's admins.
	Group string
	// Token is the static admin token of SignIn "token".
	Token string
}

// Delivery tunes the outbox.
type Delivery struct {
	// MaxAge is how long a failing notification is retried before it is parked.
	MaxAge time.Duration
}

// Access says who may change rules and which channels may hear private forum content.
type Access struct {
	Allow           []string // "platform:user_id"
	PrivateChannels []string // channel refs
}

// Transcript says where transcripts go.
type Transcript struct {
	Mode        string // "link" or "topic"
	Category    string // slug or parent/child of new topics; "" for none
	Quote       bool   // wrap in [quote]
	MaxMessages int
}

// SeedRule is a rule applied at start.
type SeedRule struct {
	Channel  string
	Filter   string
	Category string // slug or parent/child; "" for all
	Tags     []string
	Group    string
	Mention  string
}

// Testing holds hooks for tests and benchmarks.
type Testing struct {
	RetryBase  time.Duration     // first delivery retry wait (default 1 s)
	HTTPClient *http.Client      // for the forum client
	Ready      func(*Bot)        // called once everything is wired, before running
	Listening  func(addr string) // called with the HTTP address once it listens (a standby's too)
}
