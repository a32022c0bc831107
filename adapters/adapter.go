// Package adapters holds the contract between the bot and the chat platforms: the neutral types
// that cross it and the Adapter interface each platform package implements. It imports no SDK.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Adapter is one chat platform. The bot calls Run once; Notify, Reply and History may be called
// concurrently from other goroutines while Run is active.
type Adapter interface {
	// Platform is the platform's name as it appears in channel refs: "slack", "telegram", …
	Platform() string
	// Run connects, reconnects with backoff when the connection drops, and hands every command it
	// receives to h until ctx is done. It returns nil when ctx is cancelled, and an error only for a
	// fault that retrying cannot fix (a revoked token, say).
	Run(ctx context.Context, h Handler) error
	// Notify sends a notification to a channel. thread is empty, or the MessageRef returned by an
	// earlier Notify in that channel: the message then goes into that message's thread. It returns
	// the new message's ref. Errors are classified with RetryAfter and Permanent (see errors below).
	Notify(ctx context.Context, ch ChannelRef, n Notification, thread MessageRef) (MessageRef, error)
	// History reads the channel's recent messages, oldest first, their text as CommonMark.
	// Platforms whose bots cannot read history return ErrNoHistory; a request the user can fix
	// (a link to another chat) is refused with ErrBadLink or a RefusedError, a range longer than
	// q.Limit with a TooLongError. The adaptertest suite checks all of it (HistoryFake).
	History(ctx context.Context, q HistoryQuery) (History, error)
}

// Checker is implemented by adapters that can verify their credentials and permissions for the
// `check` command. Each returned line is one finding, such as "auth.test: ok as @bot".
type Checker interface {
	Check(ctx context.Context, channels []ChannelRef) (report []string, err error)
}

// Editor is implemented by adapters that can change a notification they sent: ref is the
// MessageRef its Notify returned in ch, n the post as it reads now (an edit on the forum). A
// message that is gone (deleted in chat) is a Permanent error. Errors are classified as Notify's.
type Editor interface {
	Edit(ctx context.Context, ch ChannelRef, ref MessageRef, n Notification) error
}

// Deleter is implemented by adapters whose bots can delete a notification they sent (the post
// was deleted or hidden on the forum). A message that is already gone is not an error.
type Deleter interface {
	Delete(ctx context.Context, ch ChannelRef, ref MessageRef) error
}

// ReplyLimiter is implemented by adapters whose platform caps the length of one message: replies
// that must stay whole (a prefilled composer link) are kept under MaxReplyLength characters.
type ReplyLimiter interface {
	MaxReplyLength() int
}

// Handler receives what an adapter hears. Implemented by the bot.
type Handler interface {
	// HandleCommand runs a command and returns the reply the adapter must send back to the invoker.
	// It may take seconds (a transcript); adapters that must acknowledge sooner do so first.
	HandleCommand(ctx context.Context, cmd Command) Reply
	// Categories lists the forum categories a rule may name ("support", "support/installs"),
	// for platforms that offer completions.
	Categories(ctx context.Context) []string
	// ChannelMoved tells the bot that a chat changed its id (a Telegram group upgraded to a
	// supergroup): its rules and pending notifications move to the new ref.
	ChannelMoved(ctx context.Context, from, to ChannelRef)
}

// ChannelRef names a chat channel: platform, chat id and, where the platform has persistent
// sub-channels (Telegram forum topics), a thread id. Its string form is "platform:chat[/thread]".
type ChannelRef struct {
	Platform string
	ChatID   string
	ThreadID string
}

// String returns the ref's canonical form, the one used in config and in the store.
func (c ChannelRef) String() string {
	s := c.Platform + ":" + c.ChatID
	if c.ThreadID != "" {
		s += "/" + c.ThreadID
	}
	return s
}

// IsZero reports whether the ref is empty.
func (c ChannelRef) IsZero() bool { return c == ChannelRef{} }

// ParseChannelRef parses "platform:chat" or "platform:chat/thread". The platform is lower-cased
// (so "Slack:C1" and "slack:C1" are one channel); whether it is enabled is for the caller to say.
func ParseChannelRef(s string) (ChannelRef, error) {
	platform, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || platform == "" || rest == "" {
		return ChannelRef{}, fmt.Errorf("channel %q: want platform:chat_id, e.g. slack:C0123 or telegram:-100123", s)
	}
	platform = strings.ToLower(platform)
	for _, r := range platform {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return ChannelRef{}, fmt.Errorf("channel %q: %q is not a platform name", s, platform)
		}
	}
	chat, thread, _ := strings.Cut(rest, "/")
	if chat == "" {
		return ChannelRef{}, fmt.Errorf("channel %q: empty chat id", s)
	}
	return ChannelRef{Platform: platform, ChatID: chat, ThreadID: thread}, nil
}

