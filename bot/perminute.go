package bot

import (
	"net/http"
	"sync"
	"time"
)

// perMinute counts events in the minutes of the last hour, for the web console's chart of forum
// requests. It keeps 60 counters, no history beyond.
type perMinute struct {
	mu     sync.Mutex
	now    func() time.Time
	counts [60]int
	minute [60]int64 // the unix minute each counter belongs to
}

func newPerMinute(now func() time.Time) *perMinute {
	if now == nil {
		now = time.Now
	}
	return &perMinute{now: now}
}

func (p *perMinute) add() {
	m := p.now().Unix() / 60
	p.mu.Lock()
	defer p.mu.Unlock()
	i := m % 60
	if p.minute[i] != m {
		p.minute[i], p.counts[i] = m, 0
	}
	p.counts[i]++
}

// last returns the counts of the last n minutes, oldest first, the current minute last.
func (p *perMinute) last(n int) []int {
	n = min(max(n, 1), 60)
	m := p.now().Unix() / 60
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, n)
	for k := range n {
		want := m - int64(n-1-k)
		if i := want % 60; p.minute[i] == want {
			out[k] = p.counts[i]
		}
	}
	return out
}

// counting is a RoundTripper that counts every request in a perMinute.
type counting struct {
	next http.RoundTripper
	c    *perMinute
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.c.add()
	return c.next.RoundTrip(r)
}
