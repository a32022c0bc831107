package adapters

import (
	"context"
	"errors"
	"io"
	"net"
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
