package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Notify implements adapters.Adapter: the notification as one HTML message, link preview off,
// into the channel's forum topic when the ref has one, as a reply to thread when it is set.
func (a *Adapter) Notify(ctx context.Context, ch adapters.ChannelRef, n adapters.Notification, thread adapters.MessageRef) (adapters.MessageRef, error) {
	out := outgoing{text: renderNotification(n), replyTo: string(thread)}
	ref, err := a.send(ctx, ch, out)
	if err != nil {
		if apiErr, ok := apiError(err); ok && apiErr.MigrateToChatID != 0 {
			return "", a.migrated(ctx, ch, apiErr.MigrateToChatID, err)
		}
		return "", fmt.Errorf("telegram: notify %s: %w", ch, classify(err))
	}
	return ref, nil
}

// migrated handles a send refused because the group became a supergroup: the bot is told to
// move the channel (its rules and pending notifications go to the new id), and the send is to be
// retried shortly, when it finds the notification under the new id.
func (a *Adapter) migrated(ctx context.Context, ch adapters.ChannelRef, to int64, err error) error {
	a.mu.Lock()
	h := a.handler
	a.mu.Unlock()
	if h != nil {
		moved := adapters.ChannelRef{Platform: platform, ChatID: strconv.FormatInt(to, 10), ThreadID: ch.ThreadID}
		a.log.Info("group upgraded to a supergroup; moving the channel", "from", ch.String(), "to", moved.String())
		h.ChannelMoved(ctx, ch, moved)
	}
	return adapters.RetryAfter(migrationRetry, fmt.Errorf("telegram: notify %s: the group became supergroup %d: %w", ch, to, err))
}

// migrationRetry is how long a send refused by a group's migration waits: by then the channel
// has moved and the notification is sent to the supergroup.
const migrationRetry = time.Second

// outgoing is one message the adapter sends.
type outgoing struct {
	text    string // Telegram HTML
	replyTo string // message id to reply to, or ""
}

// sentMessage is the part of sendMessage's result the adapter reads.
type sentMessage struct {
	MessageID int `json:"message_id"`
}

// send posts one HTML message to ch under the rate limits. The SDK (v5.5.1) predates forum
// topics, so the request is built as Params to carry message_thread_id.
func (a *Adapter) send(ctx context.Context, ch adapters.ChannelRef, m outgoing) (adapters.MessageRef, error) {
	if ch.Platform != "" && ch.Platform != platform {
		return "", adapters.Permanent(fmt.Errorf("channel %s is not a Telegram channel", ch))
	}
	chatID, err := strconv.ParseInt(ch.ChatID, 10, 64)
	if err != nil {
		return "", adapters.Permanent(fmt.Errorf("chat id %q is not a number (ask the bot with /getchatid)", ch.ChatID))
	}
	params := tgbotapi.Params{
		"chat_id":                  strconv.FormatInt(chatID, 10),
		"text":                     m.text,
		"parse_mode":               tgbotapi.ModeHTML,
		"disable_web_page_preview": "true",
	}
	if ch.ThreadID != "" {
		if _, err := strconv.Atoi(ch.ThreadID); err != nil {
			return "", adapters.Permanent(fmt.Errorf("topic id %q is not a number", ch.ThreadID))
		}
		params["message_thread_id"] = ch.ThreadID
	}
	if m.replyTo != "" {
		if _, err := strconv.Atoi(m.replyTo); err != nil {
			return "", adapters.Permanent(fmt.Errorf("thread ref %q is not a Telegram message id", m.replyTo))
		}
		params["reply_to_message_id"] = m.replyTo
		// The thread's first message may have been deleted: post anyway rather than fail.
		params["allow_sending_without_reply"] = "true"
	}
	if err := a.pace(ctx, chatID); err != nil {
		return "", err
	}
	var sent sentMessage
	if err := a.call(ctx, "sendMessage", params, callTimeout, &sent); err != nil {
		return "", err
	}
	return adapters.MessageRef(strconv.Itoa(sent.MessageID)), nil
}

// renderNotification renders n as Telegram HTML:
//
//	🟦 <b><a href="post url">Title</a></b>
//	[Parent/Category] #tag1 #tag2
//	excerpt…
//	— <a href="profile">Author (@user)</a>
//
// Every forum string is escaped and its mass mentions defused. Telegram has no colours, so the
// category colour becomes the nearest coloured square; a text message cannot show the avatar
// (and link previews are off), so the author links to their forum profile instead.
func renderNotification(n adapters.Notification) string {
	var head htmlBuilder
	if sq := colourSquare(n.CategoryColor); sq != "" {
		head.text(sq + " ")
	}
	title := n.TopicTitle
	if title == "" {
		title = n.URL
	}
	head.tag("<b>")
	head.link(truncate(title, 300), n.URL)
	head.tag("</b>")
	var meta []string
	if n.CategoryPath != "" {
		meta = append(meta, "["+n.CategoryPath+"]")
	}
	for _, t := range n.Tags {
		meta = append(meta, "#"+t)
	}
	if len(meta) > 0 {
		head.text("\n" + truncate(strings.Join(meta, " "), 500))
	}

	var tail htmlBuilder
	if author := n.Author(); author != "" {
		tail.text("\n— ")
		tail.link(truncate(author, 200), profileURL(n.URL, n.AuthorUser))
	}

	var body htmlBuilder
	if excerpt := strings.TrimSpace(n.Excerpt); excerpt != "" {
		// The excerpt gives way: it is cut so the whole message fits Telegram's limit (defusing
		// may add a character per mention, hence the margin).
		room := MaxMessageLength - head.visible - tail.visible - 2 - utf16Len(excerpt)/4
		body.text("\n")
		body.tag("<i>")
		body.text(truncate(excerpt, room))
		body.tag("</i>")
	}
	return head.String() + body.String() + tail.String()
}

