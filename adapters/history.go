package adapters

import (
	"errors"
	"fmt"
)

// HistoryMode is the stretch of history a HistoryQuery asks for.
type HistoryMode int

// The history modes, in the order HistoryPlan tries the query's fields.
const (
	// HistoryLatest is the channel's newest messages.
	HistoryLatest HistoryMode = iota
	// HistoryFrom is the message FromLink names and every message after it.
	HistoryFrom
	// HistoryThreadLink is the thread that the message ThreadLink names roots or belongs to.
	HistoryThreadLink
	// HistoryThread is the thread rooted at Thread.
	HistoryThread
)

// History limits shared by every platform.
const (
	// DefaultHistoryLimit is a query's limit when it sets none (transcript.max_messages's default).
	DefaultHistoryLimit = 500
	// MaxHistoryLimit bounds every read, whatever the query asks: transcript.max_messages's
	// upper bound.
	MaxHistoryLimit = 10_000
)

// HistoryPlan is how every adapter reads q: which stretch, and the most messages to read. The
// newest messages are cut to q.Limit; a range (from a link, a thread) is read one message past
// its cap, q.Limit, so that CheckRange can refuse a range longer than the cap instead of cutting
// it silently. A link beats a thread id when a query sets both.
func HistoryPlan(q HistoryQuery) (HistoryMode, int) {
	limit := historyCap(q)
	switch {
	case q.FromLink != "":
		return HistoryFrom, limit + 1
	case q.ThreadLink != "":
		return HistoryThreadLink, limit + 1
	case q.Thread != "":
		return HistoryThread, limit + 1
	}
	return HistoryLatest, limit
}

// HistoryReads are one platform's reads of each stretch of history, for ReadHistory. Each gets
// the limit HistoryPlan picks and returns the stretch oldest first; a link that names no message
// of the query's channel is ErrBadLink.
type HistoryReads[M any] struct {
	// Latest reads the channel's newest limit messages.
	Latest func(limit int) ([]M, error)
	// From reads the message link names and those after it, at most limit.
	From func(link string, limit int) ([]M, error)
	// ThreadLink reads the thread the message link names roots or belongs to, at most limit.
	ThreadLink func(link string, limit int) ([]M, error)
	// Thread reads the thread rooted at root, at most limit.
	Thread func(root MessageRef, limit int) ([]M, error)
}

// ReadHistory is what every adapter's History does before it converts the messages: it refuses a
// channel of another platform than the named one, reads the stretch of q that HistoryPlan picks
// with the platform's reads, and refuses a range that overflows q's cap (CheckRange).
func ReadHistory[M any](q HistoryQuery, platform string, r HistoryReads[M]) ([]M, error) {
	if q.Channel.Platform != platform || q.Channel.ChatID == "" {
		return nil, fmt.Errorf("%s history: %q is not a %s channel", platform, q.Channel.String(), platform)
	}
	mode, limit := HistoryPlan(q)
	var (
		msgs []M
		err  error
	)
	switch mode {
	case HistoryFrom:
		msgs, err = r.From(q.FromLink, limit)
	case HistoryThreadLink:
		msgs, err = r.ThreadLink(q.ThreadLink, limit)
	case HistoryThread:
		msgs, err = r.Thread(q.Thread, limit)
	default:
		msgs, err = r.Latest(limit)
	}
	if err == nil {
		err = CheckRange(q, len(msgs))
	}
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// CheckRange returns a *TooLongError when the read messages of a range planned by HistoryPlan
// overflow q's cap; the newest messages never do.
func CheckRange(q HistoryQuery, read int) error {
	if mode, _ := HistoryPlan(q); mode != HistoryLatest && read > historyCap(q) {
		return &TooLongError{Max: historyCap(q)}
	}
	return nil
}

func historyCap(q HistoryQuery) int {
	if q.Limit <= 0 {
		return DefaultHistoryLimit
	}
	return min(q.Limit, MaxHistoryLimit)
}

// TooLongError is a range (from a link, a thread) that holds more messages than the query's
// limit: History refuses it rather than cutting it, on every platform alike.
type TooLongError struct{ Max int }

func (e *TooLongError) Error() string {
	return fmt.Sprintf("that range holds more than %d messages", e.Max)
}

// TooLong reports whether err's chain holds a TooLongError, and its cap.
func TooLong(err error) (int, bool) {
	var t *TooLongError
	if errors.As(err, &t) {
		return t.Max, true
	}
	return 0, false
}
