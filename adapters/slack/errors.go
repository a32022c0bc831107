package slack

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// transientCodes are Slack "error" codes that a later retry may cure; every other code in an
// ok:false answer is a request that can never succeed as it is.
var transientCodes = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true,
	"request_timeout": true, "team_added_to_org": true,
}

// authCodes mean a token is wrong, revoked or of the wrong kind: Run gives up on them.
var authCodes = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "not_allowed_token_type": true, "missing_scope": true,
	"no_permission": true, "team_access_not_granted": true,
}

// notMemberCodes mean the bot is not in the channel (private channels hide themselves).
var notMemberCodes = map[string]bool{"not_in_channel": true, "channel_not_found": true}

// slackCode returns the "error" code of a Slack ok:false answer in err's chain, or "".
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// slackDetails returns the explanations Slack gave with an ok:false answer in err's chain
// ("downloading image failed [json-pointer:/blocks/0/image_url]"), if any.
func slackDetails(err error) []string {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return nil
	}
	var out []string
	for _, e := range se.Errors {
		if e.Message != nil && *e.Message != "" {
			out = append(out, *e.Message)
		}
	}
	if len(out) == 0 {
		for _, m := range se.ResponseMetadata.Messages {
			out = append(out, strings.TrimPrefix(m, "[ERROR] "))
		}
	}
	return out
}

// imageFailed reports whether Slack refused a message because it could not download one of its
// images. Without details, any invalid_blocks counts: a retry without the image settles it.
func imageFailed(err error) bool {
	if slackCode(err) != "invalid_blocks" {
		return false
	}
	details := slackDetails(err)
	for _, d := range details {
		if strings.Contains(d, "image") {
			return true
		}
	}
	return len(details) == 0
}

// classify wraps a failed send in the contract's verdicts: 429 → RetryAfter, a Slack error code
// that no retry cures (channel_not_found, not_in_channel, invalid_blocks …) → Permanent, and
// network errors or 5xx stay plain so the bot retries them with backoff.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("%s: %w", op, err)
	if details := slackDetails(err); len(details) > 0 {
		// Slack's code alone ("invalid_blocks") does not say what to fix.
		wrapped = fmt.Errorf("%s: %w (%s)", op, err, strings.Join(details, "; "))
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return adapters.RetryAfter(max(rl.RetryAfter, time.Second), wrapped)
	}
	if code := slackCode(err); code != "" {
		switch {
		case code == "ratelimited":
			return adapters.RetryAfter(time.Second, wrapped)
		case transientCodes[code]:
			return wrapped
		}
		return adapters.Permanent(wrapped)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusRequestTimeout {
			return adapters.Permanent(wrapped)
		}
	}
	return wrapped
}

// isAuthFailure reports whether err means a token is unusable, so reconnecting cannot help.
func isAuthFailure(err error) bool {
	if code := slackCode(err); code != "" {
		return authCodes[code]
	}
	// socketmode reports some connection failures as the bare code string.
	return err != nil && authCodes[strings.TrimSpace(err.Error())]
}

// isNotMember reports whether err says the bot is not in the channel.
func isNotMember(err error) bool { return notMemberCodes[slackCode(err)] }

// redactedError hides a secret (a response_url carries a credential in its path) from an error's
// text while keeping its chain for errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact replaces every secret in err's text with "[redacted]".
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
