package discord

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
)

// JSON error codes of the REST API that the adapter acts on.
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes
const (
	codeUnknownChannel       = 10003
	codeUnknownMessage       = 10008
	codeThreadAlreadyCreated = 160004
)

// tokenInURL matches the secret part of interaction and webhook URLs, which transport errors
// (*url.Error) quote in full.
var tokenInURL = regexp.MustCompile(`((?:interactions|webhooks)/[0-9]+/)[^/\s"?]+`)

// redactedError keeps err's chain but not the secrets in its message.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact hides interaction and webhook tokens in err's message.
func redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := tokenInURL.ReplaceAllString(msg, "${1}<redacted>")
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// restStatus returns the HTTP status and JSON error code of a REST error, or 0, 0.
func restStatus(err error) (status, code int) {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		status = re.Response.StatusCode
		if re.Message != nil {
			code = re.Message.Code
		}
	}
	return status, code
}

func isAuthError(err error) bool {
	if errors.Is(err, discordgo.ErrUnauthorized) {
		return true
	}
	status, _ := restStatus(err)
	return status == http.StatusUnauthorized
}

func hasCode(err error, code int) bool {
	_, c := restStatus(err)
	return c == code
}

// classify turns a REST error into the contract's verdicts by the shared table (plumbing.Verdict):
// 429 → retry after the wait Discord asks for; other 4xx → permanent; network and 5xx stay plain.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("discord: %s: %w", what, redact(err))
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return adapters.RetryAfter(atLeast(rl.RetryAfter), wrapped)
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		v := plumbing.Verdict(re.Response.StatusCode, re.Response.Header, wrapped)
		if wait, ok := adapters.RetryAfterOf(v); ok {
			return adapters.RetryAfter(atLeast(wait), wrapped)
		}
		return v
	}
	if errors.Is(err, discordgo.ErrUnauthorized) {
		return adapters.Permanent(wrapped)
	}
	return wrapped
}

// atLeast keeps a retry-after wait sane: Discord's floats can round to zero.
func atLeast(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return d
}
