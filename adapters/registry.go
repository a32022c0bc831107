package adapters

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Descriptor is what a platform package tells the CLI about itself (DESIGN §2a): its name, its
// config section, how to check that section and how to build the adapter from it. Each platform
// package exports one (`slack.Platform`, …); cmd/discourse-chatbot lists them in one file, and
// nothing else names the platforms.
type Descriptor interface {
	// Name is the platform's name in channel refs and the config section's key: "slack".
	Name() string
	// Title is the name people know: "Slack".
	Title() string
	// Abilities says what the platform's adapter can do beyond notifications and commands.
	Abilities() Abilities
	// NewSection returns a pointer to an empty config section, a struct with yaml tags that the
	// config loader decodes strictly (secrets tagged `secret:"true"`, with a sibling `<key>_file`).
	NewSection() any
	// Defaults fills in the keys the file left out; present reports whether the file set a key
	// (relative to the section: "log.max_messages").
	Defaults(section any, present func(key string) bool)
	// Validate reports every bad value of a decoded, defaulted section to p, keys relative to the
	// section.
	Validate(section any, p Problems)
	// New builds the adapter from a valid section.
	New(section any, deps Deps) (Adapter, error)
}

// Abilities are what an adapter can do beyond notifications and commands.
type Abilities struct {
	History  bool // it reads (or records) chat history for transcripts
	Previews bool // it shows Reply.Actions as buttons (Command.Interactive)
	Edit     bool // it can change a notification it sent
	Delete   bool // it can delete a notification it sent
}

// Problems collects config errors. key is relative to the section being checked.
type Problems interface {
	Add(key, format string, args ...any)
	// Has reports whether the file mentions the key, even with no value ("missing" or "empty").
	Has(key string) bool
}

// Deps is what the process gives an adapter besides its config section.
type Deps struct {
	Logger *slog.Logger
	// Values is durable storage for the adapter's own small state (update offsets, sync tokens),
	// kept in the bot's store under names the adapter prefixes with its platform.
	Values Values
	// ChatLog stores the messages an adapter records for platforms whose bots cannot read history.
	ChatLog ChatLog
	// Stdin and Stdout are the process's terminal (the console chat).
	Stdin  io.Reader
	Stdout io.Writer
}

// Values is durable named state: integers (offsets) and strings (tokens).
type Values interface {
	Cursor(ctx context.Context, name string) (int64, bool, error)
	SetCursor(ctx context.Context, name string, value int64) error
	Text(ctx context.Context, name string) (string, bool, error)
	SetText(ctx context.Context, name, value string) error
}

// ChatLog is a durable record of chat messages, for platforms whose bots cannot read history
// (Telegram records what it sees and serves History from it). Implemented over the bot's store.
type ChatLog interface {
	// Append records a message, then prunes the log to its bounds.
	Append(ctx context.Context, m Message, b LogBounds) error
	// Recent returns a channel's newest `limit` recorded messages, oldest first.
	Recent(ctx context.Context, ch ChannelRef, limit int) ([]Message, error)
	// Prune drops the messages recorded before `before` in every channel.
	Prune(ctx context.Context, before time.Time) (int64, error)
}

// LogBounds bound a chat log; a zero field is no bound.
type LogBounds struct {
	PerChat int           // messages one chat keeps, the newest
	MaxAge  time.Duration // a message older than this goes
	Total   int           // messages all chats keep together; the least recently active chats go first
}

// Spec builds a Descriptor from typed functions over the platform's config section C.
type Spec[C any] struct {
	Name, Title string
	Abilities   Abilities
	// Defaults and Validate may be nil.
	Defaults func(c *C, present func(key string) bool)
	Validate func(c *C, p Problems)
	New      func(c *C, deps Deps) (Adapter, error)
}

// Describe turns a Spec into a Descriptor.
func Describe[C any](s Spec[C]) Descriptor { return spec[C]{s} }

type spec[C any] struct{ s Spec[C] }

func (d spec[C]) Name() string         { return d.s.Name }
func (d spec[C]) Title() string        { return d.s.Title }
func (d spec[C]) Abilities() Abilities { return d.s.Abilities }
func (d spec[C]) NewSection() any      { return new(C) }
func (d spec[C]) section(v any) *C     { return v.(*C) }
func (d spec[C]) String() string       { return d.s.Name }
func (d spec[C]) Defaults(v any, present func(string) bool) {
	if d.s.Defaults != nil {
		d.s.Defaults(d.section(v), present)
	}
}

func (d spec[C]) Validate(v any, p Problems) {
	if d.s.Validate != nil {
		d.s.Validate(d.section(v), p)
	}
}

func (d spec[C]) New(v any, deps Deps) (Adapter, error) {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := d.s.New(d.section(v), deps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.s.Name, err)
	}
	return a, nil
}

// Health is implemented by adapters that report their connection, for /readyz and metrics.
type Health interface {
	// Connected reports whether the platform connection is up now.
	Connected() bool
	// Reconnects counts the connections made after the first.
	Reconnects() int64
}
