package adapters

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
)

// IsNetworkError reports whether err is a failure to reach a server at all (a name that does not
// resolve, a refused or reset connection, no answer in time) rather than the server's answer:
// `check` then says it is a network problem, not a token, a scope or a permission.
func IsNetworkError(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	return errors.As(err, &dns) || errors.As(err, &op) || errors.As(err, &ne) && ne.Timeout() ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}

// NetworkHint is what `check` adds to a failure that IsNetworkError.
const NetworkHint = "a network problem (DNS or connection), not the token or permissions"

// WebURL parses raw as an absolute http or https URL with a host, and reports whether it is
// one: what a rendered link may point at (never javascript:) and what an API base must be.
// Callers trim raw where they accept surrounding spaces.
func WebURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}
