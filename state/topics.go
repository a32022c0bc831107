package state

import "time"

// TopicState is what the bot last knew of a topic's category and tags (DESIGN §13): a move or a
// new tag is told from it, also after a restart.
type TopicState struct {
	TopicID    int64
	CategoryID int64
	Tags       []string // as NormalizeTags returns them
	// SeenAt is when a post of the topic was last seen (or its change followed).
	SeenAt time.Time
}

// NoticeKind says what a topic notice announced to a channel.
type NoticeKind string

// The notice kinds.
const (
	NoticeCategory NoticeKind = "category" // the channel heard of the topic in a category (Value: its id)
	NoticeTag      NoticeKind = "tag"      // the channel heard that the topic gained a tag (Value: its name)
)

// TopicNotice is one thing a channel was told about a topic, at most once.
type TopicNotice struct {
	Kind  NoticeKind
	Value string
}

// TopicAnnouncement is an outbox row announcing a topic's change to its channel, and the notices
// it gives: it is queued only if the channel lacks one of them.
type TopicAnnouncement struct {
	Item    OutboxItem
	Notices []TopicNotice
}
