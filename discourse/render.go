package discourse

import (
	"context"
	"strconv"
	"strings"
)

// AvatarSize is the pixel size put in avatar templates.
const AvatarSize = 90

// DefaultExcerptLength is the excerpt length when none is configured.
const DefaultExcerptLength = 400

// PostURL returns the absolute URL of a post: /t/{slug}/{topic_id}/{post_number}.
func (c *Client) PostURL(slug string, topicID int64, postNumber int) string {
	if slug == "" {
		slug = "-"
	}
	return c.base + "/t/" + slug + "/" + strconv.FormatInt(topicID, 10) + "/" + strconv.Itoa(postNumber)
}

// AvatarURL turns an avatar_template ("/user_avatar/host/name/{size}/1_2.png",
// "//cdn/…", "https://…") into an absolute URL of the given size.
func (c *Client) AvatarURL(template string, size int) string {
	if template == "" {
		return ""
	}
	u := strings.ReplaceAll(template, "{size}", strconv.Itoa(size))
	switch {
	case strings.HasPrefix(u, "//"):
		return c.scheme + ":" + u
	case strings.HasPrefix(u, "/"):
		// Templates carry the subfolder of a subfolder install already, so they hang off the origin.
		return c.origin + u
	}
	return u
}

// RenderPost fills the rendered fields of a post that already has its topic's fields: URL,
// CategoryPath, CategoryColor, Excerpt, MentionedGroups and an absolute AvatarURL (from the
// avatar template the wire gave). excerptLength 0 means DefaultExcerptLength.
func (c *Client) RenderPost(ctx context.Context, p *Post, k *Catalog, excerptLength int) {
	if excerptLength <= 0 {
		excerptLength = DefaultExcerptLength
	}
	p.URL = c.PostURL(p.TopicSlug, p.TopicID, p.PostNumber)
	if strings.Contains(p.AvatarURL, "{size}") || strings.HasPrefix(p.AvatarURL, "/") {
		p.AvatarURL = c.AvatarURL(p.AvatarURL, AvatarSize)
	}
	if p.CategoryID != 0 && !p.IsPrivateMessage() && k != nil {
		p.CategoryPath = k.CategoryPath(ctx, p.CategoryID)
		if cat, ok, _ := k.Category(ctx, p.CategoryID); ok {
			p.CategoryColor = cat.Color
		}
	}
	p.Excerpt, p.MentionedGroups = ExcerptAndMentions(p.Cooked, excerptLength)
}
