package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// maxAttachmentTextRunes keeps an excerpt well inside the post size limit (attachments count
// towards the 16 383-rune limit of a post's props).
const maxAttachmentTextRunes = 4000

var hexColor = regexp.MustCompile(`^[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?$`)

// Notify implements adapters.Adapter: it posts a message attachment (title linked to the post,
// author with avatar, excerpt, category colour, category and tags fields) into ch, into the
// thread of thread when it is set, and returns the new post's id.
func (a *Adapter) Notify(ctx context.Context, ch adapters.ChannelRef, n adapters.Notification, thread adapters.MessageRef) (adapters.MessageRef, error) {
	if ch.Platform != platform || ch.ChatID == "" {
		return "", adapters.Permanent(fmt.Errorf("mattermost notify: channel %s is not a Mattermost channel", ch))
	}
	post := &model.Post{ChannelId: ch.ChatID, RootId: string(thread)}
	post.AddProp("attachments", []*model.SlackAttachment{attachment(n)})
	created, err := call(ctx, a, "create post", func(c *model.Client4) (*model.Post, *model.Response, error) {
		return c.CreatePost(post)
	})
	if err != nil {
		return "", err
	}
	if created == nil || created.Id == "" {
		return "", errors.New("mattermost create post: the server returned no post id")
	}
	return adapters.MessageRef(created.Id), nil
}

// attachment renders a notification. Markdown fields (text, field values, a title without a
// link) are escaped; plain ones (a linked title, author, fallback) are only defused; every one
// is defused.
func attachment(n adapters.Notification) *model.SlackAttachment {
	title := strings.TrimSpace(n.TopicTitle)
	if title == "" {
		title = n.URL
	}
	att := &model.SlackAttachment{
		Fallback:   defuse(fallback(n)),
		AuthorName: defuse(n.Author()),
		AuthorIcon: webURL(n.AvatarURL),
		Title:      defuse(title), // with a title_link Mattermost shows the title as plain text
		TitleLink:  webURL(n.URL),
		Text:       safeText(truncate(n.Excerpt, maxAttachmentTextRunes)),
	}
	if att.TitleLink == "" { // without a link the title is rendered as markdown
		att.Title = safeText(title)
	}
	if hexColor.MatchString(n.CategoryColor) {
		att.Color = "#" + n.CategoryColor
	}
	if n.CategoryPath != "" {
		att.Fields = append(att.Fields, &model.SlackAttachmentField{
			Title: "Category", Value: safeText("[" + n.CategoryPath + "]"), Short: true,
		})
	}
	if len(n.Tags) > 0 {
		att.Fields = append(att.Fields, &model.SlackAttachmentField{
			Title: "Tags", Value: safeText(strings.Join(n.Tags, ", ")), Short: true,
		})
	}
	if !n.CreatedAt.IsZero() {
		att.Timestamp = n.CreatedAt.Unix()
	}
	return att
}

// fallback is the plain-text form shown in desktop and push notifications.
func fallback(n adapters.Notification) string {
	var b strings.Builder
	b.WriteString(n.TopicTitle)
	if n.CategoryPath != "" {
		b.WriteString(" [" + n.CategoryPath + "]")
	}
	if a := n.Author(); a != "" {
		b.WriteString(" by " + a)
	}
	if n.URL != "" {
		b.WriteString(": " + n.URL)
	}
	return b.String()
}

// webURL returns raw when it is an absolute http(s) URL, else "" (no javascript: links).
func webURL(raw string) string {
	u, ok := adapters.WebURL(strings.TrimSpace(raw))
	if !ok {
		return ""
	}
	return u.String()
}

// Edit replaces a notification's attachment with n as the post reads now (PUT
// /api/v4/posts/{id}/patch). A post that is gone is a Permanent error (404).
func (a *Adapter) Edit(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef, n adapters.Notification) error {
	if ch.Platform != platform || ch.ChatID == "" || ref == "" {
		return adapters.Permanent(fmt.Errorf("mattermost edit: %s %q is not a Mattermost post", ch, ref))
	}
	props := model.StringInterface{"attachments": []*model.SlackAttachment{attachment(n)}}
	_, err := call(ctx, a, "patch post", func(c *model.Client4) (*model.Post, *model.Response, error) {
		return c.PatchPost(string(ref), &model.PostPatch{Props: &props})
	})
	return err
}

// Delete removes a notification (DELETE /api/v4/posts/{id}: the bot may delete its own posts).
// One already gone is not an error.
func (a *Adapter) Delete(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef) error {
	if ch.Platform != platform || ch.ChatID == "" || ref == "" {
		return adapters.Permanent(fmt.Errorf("mattermost delete: %s %q is not a Mattermost post", ch, ref))
	}
	_, err := call(ctx, a, "delete post", func(c *model.Client4) (struct{}, *model.Response, error) {
		resp, err := c.DeletePost(string(ref))
		return struct{}{}, resp, err
	})
	if statusOf(err) == http.StatusNotFound {
		return nil
	}
	return err
}
