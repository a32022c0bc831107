package slack

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// commandFor returns the work an envelope asks for: a slash command, an app mention, our message
// shortcut or a press on one of our buttons. Other envelopes (other interactions and events) need only their ack.
func (a *Adapter) commandFor(evt socketmode.Event) (chat string, work func(context.Context, adapters.Handler)) {
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		return data.ChannelID, func(ctx context.Context, h adapters.Handler) { a.slashCommand(ctx, h, data) }
	case slackevents.EventsAPIEvent:
		m, ok := data.InnerEvent.Data.(*slackevents.AppMentionEvent)
		if !ok {
			return "", nil
		}
		return m.Channel, func(ctx context.Context, h adapters.Handler) { a.mention(ctx, h, *m) }
	case slack.InteractionCallback:
		switch data.Type {
		case slack.InteractionTypeMessageAction:
			if data.CallbackID != ShortcutCallbackID {
				return "", nil
			}
			// Not behind the channel's other commands: the form must open within the
			// trigger_id's 3 s.
			return "shortcut/" + data.TriggerID, func(ctx context.Context, h adapters.Handler) { a.messageShortcut(ctx, h, data) }
		case slack.InteractionTypeViewSubmission:
			if data.View.CallbackID != FormCallbackID || formErrors(data) != nil {
				return "", nil
			}
			return data.View.ID, func(ctx context.Context, h adapters.Handler) { a.viewSubmission(ctx, h, data) }
		}
		act := ourAction(data)
		if act == nil {
			return "", nil
		}
		return data.Channel.ID, func(ctx context.Context, h adapters.Handler) { a.blockAction(ctx, h, data, *act) }
	}
	return "", nil
}

// slashCommand runs "/discourse …". The reply goes to the invoker alone through the
// response_url, with Reply.Actions as buttons; Reply.Announce is posted publicly.
func (a *Adapter) slashCommand(ctx context.Context, h adapters.Handler, sc slack.SlashCommand) {
	invoker, admin := a.lookupUser(ctx, sc.UserID, sc.UserName)
	cmd := adapters.Command{
		Channel:     adapters.ChannelRef{Platform: platform, ChatID: sc.ChannelID},
		Invoker:     invoker,
		IsAdmin:     admin,
		Text:        strings.TrimSpace(sc.Text),
		Time:        time.Now(),
		Interactive: true,
	}
	a.answer(ctx, h, cmd, sc.ResponseURL, false)
}

// ShortcutCallbackID is the callback_id of the message shortcut "Post to forum from here", as
// deploy/slack-app-manifest.yaml declares it.
const ShortcutCallbackID = "post_from_here"

// messageShortcut runs "Post to forum from here" on a message: it opens the form that asks for
// the topic's title and category, whose submission previews the transcript from that message (in
// its thread when it is a reply). When the form cannot open (its trigger_id expired, say), it
// runs a bare `post` from that message at once. Either way the answer goes to the invoker alone
// through the shortcut's response_url; the bot's permission check is the slash command's.
func (a *Adapter) messageShortcut(ctx context.Context, h adapters.Handler, cb slack.InteractionCallback) {
	ts := cb.Message.Timestamp
	if ts == "" {
		ts = cb.MessageTs
	}
	if cb.Channel.ID == "" || cb.User.ID == "" || ts == "" {
		a.log.Warn("ignored a message shortcut without channel, user or message",
			"channel", cb.Channel.ID, "user", cb.User.ID)
		return
	}
	if cb.ActionTs != "" {
		key := "shortcut/" + cb.User.ID + "/" + cb.ActionTs
		if a.seen.Contains(key) {
			return // Slack resent it, its ack lost
		}
		a.seen.Add(key, struct{}{})
	}
	thread := ""
	if root := cb.Message.ThreadTimestamp; root != "" && root != ts {
		thread = root
	}
	meta := formMeta{Channel: cb.Channel.ID, Start: ts, Thread: thread, ResponseURL: cb.ResponseURL}
	err := a.openForm(ctx, cb.TriggerID, categoryHint(ctx, h), meta)
	if err == nil {
		return
	}
	a.log.Warn("could not open the transcript form; previewing at once", "channel", cb.Channel.ID, "err", err)
	invoker, admin := a.lookupUser(ctx, cb.User.ID, cb.User.Name)
	cmd := adapters.Command{
		Channel:     adapters.ChannelRef{Platform: platform, ChatID: cb.Channel.ID},
		Invoker:     invoker,
		IsAdmin:     admin,
		Text:        "post",
		StartAt:     adapters.MessageRef(ts),
		Thread:      adapters.MessageRef(thread),
		Time:        a.now(),
		Interactive: true,
	}
	a.answer(ctx, h, cmd, cb.ResponseURL, false)
}

