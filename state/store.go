// Package state keeps everything the bot must remember across restarts: channels and their
// rules, poll cursors, the notification outbox, thread refs and the chat log. Store is the
// interface; Open picks the implementation from the config's driver.
package state

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is the bot's persistent state. All methods are safe for concurrent use.
type Store interface {
	// Channels and rules.

	// Rules returns a channel's rules in precedence order (SortRules); none is not an error.
	Rules(ctx context.Context, channel string) ([]Rule, error)
	// AllRules returns every rule of every channel.
	AllRules(ctx context.Context) ([]Rule, error)
	// AddRule stores a new rule (its ID is ignored) and returns it with its ID. It creates the
	// channel if needed.
	AddRule(ctx context.Context, r Rule) (Rule, error)
	// UpdateRule changes a rule's filter and tags (the merge of DESIGN §3).
	UpdateRule(ctx context.Context, r Rule) error
	// DeleteRule removes a rule by id; ErrNotFound if there is none.
	DeleteRule(ctx context.Context, id int64) error
	// Channels lists every known channel with its delivery status.
	Channels(ctx context.Context) ([]Channel, error)
	// Channel returns one channel; ErrNotFound if unknown.
	Channel(ctx context.Context, ref string) (Channel, error)
	// EnsureChannel creates the channel if it does not exist.
	EnsureChannel(ctx context.Context, ref string) error
	// SetChannelError records (err != "") or clears (err == "") a channel's last delivery error.
	SetChannelError(ctx context.Context, ref, err string, at time.Time) error
	// MoveChannel renames a channel (a Telegram group became a supergroup): its rules, pending
	// outbox rows, thread refs and chat log follow. If `to` already exists, from's rules are added
	// to it.
	MoveChannel(ctx context.Context, from, to string) error

	// Cursors: named integers (the poller's last post id, Telegram's update offset, …).

	// Cursor returns a cursor's value and whether it is set.
	Cursor(ctx context.Context, name string) (int64, bool, error)
	// SetCursor sets a cursor (fenced: ErrLeaseLost once another process took the lead).
	SetCursor(ctx context.Context, name string, value int64) error
	// Cursors returns every set cursor whose name starts with prefix.
	Cursors(ctx context.Context, prefix string) (map[string]int64, error)
	// DeleteCursor unsets a cursor, so that its stream starts afresh (fenced like SetCursor).
	DeleteCursor(ctx context.Context, name string) error

	// Texts: named strings (Matrix's sync token, device id, …), as the cursors are integers.

	// Text returns a text's value and whether it is set.
	Text(ctx context.Context, name string) (string, bool, error)
	// SetText sets a text.
	SetText(ctx context.Context, name, value string) error

	// Outbox.

	// Enqueue stores the notifications of a batch of posts and sets cursor `cursor` to `value`, in
	// one transaction: a crash leaves either both or neither. It is fenced by the lease: once
	// another process has taken the lead, it writes nothing and returns ErrLeaseLost.
	Enqueue(ctx context.Context, items []OutboxItem, cursor string, value int64) error
	// PendingChannels returns the channels that have unsent, unparked rows.
	PendingChannels(ctx context.Context) ([]string, error)
	// Pending returns up to limit unsent, unparked rows of a channel, oldest first.
	Pending(ctx context.Context, channel string, limit int) ([]OutboxItem, error)
	// Claim takes a pending row for a send by this store's lead, in a transaction that checks the
	// lease: a row is sent only after its claim succeeded. It returns ErrLeaseLost when another
	// process leads now, ErrNotFound when the row is gone or no longer pending, and a
	// *ClaimedError when another lead claimed it and may still be sending it (PostgreSQL, for
	// ClaimTTL). Claiming a row this lead claimed before succeeds.
	Claim(ctx context.Context, id int64, at time.Time) error
	// MarkSent records a delivered row and the chat message it became. It is fenced by the row's
	// claim, not the lease (the send happened: it is recorded even after the lead was lost):
	// ErrLeaseLost if another lead has claimed the row since.
	MarkSent(ctx context.Context, id int64, messageRef string, at time.Time) error
	// MarkFailed records a failed attempt: the attempt count goes up and the error is kept.
	// ErrNotFound when the row is gone or no longer pending (withheld while the send failed: its
	// reason stays).
	MarkFailed(ctx context.Context, id int64, err string, at time.Time) error
	// Park gives up on a row (too old, or a permanent error); it stays for inspection.
	Park(ctx context.Context, id int64, reason string, at time.Time) error
	// Withhold marks a pending row done without sending it (its topic may no longer reach the
	// channel), keeping reason as its last error: it counts as sent, with no chat message.
	// ErrNotFound when the row is gone or no longer pending.
	Withhold(ctx context.Context, id int64, reason string, at time.Time) error
	// WithholdTopic withholds, as Withhold does, the pending rows of a topic in the channels given
	// (notifications, edits and recoveries; deletions stay queued), and returns how many.
	WithholdTopic(ctx context.Context, topicID int64, channels []string, reason string, at time.Time) (int64, error)
	// OutboxStats counts rows by status, for metrics and `status`.
	OutboxStats(ctx context.Context) (OutboxStats, error)
	// PruneOutbox deletes sent and parked outbox rows created before `before` (pending rows are
	// never deleted) and returns how many went. Thread refs are kept: they live in their own table.
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)

	// Following forum changes (DESIGN §13).

	// NotifiedChannels returns, sorted, the channels holding a notification of the post that is
	// pending or sent (parked ones never reached chat).
	NotifiedChannels(ctx context.Context, postID int64) ([]string, error)
	// SentRef returns the chat message the post's latest delivered notification (or recovery)
	// became in channel, and whether there is one.
	SentRef(ctx context.Context, channel string, postID int64) (string, bool, error)
	// RecentTopics returns up to limit topics with notifications queued at or after since, the
	// most recently notified first.
	RecentTopics(ctx context.Context, since time.Time, limit int) ([]int64, error)

	// Topic moves and new tags (DESIGN §13).

	// SeeTopics records the topics of new posts: one unknown so far gets the state given, a
	// known one keeps its state (only ChangeTopic moves it on) and its seen time advances.
	SeeTopics(ctx context.Context, states []TopicState) error
	// TopicState returns what was last recorded of a topic, and whether anything was.
	TopicState(ctx context.Context, topicID int64) (TopicState, bool, error)
	// SeenTopics returns up to limit topics seen at or after since, the most recently seen first.
	SeenTopics(ctx context.Context, since time.Time, limit int) ([]int64, error)
	// ChangeTopic records a topic's new state and queues the announcements of its change, in one
	// transaction fenced by the lease (ErrLeaseLost). With heardIn != 0 (the category it left),
	// every channel holding a pending or sent notification of the topic is first given the
	// notice of having heard of it in heardIn. Then each announcement is queued only if its
	// channel lacks one of its notices, and given them all: every notice is given once, across
	// moves back and forth and restarts. It returns the rows queued.
	ChangeTopic(ctx context.Context, st TopicState, heardIn int64, anns []TopicAnnouncement) ([]OutboxItem, error)
	// PruneTopics forgets the topics last seen before `before`, and their notices, and returns
	// how many topics went.
	PruneTopics(ctx context.Context, before time.Time) (int64, error)

	// Outbox review (the web console).

	// Backlogs returns, for each channel with pending rows, how many and the oldest's age.
	Backlogs(ctx context.Context) ([]Backlog, error)
	// RecentOutbox returns the newest `limit` rows of any status, newest first (limit <= 0: all).
	RecentOutbox(ctx context.Context, limit int) ([]OutboxItem, error)
	// ParkedOutbox returns up to limit parked rows, newest first (limit <= 0: all).
	ParkedOutbox(ctx context.Context, limit int) ([]OutboxItem, error)
	// Unpark queues a parked row again, attempts and error cleared, as if it was queued at `at`
	// (delivery.max_age counts from there). ErrNotFound if no parked row has that id.
	Unpark(ctx context.Context, id int64, at time.Time) error
	// DiscardParked deletes a parked row. ErrNotFound if no parked row has that id.
	DiscardParked(ctx context.Context, id int64) error

	// Threads: the chat message of a topic's first notification in a channel.

	ThreadRef(ctx context.Context, channel string, topicID int64) (string, bool, error)
	SetThreadRef(ctx context.Context, channel string, topicID int64, messageRef string) error

	// Chat log, for platforms whose bots cannot read history (Telegram).

	// LogMessage records a message, then prunes the log to its bounds, in one transaction.
	LogMessage(ctx context.Context, m LoggedMessage, b LogBounds) error
	// ChatLog returns a channel's newest `limit` logged messages, oldest first.
	ChatLog(ctx context.Context, channel string, limit int) ([]LoggedMessage, error)
	// ChatLogCount returns how many messages are logged for a channel.
	ChatLogCount(ctx context.Context, channel string) (int, error)
	// PruneChatLog deletes logged chat messages older than `before`, in every channel, keeping the
	// per-channel counts the count bound relies on right, and returns how many went.
	PruneChatLog(ctx context.Context, before time.Time) (int64, error)

	// Processes sharing the store.

	// Lead blocks until this process is the only one leading the bot on this store (SQLite: an
	// exclusive lock on the file "<dsn>.lock"; PostgreSQL: a session advisory lock held on a
	// dedicated connection), or ctx is done. The returned release gives the lead up; Close also does.
	// A second process thus waits as a hot standby and takes over when the first stops or dies.
	//
	// Each call is one contender: a second Lead on the same store waits like another process.
	// release may be called more than once. A waiting Lead returns ctx's error (wrapped) when ctx
	// is done, and an error when the store is closed. An SQLite store on a system without flock
	// returns an error wrapping ErrLeadUnsupported. PostgreSQL's lead is lost if its connection
	// breaks (LeadLost tells); the lock key is per schema, so stores in two schemas do not
	// exclude each other.
	Lead(ctx context.Context) (release func(), err error)
	// LeadLost is closed when a lead this store held was lost without being released (the
	// PostgreSQL session holding the lock broke), or when a fenced write found that another
	// process took the lead since: a standby may be leading now, so the process must stop
	// leading, its senders first. Every lead taken starts a new lease epoch; the fenced writes
	// (Enqueue, SetCursor, DeleteCursor, Claim) check it in their transaction, so an old leader
	// that has not noticed yet can neither send nor move a cursor. A store that never led writes
	// unfenced.
	LeadLost() <-chan struct{}

	Close() error
}

