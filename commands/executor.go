// Package commands is the platform-neutral heart of the chat commands (DESIGN §4): the grammar
// (Parse), its execution against the store and the forum catalogue (Executor), permissions, and
// every reply text (texts.go), as structured spans each adapter renders in its own markup.
package commands

import (
	"context"
	"errors"
	"log/slog"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Catalog is the forum's categories, tags and groups (discourse.Catalog implements it).
type Catalog interface {
	Categories(ctx context.Context) ([]discourse.Category, error)
	HasTag(ctx context.Context, name string) (bool, error)
	// Tags lists the forum's tag names, sorted (for "did you mean" on an unknown tag).
	Tags(ctx context.Context) ([]string, error)
	HasGroup(ctx context.Context, name string) (bool, error)
}

// Store is the part of state.Store that commands use.
type Store interface {
	Rules(ctx context.Context, channel string) ([]state.Rule, error)
	AddRule(ctx context.Context, r state.Rule) (state.Rule, error)
	UpdateRule(ctx context.Context, r state.Rule) error
	DeleteRule(ctx context.Context, id int64) error
	Channel(ctx context.Context, ref string) (state.Channel, error)
	EnsureChannel(ctx context.Context, ref string) error
}

// Access is the config's allow-lists (config.Access).
type Access struct {
	// Allow lists users who may change rules anywhere, as "platform:user_id".
	Allow []string
	// PrivateChannels lists channel refs that may hear restricted categories and group rules. A
	// chat-level ref ("telegram:-100123") also covers that chat's threads.
	PrivateChannels []string
}

// Transcripts builds and posts a transcript. The reply it returns is the answer (the topic's
// link, a prefilled composer link, or on interactive platforms a preview with buttons).
type Transcripts interface {
	Post(ctx context.Context, cmd adapters.Command, req PostRequest) (adapters.Reply, error)
}

// Sampler sends a sample notification to a channel (`test`).
type Sampler interface {
	SendSample(ctx context.Context, ch adapters.ChannelRef) error
}

// StatusFunc adds lines to `status` for a channel (forum API spend, outbox backlog, …).
type StatusFunc func(ctx context.Context, ch adapters.ChannelRef) adapters.Text

// Executor runs commands. Its fields are set once before use; it is then safe for concurrent use.
type Executor struct {
	Store   Store
	Catalog Catalog
	Access  Access
	// Transcripts may be nil: `post` then answers that transcripts are not set up.
	Transcripts Transcripts
	// Sampler may be nil: `test` then answers that samples are not set up.
	Sampler Sampler
	// Status, when set, adds lines at the end of `status`.
	Status StatusFunc
	// BotName is how users invoke the bot, shown in help and hints; default "/discourse".
	BotName string
	// OnRulesChanged, when set, is called after any rule change (the bot rebuilds its matcher).
	OnRulesChanged func()
	// Logger receives failures on the bot's side; nil discards them.
	Logger *slog.Logger
	// OnOutcome, when set, is told every command's verb ("status", "watch", …; "" for a line
	// that does not parse) and how it ended.
	OnOutcome func(verb string, o Outcome)
}

// Refusal is a request the executor turned down for a reason the user can act on (an unknown
// category, a missing permission). Text is the reply.
type Refusal struct{ Text adapters.Text }

func (r *Refusal) Error() string { return r.Text.String() }

func refuse(t adapters.Text) error { return &Refusal{Text: t} }

// Execute parses and runs one command and returns the reply. It never fails: problems become
// replies, and failures on the bot's side are logged and answered with a short apology. Help
// and hints name the bot as cmd.Invocation when the platform gives one.
func (e *Executor) Execute(ctx context.Context, cmd adapters.Command) adapters.Reply {
	run := e
	if cmd.Invocation != "" && cmd.Invocation != e.BotName {
		here := *e // the fields are plain settings, set once: a copy names the bot as this chat does
		here.BotName = cmd.Invocation
		run = &here
	}
	reply, verb, outcome := run.execute(ctx, cmd)
	reply.Refused = outcome != OutcomeOK
	if e.OnOutcome != nil {
		e.OnOutcome(verb, outcome)
	}
	return reply
}

// Outcome is how a command ended, for metrics (commands by outcome).
type Outcome string

// The outcomes of a command.
const (
	// OutcomeOK: the command did what was asked.
	OutcomeOK Outcome = "ok"
	// OutcomeInvalid: the line does not parse.
	OutcomeInvalid Outcome = "invalid"
	// OutcomeDenied: the invoker may not run it here.
	OutcomeDenied Outcome = "denied"
	// OutcomeRefused: a reason the user can act on (an unknown category or tag, a bad topic).
	OutcomeRefused Outcome = "refused"
	// OutcomeFailed: the forum, the store or the platform failed; the reply is an apology.
	OutcomeFailed Outcome = "failed"
)

// execute is Execute; it also says which command ran ("" when the line did not parse) and how it
// ended.
func (e *Executor) execute(ctx context.Context, cmd adapters.Command) (adapters.Reply, string, Outcome) {
	p, err := Parse(cmd.Text)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return adapters.Reply{Text: textSyntax(e.botName(), se.Reason)}, "", OutcomeInvalid
		}
		r, o := e.failed(ctx, "parse command", err)
		return r, "", o
	}
	verb := verbOf(p)
	// DESIGN §3: a channel exists from the first command run in it. A failure here shows up
	// again in whatever the command does next, so it is only logged.
	if err := e.Store.EnsureChannel(ctx, cmd.Channel.String()); err != nil {
		e.logger().WarnContext(ctx, "ensure channel", "channel", cmd.Channel.String(), "err", err)
	}
	switch p.Kind {
	case KindHelp:
		return adapters.Reply{Text: textHelp(e.botName())}, verb, OutcomeOK
	case KindStatus:
		r, o := e.status(ctx, cmd.Channel)
		return r, verb, o
	}
	if !e.mayAdminister(cmd) {
		return adapters.Reply{Text: textNotAllowed(verb)}, verb, OutcomeDenied
	}
	var reply adapters.Reply
	outcome := OutcomeOK
	switch p.Kind {
	case KindRule:
		reply, err = e.addRule(ctx, cmd.Channel, p.Rule, &cmd.Invoker)
		if err != nil {
			reply, outcome = e.failed(ctx, "add rule", err)
		}
	case KindRemove:
		reply, outcome = e.remove(ctx, cmd, p.Index)
	case KindPost:
		reply, outcome = e.post(ctx, cmd, p.Post)
	case KindTest:
		reply, outcome = e.test(ctx, cmd.Channel)
	default:
		reply = adapters.Reply{Text: textHelp(e.botName())}
	}
	return reply, verb, outcome
}

// failed turns an error into a reply: a Refusal's own text, else a logged apology.
func (e *Executor) failed(ctx context.Context, doing string, err error) (adapters.Reply, Outcome) {
	var r *Refusal
	if errors.As(err, &r) {
		return adapters.Reply{Text: r.Text}, OutcomeRefused
	}
	if errors.Is(err, errForum) {
		e.logger().ErrorContext(ctx, doing, "err", err)
		return adapters.Reply{Text: textForumUnavailable()}, OutcomeFailed
	}
	e.logger().ErrorContext(ctx, doing, "err", err)
	return adapters.Reply{Text: textInternal()}, OutcomeFailed
}

func (e *Executor) botName() string {
	if e.BotName == "" {
		return "/discourse"
	}
	return e.BotName
}

func (e *Executor) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

func (e *Executor) rulesChanged() {
	if e.OnRulesChanged != nil {
		e.OnRulesChanged()
	}
}

func verbOf(p Parsed) string {
	switch p.Kind {
	case KindHelp:
		return "help"
	case KindStatus:
		return "status"
	case KindRule:
		return string(p.Rule.Filter)
	case KindRemove:
		return "remove"
	case KindPost:
		return "post"
	case KindTest:
		return "test"
	}
	return "this command"
}
