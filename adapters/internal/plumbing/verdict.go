package plumbing

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// DefaultRetryAfter is the wait for a 429 that names none.
const DefaultRetryAfter = time.Second

// Verdict turns a failed HTTP exchange into the contract's verdicts, one table for every
// platform (as Alertmanager's Retrier): 429 asks to wait (Retry-After in seconds or as an
// HTTP-date), 401, 403 and the other 4xx are permanent, 5xx and transport errors (status 0) are
// retried with backoff. err is the error to wrap; status 2xx/3xx gives err unchanged.
func Verdict(status int, header http.Header, err error) error {
	if err == nil {
		err = fmt.Errorf("HTTP %d", status)
	}
	switch {
	case status == http.StatusTooManyRequests:
		return adapters.RetryAfter(RetryAfter(header, time.Now()), err)
	case status == http.StatusRequestTimeout:
		return err
	case status >= 400 && status < 500:
		return adapters.Permanent(err)
	}
	return err
}

// RetryAfter reads a Retry-After header (seconds, or an HTTP-date measured from now); absent or
// unreadable, DefaultRetryAfter.
func RetryAfter(header http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(header.Get("Retry-After"))
	if v == "" {
		return DefaultRetryAfter
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0)
	}
	return DefaultRetryAfter
}

// RedactString replaces every secret in s, as is and URL-escaped (transport errors quote the
// URL they called), with "<redacted>". Empty secrets are ignored.
func RedactString(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		for _, form := range escapedForms(secret) {
			s = strings.ReplaceAll(s, form, "<redacted>")
		}
	}
	return s
}
