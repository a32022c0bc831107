package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
)

// callTimeout bounds every Bot API call but getUpdates, whose bound is the poll timeout plus this.
const callTimeout = 15 * time.Second

// ctxDoer binds the SDK's context-free requests to a context, so that cancelling Run aborts a
// held long poll at once and every call has a deadline.
type ctxDoer struct {
	ctx    context.Context
	client *http.Client
}

func (d ctxDoer) Do(req *http.Request) (*http.Response, error) {
	return d.client.Do(req.WithContext(d.ctx))
}

// api returns a copy of the SDK client whose requests run under ctx. The SDK takes no context,
// but its BotAPI is a plain struct whose Client we can swap per call.
func (a *Adapter) api(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.bot
	b.Client = ctxDoer{ctx: ctx, client: a.cfg.HTTPClient}
	return &b
}

// call runs one Bot API method with params under a timeout and returns its result, with the
// token scrubbed from any error.
func (a *Adapter) call(ctx context.Context, method string, params tgbotapi.Params, timeout time.Duration, result any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := a.api(ctx).MakeRequest(method, params)
	if err != nil {
		return fmt.Errorf("%s: %w", method, a.scrub(err))
	}
	if result != nil {
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return fmt.Errorf("%s: decode result: %w", method, err)
		}
	}
	return nil
}

// scrubbedError is an SDK or transport error with the bot token cut out of its text. It unwraps
// only to what callers test for (the API's verdict, a context error), never to the original URL.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

// scrub removes the token from err: the SDK's URLs are ".../bot<token>/method", so a transport
// error (*url.Error) would otherwise print it into logs and the outbox.
func (a *Adapter) scrub(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		// The API's own answer; its description comes from the server and carries no token.
		return &scrubbedError{msg: redact(apiErr.Error(), a.cfg.Token), cause: apiErr}
	}
	var cause error
	switch {
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	default:
		// The dial's own error names the host and port, never the URL's path with the token:
		// keeping it lets callers tell a network problem (adapters.IsNetworkError).
		var op *net.OpError
		if errors.As(err, &op) {
			cause = op
		}
	}
	return &scrubbedError{msg: redact(err.Error(), a.cfg.Token), cause: cause}
}

// redact replaces every form of token in s.
func redact(s, token string) string { return plumbing.RedactString(s, token) }

// apiError returns the Bot API's error in err's chain, if the server answered with one.
func apiError(err error) (*tgbotapi.Error, bool) {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		return apiErr, true
	}
	return nil, false
}

// classify turns a send error into the contract's verdict: 429 waits retry_after, a client
// error (400 chat not found, 403 bot kicked) is permanent, anything else is retried.
func classify(err error) error {
	apiErr, ok := apiError(err)
	if !ok {
		return err
	}
	switch {
	case apiErr.Code == http.StatusTooManyRequests:
		wait := time.Duration(apiErr.RetryAfter) * time.Second
		if wait <= 0 {
			wait = time.Second
		}
		return adapters.RetryAfter(wait, err)
	case apiErr.Code == http.StatusBadRequest && apiErr.MigrateToChatID != 0:
		return adapters.Permanent(fmt.Errorf("the group became supergroup %d (the bot moves the channel when it sees the migration): %w", apiErr.MigrateToChatID, err))
	case apiErr.Code == http.StatusBadRequest, apiErr.Code == http.StatusForbidden:
		return adapters.Permanent(err)
	}
	return err
}

// isAuthFailure reports whether err says the token is not valid (revoked or mistyped): no retry
// can fix that.
func isAuthFailure(err error) bool {
	apiErr, ok := apiError(err)
	return ok && (apiErr.Code == http.StatusUnauthorized || apiErr.Code == http.StatusNotFound)
}