// answer runs an interactive command (a slash command or a button press) and sends the reply
// through responseURL: as a new ephemeral message, or replacing the message that held the
// pressed button when replace is set. Reply.Announce is posted publicly; when the bot cannot
// post in the channel, the reply says how to invite it. It reports whether the reply refused.
func (a *Adapter) answer(ctx context.Context, h adapters.Handler, cmd adapters.Command, responseURL string, replace bool) (refused bool) {
	reply := h.HandleCommand(ctx, cmd)
	text := render(reply.Text)
	if len(reply.Announce) > 0 {
		_, err := a.post(ctx, cmd.Channel.ChatID, slack.MsgOptionText(render(reply.Announce), false),
			slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
		switch {
		case isNotMember(err):
			text += "\n\n" + a.inviteHint()
		case err != nil:
			a.log.Warn("could not post a command's announcement", "channel", cmd.Channel.ChatID, "err", err)
		}
	}
	if strings.TrimSpace(text) == "" && len(reply.Actions) == 0 {
		return reply.Refused
	}
	// A refused press answers in a message of its own: the preview keeps its buttons.
	a.respond(ctx, responseURL, replace && !reply.Refused, text, a.buttons(reply.Actions))
	return reply.Refused
}

// inviteHint is the reply when the bot is not in a channel.
func (a *Adapter) inviteHint() string {
	return "I am not in this channel, so I cannot post here: invite me with /invite @" + escape(a.botName())
}

// respond answers through a response_url, visible to the invoker only: a new message, or the
// replacement of the message whose button was pressed. With buttons the text goes into section
// blocks above them (and, cut short, into the notification fallback).
func (a *Adapter) respond(ctx context.Context, responseURL string, replace bool, text string, buttons []slack.BlockElement) {
	if responseURL == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	opts := []slack.MsgOption{slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral)}
	if replace {
		opts = append(opts, slack.MsgOptionReplaceOriginal(responseURL))
	}
	if len(buttons) == 0 {
		opts = append(opts, slack.MsgOptionText(text, false))
	} else {
		opts = append(opts, slack.MsgOptionText(truncate(text, maxFallback), false),
			slack.MsgOptionBlocks(replyBlocks(text, buttons, a.now().Add(adapters.ButtonLife))...))
	}
	_, _, err := a.api.PostMessageContext(ctx, "", opts...)
	if err != nil {
		a.log.Warn("could not answer through the response_url", "replace", replace, "err", redact(err, responseURL))
	}
}

// mentionPrefix matches the bot's mention "<@U123>" or "<@U123|name>".
var mentionRe = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>`)

// mention runs "@bot watch …": the text after the bot's mention. The reply is posted in the
// channel, in the thread when the mention was in one.
func (a *Adapter) mention(ctx context.Context, h adapters.Handler, ev slackevents.AppMentionEvent) {
	self, _, _ := a.self.get()
	if ev.BotID != "" || ev.User == "" || ev.User == self {
		return // bots do not command the bot, and it never answers itself
	}
	key := ev.Channel + "/" + ev.TimeStamp
	if a.seen.Contains(key) {
		return // Slack resent an event we already took
	}
	a.seen.Add(key, struct{}{})
	invoker, admin := a.lookupUser(ctx, ev.User, "")
	cmd := adapters.Command{
		Channel: adapters.ChannelRef{Platform: platform, ChatID: ev.Channel},
		Invoker: invoker,
		IsAdmin: admin,
		Text:    mentionText(ev.Text, self),
		Message: adapters.MessageRef(ev.TimeStamp),
		Thread:  adapters.MessageRef(ev.ThreadTimeStamp),
		Time:    tsTime(ev.TimeStamp),
	}
	reply := h.HandleCommand(ctx, cmd)
	text := render(reply.Text)
	if strings.TrimSpace(text) == "" {
		return
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false),
		slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl()}
	if ev.ThreadTimeStamp != "" {
		opts = append(opts, slack.MsgOptionTS(ev.ThreadTimeStamp))
	}
	if _, err := a.post(ctx, ev.Channel, opts...); err != nil {
		a.log.Warn("could not reply to a mention", "channel", ev.Channel, "err", err)
	}
}

// mentionText returns the command in a mention: the text after the bot's own mention (the
// first mention when the bot's id is unknown), trimmed.
func mentionText(text, self string) string {
	for _, m := range mentionRe.FindAllStringSubmatchIndex(text, -1) {
		if self == "" || text[m[2]:m[3]] == self {
			return strings.TrimSpace(text[m[1]:])
		}
	}
	return strings.TrimSpace(text)
}