// Channel is a chat channel the bot knows, with its delivery status.
type Channel struct {
	Ref       string
	CreatedAt time.Time
	LastError string // last delivery error, empty when the last send succeeded
	ErrorAt   time.Time
}

// OutboxStatus is where an outbox row stands.
type OutboxStatus string

// The outbox statuses.
const (
	Pending OutboxStatus = "pending"
	Sent    OutboxStatus = "sent"
	Parked  OutboxStatus = "parked"
)

// OutboxKind is what an outbox row does in its channel.
type OutboxKind string

// The outbox kinds: a notification, or a change that follows the forum (DESIGN §13) to the
// chat message of the post's notification in the same channel.
const (
	Notify  OutboxKind = "notify"  // send a new message
	Edit    OutboxKind = "edit"    // update the post's message with the payload
	Delete  OutboxKind = "delete"  // remove the post's message
	Recover OutboxKind = "recover" // bring a removed post's message back with the payload
)

// OutboxItem is one notification (or change, by Kind) waiting for (or past) delivery to one
// channel.
type OutboxItem struct {
	ID      int64
	Kind    OutboxKind // "" is Notify
	Channel string
	TopicID int64
	PostID  int64
	// Thread is true for a `thread` rule: the sender posts into the topic's thread.
	Thread bool
	// Payload is the notification, JSON-encoded by the bot (the store does not look inside).
	Payload    []byte
	CreatedAt  time.Time
	Attempts   int
	LastError  string
	Status     OutboxStatus
	MessageRef string
	// LastAttemptAt and SentAt are zero until a try, a delivery. Only RecentOutbox and
	// ParkedOutbox read them.
	LastAttemptAt time.Time
	SentAt        time.Time
}

// Backlog is one channel's pending outbox rows.
type Backlog struct {
	Channel       string
	Pending       int
	OldestPending time.Time
}

// OutboxStats counts outbox rows.
type OutboxStats struct {
	Pending, Sent, Parked int
	OldestPending         time.Time // zero when nothing is pending
}

// LogBounds bound the chat log; a zero field is no bound.
type LogBounds struct {
	// PerChat is the most messages one chat keeps: its oldest go first.
	PerChat int
	// MaxAge drops a chat's messages older than this.
	MaxAge time.Duration
	// Total is the most messages all chats keep together: anyone can add a bot to many
	// groups. Over it, the least recently active chats are dropped whole, oldest first, and
	// only then the oldest messages of the chat being logged.
	Total int
}

// LoggedMessage is one chat message in the chat log.
type LoggedMessage struct {
	Channel   string
	MessageID string
	ThreadID  string
	ReplyTo   string
	UserID    string
	Username  string
	Name      string
	AvatarURL string
	Text      string
	IsBot     bool
	Time      time.Time
}
