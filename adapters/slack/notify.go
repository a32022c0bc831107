package slack

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// Slack's limits for the parts of a notification
// (https://api.slack.com/reference/block-kit/blocks).
const (
	maxSectionText = 3000 // a section block's text
	maxContextText = 2000 // one context element's text
	maxFallback    = 4000 // the top-level text, shown in notifications
)

var hexColor = regexp.MustCompile(`^[0-9A-Fa-f]{6}$`)

// Notify posts n to ch as one message: the title linked to the post, then a coloured attachment
// with the author (avatar and name), "[Category/Path]", the tags and the excerpt. Links are not
// unfurled. With thread set, the message goes into that message's thread (thread_ts). It
// returns the new message's ts.
func (a *Adapter) Notify(ctx context.Context, ch adapters.ChannelRef, n adapters.Notification, thread adapters.MessageRef) (adapters.MessageRef, error) {
	if ch.Platform != platform || ch.ChatID == "" {
		return "", adapters.Permanent(fmt.Errorf("slack notify: %q is not a Slack channel", ch))
	}
	opts := append(notificationOptions(n),
		slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(string(thread)))
	}
	ts, err := a.post(ctx, ch.ChatID, opts...)
	if err != nil && n.AvatarURL != "" && imageFailed(err) {
		// Slack fetches every image of a message and refuses the whole message when one fails
		// (a forum on a private network): the notification matters, the avatar does not.
		a.log.Warn("Slack could not download the author's avatar; sending the notification without it",
			"channel", ch.ChatID, "avatar", n.AvatarURL, "err", err)
		n.AvatarURL = ""
		opts = append(notificationOptions(n),
			slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(string(thread)))
		}
		ts, err = a.post(ctx, ch.ChatID, opts...)
	}
	if err != nil {
		if isNotMember(err) {
			a.ensureIdentity(ctx)
			err = fmt.Errorf("%w (invite me with /invite @%s)", err, a.botName())
		}
		return "", err
	}
	return adapters.MessageRef(ts), nil
}

// post sends a message to a channel with chat.postMessage, paced per channel, and classifies
// a failure.
func (a *Adapter) post(ctx context.Context, channelID string, opts ...slack.MsgOption) (string, error) {
	if err := a.paceChannel(ctx, channelID); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, ts, err := a.api.PostMessageContext(ctx, channelID, opts...)
	if err != nil {
		return "", classify("chat.postMessage to "+channelID, err)
	}
	if ts == "" {
		return "", errors.New("chat.postMessage to " + channelID + ": Slack returned no ts")
	}
	return ts, nil
}

// notificationOptions builds the message. Every forum string is escaped and defused, and every
// text object is verbatim.
func notificationOptions(n adapters.Notification) []slack.MsgOption {
	title := n.TopicTitle
	if title == "" {
		title = n.URL
	}
	titleText := "*" + link(n.URL, title) + "*"
	if !n.IsFirstPost && n.PostNumber > 1 {
		titleText += fmt.Sprintf(" · reply #%d", n.PostNumber)
	}
	titleBlock := slack.NewSectionBlock(mrkdwn(truncate(titleText, maxSectionText)), nil, nil)

	var context []slack.MixedElement
	if n.AvatarURL != "" && escapeURL(n.AvatarURL) != "" {
		context = append(context, slack.NewImageBlockElement(n.AvatarURL, truncate(escape(n.Author()), 100)))
	}
	var meta []string
	if author := n.Author(); author != "" {
		meta = append(meta, escape(author))
	}
	if n.CategoryPath != "" {
		meta = append(meta, "["+escape(n.CategoryPath)+"]")
	}
	if len(n.Tags) > 0 {
		tags := make([]string, len(n.Tags))
		for i, t := range n.Tags {
			tags[i] = escape(t)
		}
		meta = append(meta, "tags: "+strings.Join(tags, ", "))
	}
	if len(meta) > 0 {
		context = append(context, mrkdwn(truncate(strings.Join(meta, " · "), maxContextText)))
	}
	var body []slack.Block
	if len(context) > 0 {
		body = append(body, slack.NewContextBlock("", context...))
	}
	if ex := strings.TrimSpace(n.Excerpt); ex != "" {
		body = append(body, slack.NewSectionBlock(
			mrkdwn(truncate(escape(ex), maxSectionText)), nil, nil))
	}

	fallback := escape(title)
	if n.Author() != "" {
		fallback += " — " + escape(n.Author())
	}
	if n.CategoryPath != "" {
		fallback += " in [" + escape(n.CategoryPath) + "]"
	}
	fallback = truncate(fallback, maxFallback)

	opts := []slack.MsgOption{
		slack.MsgOptionText(fallback, false),
		slack.MsgOptionBlocks(titleBlock),
	}
	if len(body) > 0 {
		att := slack.Attachment{Fallback: fallback, Blocks: slack.Blocks{BlockSet: body}}
		if hexColor.MatchString(n.CategoryColor) {
			att.Color = "#" + n.CategoryColor
		}
		opts = append(opts, slack.MsgOptionAttachments(att))
	}
	return opts
}

// mrkdwn is a text object for already escaped text. Verbatim: Slack auto-links no URL, channel
// name or mention in it; only the "<url|label>" links we wrote are links. (mrkdwn rather than
// plain_text because Slack decodes &amp; &lt; &gt; in it for certain.)
func mrkdwn(escaped string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, escaped, false, true)
}

// truncate cuts s to at most max runes, ending with "…" when it cut, and never inside an entity.
func truncate(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	cut := string(r[:max-1])
	if i := strings.LastIndexByte(cut, '&'); i >= 0 && !strings.Contains(cut[i:], ";") {
		cut = cut[:i]
	}
	return cut + "…"
}

// paceChannel waits for the channel's turn: Slack allows a message a second per channel, and
// chat.update and chat.delete count too.
func (a *Adapter) paceChannel(ctx context.Context, channelID string) error {
	if err := a.pacer.Wait(ctx, pace.Lane{Key: channelID, Limit: a.limits.PerChannel}); err != nil {
		return fmt.Errorf("pace posts in %s: %w", channelID, err)
	}
	return nil
}

// paceChange checks that ch and ref name a Slack message for op ("edit", "delete"), a Permanent
// error when not, then waits for the channel's turn.
func (a *Adapter) paceChange(ctx context.Context, op string, ch adapters.ChannelRef, ref adapters.MessageRef) error {
	if ch.Platform != platform || ch.ChatID == "" || ref == "" {
		return adapters.Permanent(fmt.Errorf("slack %s: %q %q is not a Slack message", op, ch, ref))
	}
	return a.paceChannel(ctx, ch.ChatID)
}

// Edit replaces a notification with n as the post reads now (chat.update keeps its place, thread
// and ts). A message that is gone is a Permanent error (message_not_found).
func (a *Adapter) Edit(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef, n adapters.Notification) error {
	if err := a.paceChange(ctx, "edit", ch, ref); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, _, _, err := a.api.UpdateMessageContext(ctx, ch.ChatID, string(ref), notificationOptions(n)...)
	return classify("chat.update in "+ch.ChatID, err)
}

// Delete removes a notification (chat.delete: a bot token may delete the bot's own messages).
// One that is already gone is not an error.
func (a *Adapter) Delete(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef) error {
	if err := a.paceChange(ctx, "delete", ch, ref); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, _, err := a.api.DeleteMessageContext(ctx, ch.ChatID, string(ref))
	if slackCode(err) == "message_not_found" {
		return nil
	}
	return classify("chat.delete in "+ch.ChatID, err)
}
