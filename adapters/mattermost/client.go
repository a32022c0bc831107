package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/pace"
)

// ctxTransport binds the v6 client's context-less requests to a caller's context, which carries
// the call's deadline and the bot's shutdown, and paces them to the server's rate limit.
type ctxTransport struct {
	base  http.RoundTripper
	ctx   context.Context
	pacer *pace.Pacer
	limit pace.Limit
}

// RoundTrip implements http.RoundTripper.
func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.pacer.Wait(t.ctx, pace.Lane{Key: requestsLane, Limit: t.limit}); err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, fmt.Errorf("pace %s %s: %w", r.Method, r.URL.Path, err)
	}
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// client returns a copy of the REST client whose requests are bound to ctx and to callTimeout.
// Call cancel once the call has returned (the SDK has read and closed the body by then).
func (a *Adapter) client(ctx context.Context) (*model.Client4, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	hc := *a.http
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = ctxTransport{base: base, ctx: ctx, pacer: a.pacer, limit: a.limits.Requests}
	c := *a.api
	c.HTTPClient = &hc
	return &c, cancel
}

// call runs one REST call with a bounded context and classifies its error (see classify).
func call[T any](ctx context.Context, a *Adapter, op string, f func(c *model.Client4) (T, *model.Response, error)) (T, error) {
	c, cancel := a.client(ctx)
	defer cancel()
	v, resp, err := f(c)
	if err != nil {
		var zero T
		return zero, classify(op, resp, err)
	}
	return v, nil
}

// statusOf returns the HTTP status carried by a classified error, or 0.
func statusOf(err error) int {
	var s *statusError
	if errors.As(err, &s) {
		return s.status
	}
	return 0
}

// statusError records the HTTP status of a failed call.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// classify turns a failed call into the contract's verdicts, by the shared table
// (plumbing.Verdict): 429 waits what the server asks, other 4xx (bot not in the channel, channel
// gone, token refused, too large) are permanent, network errors and 5xx are retried. Errors never
// contain the token: the v6 client sends it in a header.
func classify(op string, resp *model.Response, err error) error {
	if resp == nil || resp.StatusCode == 0 {
		return fmt.Errorf("mattermost %s: %w", op, err)
	}
	wrapped := &statusError{status: resp.StatusCode, err: fmt.Errorf("mattermost %s: HTTP %d: %w", op, resp.StatusCode, err)}
	if resp.StatusCode == http.StatusTooManyRequests { // Mattermost's own headers
		return adapters.RetryAfter(retryWait(resp.Header), wrapped)
	}
	return plumbing.Verdict(resp.StatusCode, resp.Header, wrapped)
}

// retryWait reads how long a 429 asks us to wait: Mattermost's rate limiter sends both
// X-RateLimit-Reset and Retry-After, in seconds. Without either, wait a second.
// https://docs.mattermost.com/configure/rate-limiting-configuration-settings.html
func retryWait(h http.Header) time.Duration {
	var wait time.Duration
	for _, k := range []string{"Retry-After", "X-RateLimit-Reset"} {
		v := strings.TrimSpace(h.Get(k))
		if v == "" {
			continue
		}
		if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
			if d := time.Duration(n * float64(time.Second)); d > wait {
				wait = d
			}
		} else if t, err := http.ParseTime(v); err == nil {
			if d := time.Until(t); d > wait {
				wait = d
			}
		}
	}
	if wait <= 0 {
		wait = time.Second
	}
	return wait
}