// MessageRef is a platform's id for one message (Slack ts, Telegram message id, Discord snowflake,
// Mattermost post id). Opaque to everyone but the adapter that made it.
type MessageRef string

// User is a chat user as the platform names them.
type User struct {
	ID          string // platform user id
	Username    string // handle without "@"
	DisplayName string
	AvatarURL   string
	IsBot       bool
}

// Name returns the best name to show: the username, else the display name, else the id.
func (u User) Name() string {
	switch {
	case u.Username != "":
		return u.Username
	case u.DisplayName != "":
		return u.DisplayName
	}
	return u.ID
}

// Command is one command line typed by a chat user, already stripped of "/discourse", of bare
// command prefixes ("/watch" becomes "watch …") and of "@BotName" suffixes or mentions.
type Command struct {
	Channel ChannelRef
	Invoker User
	// IsAdmin is the platform's verdict that the invoker may administer this channel (Slack
	// workspace admin, Telegram chat administrator, Discord Manage Channels, Mattermost channel or
	// system admin). The bot adds the config allow-list on top.
	IsAdmin bool
	Text    string
	// Message is the ref of the message that carried the command, when there is one (not for
	// Slack or Discord slash commands): transcripts leave it out.
	Message MessageRef
	// Thread is the thread the command was typed in, if any ("post thread" with no link uses it).
	Thread MessageRef
	// StartAt is the message a transcript starts at when the command came from that message's
	// own menu (Slack's message shortcut, Discord's message command) or answers it (a Telegram,
	// Mattermost or Matrix reply). A bare `post` then previews from it to the newest message;
	// when the message is a reply in a thread, Thread names that thread's root and the range
	// is read from the thread. Other commands ignore it.
	StartAt MessageRef
	Time    time.Time
	// Interactive is set by adapters that show Reply.Actions as buttons (Slack, Discord): the
	// bot may then answer with a preview to confirm instead of acting at once.
	Interactive bool
	// Invocation is how users address the bot where the command came from, as help and hints
	// write it ("@discourse" on Mattermost, which has no slash commands); empty means the
	// bot's default ("/discourse").
	Invocation string
}

// Reply is what the bot answers to a command.
type Reply struct {
	// Text is shown to the invoker (ephemerally where the platform can, else in the channel).
	Text Text
	// Announce, when not empty, is also posted publicly in the channel (a rule change, so the
	// channel sees what it will hear). Platforms whose replies are public anyway may skip it.
	Announce Text
	// Actions are buttons under the reply, only for commands marked Interactive. Pressing one
	// runs its Command as if the same user had typed it in the same channel (with Interactive
	// set), and the reply to that replaces the message that held the buttons, unless Refused.
	Actions []Action
	// Refused says the command was not carried out (not allowed, refused, failed). The reply to
	// a button press is then sent to the presser as a new message: the buttons stay usable.
	Refused bool
}

// Action is a button under a reply.
type Action struct {
	Label   string
	Command string // a command line, e.g. "post range 1700000000.000100 1700000000.000900 confirm"
	Primary bool   // the main action ("Post to forum"), styled as such where the platform can
}

// ButtonLife is how long the buttons under a reply (a transcript preview) work, on every
// platform that shows them. A press on older buttons runs nothing and answers the presser alone
// with ButtonsExpired. Buttons carry their expiry, so a restart of the bot does not end them.
const ButtonLife = time.Hour

// ButtonsExpired is the answer to a press on buttons older than ButtonLife.
const ButtonsExpired = "These buttons have expired. Run the command again."

// Text is formatted text as a list of spans, so that each adapter renders it in its own markup
// (Slack mrkdwn, Telegram HTML, Markdown) without parsing strings. Newlines are "\n" in spans.
type Text []Span

// SpanKind says how a span is shown.
type SpanKind int

// The span kinds.
const (
	Plain SpanKind = iota
	Bold
	Italic
	Code      // inline code
	CodeBlock // preformatted block
	Link      // Text linked to URL
)

// Span is a run of text shown one way.
type Span struct {
	Kind SpanKind
	Text string
	URL  string // for Link
}

