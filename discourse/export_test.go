package discourse

import "time"

// SetLiveTiming shortens live mode's pacing for tests: gap spaces long polls that brought
// nothing (default: the poll interval), retry is the first wait before a failed MessageBus is
// tried again (default 30 s).
func SetLiveTiming(p *Poller, gap, retry time.Duration) {
	p.liveGap, p.liveRetry = gap, retry
}

// LiveRetryBound returns the longest wait between two tries of a failing MessageBus, after many
// failures, with the default timing.
func LiveRetryBound() time.Duration {
	eb := liveBackoff(defaultLiveRetry)
	var longest time.Duration
	for range 200 {
		longest = max(longest, eb.NextBackOff())
	}
	return longest
}
