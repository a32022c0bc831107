package discourse

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// ErrAuth is in the chain of every error the forum answers with 401 or 403: the API key or the
// API username is wrong, or the user lacks the right.
var ErrAuth = errors.New("the forum rejected forum.api_key / forum.api_username")

// ErrTooLarge is in the chain of an error for a forum answer larger than the client reads
// (ClientConfig.MaxBody).
var ErrTooLarge = errors.New("the forum's answer is over the client's size cap")

// APIError is an HTTP error answer of the forum. Errors holds the body's "errors" list, when it
// has one.
type APIError struct {
	Endpoint string // "GET /posts.json"
	Status   int
	Errors   []string
}

// Error reads like "GET /posts.json: HTTP 422: Title is too short".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d", e.Endpoint, e.Status)
	if e.Status == 401 || e.Status == 403 {
		b.WriteString(" (check forum.api_key and forum.api_username: the key must be valid for that user)")
	}
	if len(e.Errors) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Errors, "; "))
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrAuth) true for 401 and 403.
func (e *APIError) Unwrap() error {
	if e.Status == 401 || e.Status == 403 {
		return ErrAuth
	}
	return nil
}

// IsNotFound reports whether err is the forum's 404 answer.
func IsNotFound(err error) bool {
	var a *APIError
	return errors.As(err, &a) && a.Status == 404
}

// DecodeError says the forum's answer was not the JSON expected at that endpoint.
type DecodeError struct {
	Endpoint string
	Err      error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s: malformed JSON answer: %v", e.Endpoint, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// The kinds of forum failure ErrorKind tells apart: the label of the forum errors metric, and
// what `check` hints at.
const (
	KindNetwork     = "network"      // DNS, connection refused or reset, TLS: the forum was not reached
	KindTimeout     = "timeout"      // no answer in time
	KindAuth        = "auth"         // 401/403: the key, the user or its rights
	KindRateLimited = "rate_limited" // 429: over the admin API budget
	KindServer      = "server"       // 5xx
	KindClient      = "client"       // another 4xx (404: an endpoint or plugin missing)
	KindDecode      = "decode"       // an answer that is not the JSON expected
	KindOther       = "other"
)

// ErrorKind classifies a forum call's error.
func ErrorKind(err error) string {
	var api *APIError
	var dec *DecodeError
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &api):
		switch {
		case api.Status == 401 || api.Status == 403:
			return KindAuth
		case api.Status == 429:
			return KindRateLimited
		case api.Status >= 500:
			return KindServer
		}
		return KindClient
	case errors.As(err, &dec):
		return KindDecode
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.As(err, &dns), errors.As(err, &op), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF):
		return KindNetwork
	}
	var tls *tls.CertificateVerificationError
	if errors.As(err, &tls) {
		return KindNetwork
	}
	return KindOther
}
