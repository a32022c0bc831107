package web

import (
	"context"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/commands"
)

// Backend is what the console needs from the running bot. Rule changes and samples go through
// Execute, the chat commands' own executor, so the console and chat share one code path.
type Backend interface {
	// Overview reports the forum, the platforms and the outbox.
	Overview(ctx context.Context) (Overview, error)
	// Channels lists every channel the bot knows, with its rules in precedence order.
	Channels(ctx context.Context) ([]Channel, error)
	// Execute runs one chat command line in a channel, as a chat user's command would run.
	Execute(ctx context.Context, cmd adapters.Command) adapters.Reply
	// Deliveries lists recent notifications and the parked ones.
	Deliveries(ctx context.Context) (Deliveries, error)
	// Retry queues a parked notification again; Discard deletes it. Both answer an error
	// wrapping state.ErrNotFound when no parked notification has that id.
	Retry(ctx context.Context, id int64) error
	Discard(ctx context.Context, id int64) error
}

// Overview is the console's front page.
type Overview struct {
	ForumURL string
	// ForumReachable is whether the last poll of the forum succeeded, at LastPoll.
	ForumReachable bool
	LastPoll       time.Time
	// Live is whether the forum's MessageBus is being listened to now (else: polling).
	Live bool
	// RequestsPerMinute are the forum API requests of each of the last minutes, oldest first,
	// the current (partial) minute last.
	RequestsPerMinute []int
	// RequestBudget is forum.max_requests_per_minute (0: none).
	RequestBudget int
	Platforms     []Platform
	// Parked counts the notifications given up on.
	Parked int
}

// Platform is one chat platform's connection and outbox.
type Platform struct {
	Name, Title string
	// HasHealth is false for an adapter that does not report its connection.
	HasHealth  bool
	Connected  bool
	Reconnects int64
	// Pending counts the notifications waiting; OldestPending is when the oldest was queued.
	Pending       int
	OldestPending time.Time
}

// Channel is a chat channel the bot knows.
type Channel struct {
	Ref adapters.ChannelRef
	// Name is the channel's human name ("#general"), "" when unknown.
	Name string
	// Rules are in precedence order, numbered as the `status` command numbers them.
	Rules     []commands.RuleLine
	LastError string
	ErrorAt   time.Time
}

// Deliveries is the deliveries page.
type Deliveries struct {
	Recent []Delivery
	Parked []Parked
}

// Delivery is one forum post and where it went.
type Delivery struct {
	PostID     int64
	TopicTitle string
	URL        string
	PostedAt   time.Time
	Channels   []DeliveryChannel
}

// DeliveryChannel is one post's notification in one channel.
type DeliveryChannel struct {
	Channel string
	Status  string // pending, sent, parked
	// Latency is from the post to its delivery, for sent notifications.
	Latency  time.Duration
	Attempts int
	Error    string
}

// Parked is a notification given up on.
type Parked struct {
	ID         int64
	Channel    string
	PostID     int64
	TopicTitle string
	URL        string
	Reason     string
	Attempts   int
	QueuedAt   time.Time
	ParkedAt   time.Time
}
