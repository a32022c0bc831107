package discoursetest

import (
	"net/http"
	"strconv"
	"time"
)

type faultKind int

const (
	faultStatus faultKind = iota
	faultRateLimit
	faultSlow
	faultMalformed
)

// fault is one injected misbehaviour, used up by the next request.
type fault struct {
	kind   faultKind
	status int
	wait   time.Duration
}

// FailNext makes the next n requests answer HTTP status (with a JSON errors body).
func (s *Server) FailNext(status, n int) { s.faults.ArmN(n, fault{kind: faultStatus, status: status}) }

// RateLimitNext makes the next request answer 429 with a Retry-After header and a body whose
// extras.wait_seconds both say retryAfter (whole seconds, rounded up, as the forum does). The
// time until the following request is recorded: RateLimitWaits.
func (s *Server) RateLimitNext(retryAfter time.Duration) {
	s.faults.Arm(fault{kind: faultRateLimit, wait: retryAfter})
}

// RateLimitWaits returns, for each 429 answered so far and followed by another request, the
// time between the two.
func (s *Server) RateLimitWaits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.rateWaits...)
}

// SlowNext makes the next request wait d (or until the client gives up) before it is served.
func (s *Server) SlowNext(d time.Duration) { s.faults.Arm(fault{kind: faultSlow, wait: d}) }

// MalformedNext makes the next request answer 200 with a truncated JSON body.
func (s *Server) MalformedNext() { s.faults.Arm(fault{kind: faultMalformed}) }

// SetOutage makes every request, the MessageBus's included, answer 502 while on, as a forum
// behind a proxy whose backend is down; off, the forum answers again.
func (s *Server) SetOutage(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = on
}

// BrokenJSON is the BreakTopic status that answers 200 with a truncated JSON body.
const BrokenJSON = -1

// BreakTopic makes every GET /t/{id}.json of that topic answer status with a JSON errors body,
// or 200 with truncated JSON for BrokenJSON, until BreakTopic(id, 0) mends it. The topic's
// posts still appear in the post lists.
func (s *Server) BreakTopic(id int64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.brokenTopics == nil {
		s.brokenTopics = map[int64]int{}
	}
	if status == 0 {
		delete(s.brokenTopics, id)
		return
	}
	s.brokenTopics[id] = status
}

// takeFault pops the next fault and measures rate-limit waits; it is called once per request.
func (s *Server) takeFault(now time.Time) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.rateLimitedAt.IsZero() {
		s.rateWaits = append(s.rateWaits, now.Sub(s.rateLimitedAt))
		s.rateLimitedAt = time.Time{}
	}
	return s.faults.Take()
}

// applyFault answers the request for the fault and reports true, or (slow) only delays it and
// reports false.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f fault) bool {
	switch f.kind {
	case faultStatus:
		writeJSON(w, f.status, map[string]any{
			"errors":     []string{http.StatusText(f.status) + " (injected by discoursetest)"},
			"error_type": "server_error",
		})
		return true
	case faultRateLimit:
		secs := int((f.wait + time.Second - 1) / time.Second)
		s.mu.Lock()
		s.rateLimitedAt = time.Now()
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{
			"errors":     []string{"You’ve performed this action too many times. Please wait " + strconv.Itoa(secs) + " seconds before trying again."},
			"error_type": "rate_limit",
			"extras":     map[string]any{"wait_seconds": secs, "time_left": strconv.Itoa(secs) + " seconds"},
		})
		return true
	case faultSlow:
		t := time.NewTimer(f.wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		return false
	case faultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"latest_posts":[{"id":1,"cooked":"<p>trunc`))
		return true
	}
	return false
}
