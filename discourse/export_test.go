package discourse

import "time"

// SetLiveTiming shortens live mode's pacing for tests: gap spaces long polls that brought
// nothing (default: the poll interval), retry is the first wait before a failed MessageBus is
// tried again (default 30 s).
func SetLiveTiming(p *Poller, gap, retry time.Duration) {
	p.liveGap, p.liveRetry = gap, retry
}
