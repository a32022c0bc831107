// Package transcripttest checks transcripts as the forum receives them, for the bot's end-to-end
// tests against the fakes and the suites against real chat servers alike.
package transcripttest

import (
	"strings"
	"testing"
)

// InOrder fails the test at once unless raw holds every one of want, in that order.
func InOrder(t testing.TB, raw string, want ...string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(raw[at:], w)
		if i < 0 {
			t.Fatalf("the transcript lacks %q after byte %d:\n%s", w, at, raw)
		}
		at += i + len(w)
	}
}
