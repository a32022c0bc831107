// Package poll waits, in tests, for a condition to hold: it checks at once and then every few
// milliseconds, up to a limit. Tests wait on events this way, never on fixed sleeps.
package poll

import (
	"testing"
	"time"
)

// Wait says how long to wait for a condition at the most and how often to check it.
type Wait struct {
	Limit time.Duration // how long at the most
	Every time.Duration // how often; 5 ms when zero
}

// Within checks cond until it holds, and reports whether it did before the limit passed.
func (w Wait) Within(cond func() bool) bool {
	every := w.Every
	if every <= 0 {
		every = 5 * time.Millisecond
	}
	deadline := time.Now().Add(w.Limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
	return true
}

// Until checks cond until it holds, and fails the test at once ("timed out after <limit>
// waiting for <what>") if it does not before the limit passes.
func (w Wait) Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !w.Within(cond) {
		t.Fatalf("timed out after %s waiting for %s", w.Limit, what)
	}
}
