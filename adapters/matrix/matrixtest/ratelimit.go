package matrixtest

import (
	"math"
	"net/http"
	"time"

	"maunium.net/go/mautrix/id"
)

// bucket is one user's message bucket, Synapse's leaky bucket: each event adds one, the level
// drains at the rate, and an event that would lift it over the burst is refused.
type bucket struct {
	level float64
	at    time.Time // when level was last brought up to date
}

// LimitSends makes the events users send (messages, edits, redactions) count against a bucket per
// user that drains perSecond and holds burst, as Synapse's rc_message does (0.2 and 10 by
// default); an event over it is answered 429 M_LIMIT_EXCEEDED with retry_after_ms and counted
// (OverLimit). Off (0) by default.
func (s *Server) LimitSends(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendRate, s.sendBurst = perSecond, burst
	s.buckets = map[id.UserID]*bucket{}
}

// OverLimit is how many sent events arrived over their user's bucket (see LimitSends).
func (s *Server) OverLimit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overLimit
}

// takeSend counts an event of user against the bucket; false means it was over and answered 429.
// Called with s.mu held.
func (s *Server) takeSend(w http.ResponseWriter, user id.UserID) bool {
	if s.sendRate <= 0 {
		return true
	}
	now := time.Now()
	b := s.buckets[user]
	if b == nil {
		b = &bucket{at: now}
		s.buckets[user] = b
	}
	b.level = max(0, b.level-now.Sub(b.at).Seconds()*s.sendRate)
	b.at = now
	if b.level+1 > float64(s.sendBurst) {
		s.overLimit++
		wait := (b.level + 1 - float64(s.sendBurst)) / s.sendRate
		limitExceeded(w, time.Duration(math.Ceil(wait*1000))*time.Millisecond)
		return false
	}
	b.level++
	return true
}

// limitExceeded answers 429 M_LIMIT_EXCEEDED asking to wait d.
func limitExceeded(w http.ResponseWriter, d time.Duration) {
	reply(w, http.StatusTooManyRequests, map[string]any{"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": d.Milliseconds()})
}

// fault is a failure armed for a send or a /sync: 429 M_LIMIT_EXCEEDED with retry_after_ms, or
// 502.
type fault struct {
	status int
	wait   time.Duration
}

func (f fault) answer(w http.ResponseWriter) {
	if f.status == http.StatusTooManyRequests {
		limitExceeded(w, f.wait)
		return
	}
	fail(w, f.status, "M_UNKNOWN", "bad gateway")
}

// RateLimitNext implements adaptertest.Fake: the next send answers 429 M_LIMIT_EXCEEDED with
// retry_after_ms.
func (s *Server) RateLimitNext(retryAfter time.Duration) {
	s.sends.Arm(fault{http.StatusTooManyRequests, retryAfter})
}

// ServerErrorNext implements adaptertest.Fake: the next send answers 502.
func (s *Server) ServerErrorNext() { s.sends.Arm(fault{status: http.StatusBadGateway}) }

// RateLimitSyncNext makes the next /sync answer 429 M_LIMIT_EXCEEDED with retry_after_ms.
func (s *Server) RateLimitSyncNext(retryAfter time.Duration) {
	s.syncFaults.Arm(fault{http.StatusTooManyRequests, retryAfter})
}

// FailSyncs makes the next n /sync calls answer 502.
func (s *Server) FailSyncs(n int) { s.syncFaults.ArmN(n, fault{status: http.StatusBadGateway}) }
