package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Check implements adapters.Checker: the token (getMe), privacy mode (which decides whether the
// chat log sees ordinary messages), the webhook (which would block getUpdates), and for each
// Telegram channel that the chat exists and the bot may post there.
func (a *Adapter) Check(ctx context.Context, channels []adapters.ChannelRef) ([]string, error) {
	var (
		report []string
		errs   []error
	)
	var me tgbotapi.User
	if err := a.call(ctx, "getMe", nil, callTimeout, &me); err != nil {
		if isAuthFailure(err) {
			err = fmt.Errorf("the token was refused (revoked or mistyped?): %w", err)
		}
		report = append(report, "getMe: FAILED: "+failure(err, "getMe"))
		return report, fmt.Errorf("telegram: getMe: %w", err)
	}
	report = append(report, "getMe: ok as @"+me.UserName)
	switch {
	case me.CanReadAllGroupMessages:
		report = append(report, "privacy mode: off, the bot sees every group message (chat log for transcripts works)")
	case a.cfg.ChatLog != nil:
		report = append(report, "privacy mode: ON, the bot sees only commands, so transcripts of groups where it is not an admin stay empty; turn it off with @BotFather: /setprivacy → Disable, then remove and re-add the bot to each group")
	default:
		report = append(report, "privacy mode: on (fine: the chat log is off)")
	}

	var hook tgbotapi.WebhookInfo
	switch err := a.call(ctx, "getWebhookInfo", nil, callTimeout, &hook); {
	case err != nil:
		report = append(report, "getWebhookInfo: FAILED: "+failure(err, "getWebhookInfo"))
		errs = append(errs, err)
	case hook.URL != "":
		// The URL may carry a secret of whoever set it; the host is enough to recognise it.
		report = append(report, "webhook: SET ("+webhookHost(hook.URL)+"): "+ErrWebhookSet.Error())
		errs = append(errs, ErrWebhookSet)
	default:
		report = append(report, "webhook: none (long polling works)")
	}

	for _, ch := range channels {
		if ch.Platform != platform {
			continue
		}
		line, err := a.checkChannel(ctx, ch, me.ID)
		report = append(report, line)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return report, fmt.Errorf("telegram: %w", err)
	}
	return report, nil
}

// chatInfo is the part of getChat's answer Check reads; is_forum is newer than the SDK.
type chatInfo struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	UserName string `json:"username"`
	IsForum  bool   `json:"is_forum"`
}

// checkChannel checks one channel: the chat exists, the bot is in it and may post.
func (a *Adapter) checkChannel(ctx context.Context, ch adapters.ChannelRef, botID int64) (string, error) {
	prefix := ch.String() + ": "
	chatID, err := strconv.ParseInt(ch.ChatID, 10, 64)
	if err != nil {
		return prefix + "FAILED: the chat id is not a number (send /getchatid in the chat)", fmt.Errorf("%s: chat id is not a number", ch)
	}
	var chat chatInfo
	if err := a.call(ctx, "getChat", tgbotapi.Params{"chat_id": ch.ChatID}, callTimeout, &chat); err != nil {
		if apiErr, ok := apiError(err); ok && apiErr.MigrateToChatID != 0 {
			return prefix + fmt.Sprintf("FAILED: the group became supergroup %d; use telegram:%d", apiErr.MigrateToChatID, apiErr.MigrateToChatID), fmt.Errorf("%s: %w", ch, err)
		}
		hint := " (is the bot a member of this chat?)"
		if adapters.IsNetworkError(err) {
			hint = ""
		}
		return prefix + "FAILED: " + failure(err, "") + hint, fmt.Errorf("%s: %w", ch, err)
	}
	if ch.ThreadID != "" && !chat.IsForum {
		return prefix + "FAILED: the chat has no topics, so a topic id does not fit", fmt.Errorf("%s: not a forum supergroup", ch)
	}
	var member struct {
		Status          string `json:"status"`
		CanPostMessages bool   `json:"can_post_messages"`
		CanSendMessages *bool  `json:"can_send_messages"`
	}
	params := tgbotapi.Params{"chat_id": strconv.FormatInt(chatID, 10), "user_id": strconv.FormatInt(botID, 10)}
	if err := a.call(ctx, "getChatMember", params, callTimeout, &member); err != nil {
		return prefix + "FAILED: " + failure(err, ""), fmt.Errorf("%s: %w", ch, err)
	}
	name := fmt.Sprintf("%s %q", chat.Type, chat.Title)
	switch {
	case member.Status == "left" || member.Status == "kicked":
		return prefix + "FAILED: the bot is not a member of " + name, fmt.Errorf("%s: bot is %s", ch, member.Status)
	case chat.Type == "channel" && !(member.Status == "creator" || member.Status == "administrator" && member.CanPostMessages):
		return prefix + "FAILED: in a channel the bot must be an administrator allowed to post messages", fmt.Errorf("%s: cannot post in channel", ch)
	case member.Status == "restricted" && member.CanSendMessages != nil && !*member.CanSendMessages:
		return prefix + "FAILED: the bot may not send messages in " + name, fmt.Errorf("%s: bot is restricted", ch)
	}
	return prefix + "ok, " + name + ", bot is " + member.Status, nil
}

// webhookHost is the host of a webhook URL, enough to tell whose it is without its path.
func webhookHost(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return "unparsable URL"
}

// failure is a call's error for a report line: without the method's own prefix when the line
// already names it (method not ""), and saying so when the Bot API was not reached at all.
func failure(err error, method string) string {
	msg := err.Error()
	if method != "" {
		msg = strings.TrimPrefix(msg, method+": ")
	}
	if adapters.IsNetworkError(err) {
		msg += " (" + adapters.NetworkHint + ")"
	}
	return msg
}
