package matrix

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"maunium.net/go/mautrix"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// defaultRateWait is the wait assumed for an M_LIMIT_EXCEEDED that names none.
const defaultRateWait = 5 * time.Second

// classify turns a mautrix error into the contract's verdicts: M_LIMIT_EXCEEDED (or HTTP 429)
// waits retry_after_ms (or Retry-After), 400/401/403/404 are permanent, the rest may be retried.
// The error text never holds the access token: mautrix sends it in a header, not the URL.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return fmt.Errorf("matrix %s: %w", op, err)
	}
	wrapped := fmt.Errorf("matrix %s: %w", op, err)
	status := he.Response.StatusCode
	if wait, ok := rateLimited(he); ok {
		return adapters.RetryAfter(wait, wrapped)
	}
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusRequestEntityTooLarge:
		return adapters.Permanent(wrapped)
	}
	return wrapped
}

// rateLimited reports whether he is a rate limit and how long the server asks to wait.
func rateLimited(he mautrix.HTTPError) (time.Duration, bool) {
	limited := he.Response != nil && he.Response.StatusCode == http.StatusTooManyRequests
	if he.RespError != nil && he.RespError.ErrCode == mautrix.MLimitExceeded.ErrCode {
		limited = true
	}
	if !limited {
		return 0, false
	}
	if he.RespError != nil {
		if ms, ok := he.RespError.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond, true
		}
	}
	if he.Response != nil {
		if s, err := strconv.Atoi(he.Response.Header.Get("Retry-After")); err == nil && s > 0 {
			return time.Duration(s) * time.Second, true
		}
	}
	return defaultRateWait, true
}

// isUnknownToken reports whether the server rejected the access token.
func isUnknownToken(err error) bool {
	return errors.Is(err, mautrix.MUnknownToken) || errors.Is(err, mautrix.MMissingToken)
}

// isForbidden reports whether the server refused the call (not in the room, not allowed).
func isForbidden(err error) bool { return errors.Is(err, mautrix.MForbidden) }
