package slack

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/time/rate"
)

// Slack allows an app about one message per second per channel, with short bursts
// (https://api.slack.com/methods/chat.postMessage#rate_limiting). The adapter paces its own
// channel posts to that so the outbox rarely meets a 429.
const (
	postsPerSecond = 1
	postBurst      = 4
	maxLimiters    = 4096 // channels remembered; beyond that the map starts afresh
)

// channelLimiter paces posts per channel.
type channelLimiter struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newChannelLimiter() *channelLimiter {
	return &channelLimiter{m: map[string]*rate.Limiter{}}
}

// wait blocks until a post to channel is allowed or ctx is done.
func (l *channelLimiter) wait(ctx context.Context, channel string) error {
	l.mu.Lock()
	lim := l.m[channel]
	if lim == nil {
		if len(l.m) >= maxLimiters {
			l.m = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(postsPerSecond, postBurst)
		l.m[channel] = lim
	}
	l.mu.Unlock()
	if err := lim.Wait(ctx); err != nil {
		return fmt.Errorf("pace posts in %s: %w", channel, err)
	}
	return nil
}