// String renders the text as plain text (console, logs, tests): links as "text (url)".
func (t Text) String() string {
	var b strings.Builder
	for _, s := range t {
		switch s.Kind {
		case Link:
			b.WriteString(s.Text)
			if s.URL != "" && s.URL != s.Text {
				b.WriteString(" (" + s.URL + ")")
			}
		case CodeBlock:
			b.WriteString(s.Text)
		default:
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// Notification is a forum post as chat shows it. Every string in it is untrusted forum text:
// adapters escape it for their markup and neutralise mass mentions.
type Notification struct {
	TopicID       int64     `json:"topic_id"`
	PostID        int64     `json:"post_id"`
	PostNumber    int       `json:"post_number"`
	TopicTitle    string    `json:"topic_title"`
	URL           string    `json:"url"` // the post's URL
	AuthorName    string    `json:"author_name"`
	AuthorUser    string    `json:"author_username"`
	AvatarURL     string    `json:"avatar_url"`
	CategoryPath  string    `json:"category_path"`  // "Parent/Child", empty for private messages
	CategoryColor string    `json:"category_color"` // hex without "#", e.g. "0088CC"
	Tags          []string  `json:"tags,omitempty"`
	Excerpt       string    `json:"excerpt"` // plain text, already cut to length
	IsFirstPost   bool      `json:"is_first_post"`
	CreatedAt     time.Time `json:"created_at"`
}

// Author returns "Name (@username)", or just "@username" when the name adds nothing.
func (n Notification) Author() string {
	switch {
	case n.AuthorUser == "":
		return n.AuthorName
	case n.AuthorName == "" || strings.EqualFold(n.AuthorName, n.AuthorUser):
		return "@" + n.AuthorUser
	}
	return n.AuthorName + " (@" + n.AuthorUser + ")"
}

// Message is one chat message read from history or observed (for transcripts).
type Message struct {
	ID      MessageRef
	Channel ChannelRef
	Thread  MessageRef // the thread's root message, if the message is in a thread
	ReplyTo MessageRef // Telegram: the message it answers
	User    User
	// Text is CommonMark, converted by the adapter from its platform's markup (outside code):
	// mentions as @names, links as [text](url), custom emoji as :name:. Nothing past the
	// adapter parses a platform's markup.
	Text     string
	Time     time.Time
	Files    []File
	Link     string // permalink, when the platform has one
	IsBot    bool
	IsSystem bool // joins, topic changes, …
}

// File is an attachment of a chat message.
type File struct {
	Name string
	URL  string
}

// HistoryQuery asks for a stretch of a channel's history. At most one of FromLink, Thread and
// ThreadLink is set; with none, the newest Limit messages are read.
type HistoryQuery struct {
	Channel ChannelRef
	// Limit is how many of the newest messages to read, or, for a range (FromLink, Thread,
	// ThreadLink), its cap: a longer range is refused with a TooLongError, never cut. 0 means
	// DefaultHistoryLimit. Adapters read as HistoryPlan says.
	Limit int
	// FromLink is a message link pasted by the user: read from that message to now. The adapter
	// parses its own platform's links and answers ErrBadLink for any other.
	FromLink string
	// Thread reads the whole thread rooted at that message.
	Thread MessageRef
	// ThreadLink is a message link: read the whole thread that message roots or belongs to.
	ThreadLink string
}

// History is what History returns: the messages oldest first, and how to name the channel.
type History struct {
	Source      string // the platform's title from its descriptor, "Slack" in "View in #general on Slack"
	ChannelName string // "#general"
	ChannelLink string // a link to the channel or the first message, when the platform has one
	Messages    []Message
}

// ErrNoHistory is returned by History on platforms whose bots cannot read history.
var ErrNoHistory = errors.New("this platform does not let bots read history")

// ErrBadLink is returned by History when FromLink is not a message link of this platform.
var ErrBadLink = errors.New("not a message link of this chat")

// RetryAfterError says the platform asked us to wait (HTTP 429) before sending again.
type RetryAfterError struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.Wait, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter wraps err as a rate-limit verdict: send again after wait.
func RetryAfter(wait time.Duration, err error) error { return &RetryAfterError{Wait: wait, Err: err} }

// PermanentError says a send can never succeed as it is (channel gone, bot removed, bad request):
// the outbox parks it instead of retrying.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a verdict that retrying will not help.
func Permanent(err error) error { return &PermanentError{Err: err} }

// RetryAfterOf returns the wait a RetryAfterError in err's chain asks for, and whether there is one.
func RetryAfterOf(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.Wait, true
	}
	return 0, false
}

// IsPermanent reports whether err's chain holds a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RefusedError is an answer to a request (History) that the user can act on: Reason is shown to
// them as it is.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// Refused returns a RefusedError with the formatted reason.
func Refused(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}