// profileURL is the author's forum profile, derived from the post URL ("…/t/slug/42/1" →
// "…/u/alice"), or "" when it cannot be.
func profileURL(postURL, username string) string {
	i := strings.Index(postURL, "/t/")
	if i < 0 || username == "" {
		return ""
	}
	return postURL[:i] + "/u/" + username
}

// colourSquare maps a hex colour ("0088CC") to a coloured square by its hue (greys by their
// lightness), "" if it is not a colour.
func colourSquare(hex string) string {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if len(hex) != 6 || err != nil {
		return ""
	}
	r, g, b := float64(v>>16)/255, float64(v>>8&0xff)/255, float64(v&0xff)/255
	hi, lo := max(r, g, b), min(r, g, b)
	d := hi - lo
	if hi == 0 || d/hi < 0.2 || hi < 0.2 {
		if hi < 0.5 {
			return "⬛"
		}
		return "⬜"
	}
	var hue float64
	switch hi {
	case r:
		hue = 60 * (g - b) / d
		if hue < 0 {
			hue += 360
		}
	case g:
		hue = 60 * ((b-r)/d + 2)
	default:
		hue = 60 * ((r-g)/d + 4)
	}
	switch {
	case hue < 12 || hue >= 330:
		return "🟥"
	case hue < 45 && hi < 0.6:
		return "🟫"
	case hue < 45:
		return "🟧"
	case hue < 70:
		return "🟨"
	case hue < 165:
		return "🟩"
	case hue < 255:
		return "🟦"
	}
	return "🟪"
}

// Edit replaces a notification's text with n as the post reads now (editMessageText). An
// unchanged text is not an error; a message that is gone is a Permanent one.
func (a *Adapter) Edit(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef, n adapters.Notification) error {
	return a.change(ctx, ch, ref, "edit", "editMessageText", "message is not modified", tgbotapi.Params{
		"text":                     renderNotification(n),
		"parse_mode":               tgbotapi.ModeHTML,
		"disable_web_page_preview": "true",
	})
}

// Delete removes a notification (deleteMessage). Telegram lets a bot delete its own messages for
// 48 hours; later it answers "message can't be deleted", a Permanent error (the caller may then
// edit the message instead). A message already gone is not an error.
func (a *Adapter) Delete(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef) error {
	return a.change(ctx, ch, ref, "delete", "deleteMessage", "message to delete not found", tgbotapi.Params{})
}

// change calls method on the bot's message ref in ch with params, paced as a send: an answer
// that contains done means the change is there already, any other error is classified.
func (a *Adapter) change(ctx context.Context, ch adapters.ChannelRef, ref adapters.MessageRef, verb, method, done string, params tgbotapi.Params) error {
	chatID, msgID, err := messageIDs(ch, ref)
	if err != nil {
		return err
	}
	params["chat_id"] = strconv.FormatInt(chatID, 10)
	params["message_id"] = strconv.Itoa(msgID)
	if err := a.pace(ctx, chatID); err != nil {
		return err
	}
	err = a.call(ctx, method, params, callTimeout, nil)
	if apiErr, ok := apiError(err); ok && strings.Contains(apiErr.Message, done) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("telegram: %s %s in %s: %w", verb, ref, ch, classify(err))
	}
	return nil
}

// messageIDs parses a channel and message ref of this platform.
func messageIDs(ch adapters.ChannelRef, ref adapters.MessageRef) (int64, int, error) {
	if ch.Platform != "" && ch.Platform != platform {
		return 0, 0, adapters.Permanent(fmt.Errorf("channel %s is not a Telegram channel", ch))
	}
	chatID, err := strconv.ParseInt(ch.ChatID, 10, 64)
	if err != nil {
		return 0, 0, adapters.Permanent(fmt.Errorf("chat id %q is not a number", ch.ChatID))
	}
	msgID, err := strconv.Atoi(string(ref))
	if err != nil {
		return 0, 0, adapters.Permanent(fmt.Errorf("message ref %q is not a Telegram message id", ref))
	}
	return chatID, msgID, nil
}
