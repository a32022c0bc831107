// Package discourse talks to the forum: the API client, the poller that finds new posts, the
// catalogue of categories, tags and groups, and the rendering of a post into a notification.
// It knows nothing of chat.
package discourse

import "time"

// Category is a forum category as /site.json describes it.
type Category struct {
	ID             int64
	Slug           string
	Name           string
	ParentID       int64  // 0 for a top-level category
	Color          string // hex without "#"
	ReadRestricted bool
}

// Group is a forum group.
type Group struct {
	ID   int64
	Name string
}

// Post types, as the forum numbers them.
const (
	PostTypeRegular     = 1
	PostTypeModerator   = 2
	PostTypeSmallAction = 3
	PostTypeWhisper     = 4
)

// Post is a new forum post with what matching and rendering need of its topic.
type Post struct {
	ID         int64
	TopicID    int64
	PostNumber int
	PostType   int
	ActionCode string // "category_changed" on the whisper that records a category change
	Username   string
	Name       string
	AvatarURL  string // absolute, sized
	Cooked     string
	CreatedAt  time.Time
	Hidden     bool
	Deleted    bool
	// ReadAt is when the forum's answer holding the post arrived (the bot's clock): a category
	// catalogue requested after it knows of every change of category made before the post.
	ReadAt time.Time

	// Of its topic.
	TopicTitle      string
	TopicSlug       string
	CategoryID      int64
	Tags            []string
	Archetype       string   // "regular" or "private_message"
	AllowedGroups   []string // for a private message: the groups it was sent to
	MentionedGroups []string // groups the post @mentions

	// Rendered.
	URL           string // absolute URL of the post: /t/{slug}/{topic_id}/{post_number}
	CategoryPath  string // "Parent/Child"
	CategoryColor string
	Excerpt       string // plain text, cut to forum.excerpt_length
}

// IsPrivateMessage reports whether the post is in a private-message topic.
func (p Post) IsPrivateMessage() bool { return p.Archetype == "private_message" }
