package poll

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWithinChecksUntilTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	if !(Wait{Limit: 10 * time.Second, Every: time.Millisecond}).Within(func() bool { return n.Add(1) == 3 }) {
		t.Fatal("Within gave up on a condition that held at the third check")
	}
	if got := n.Load(); got != 3 {
		t.Errorf("checked %d times, want 3 (stop as soon as it holds)", got)
	}
}

func TestWithinGivesUpAtTheLimit(t *testing.T) {
	var n atomic.Int32
	if (Wait{Limit: 20 * time.Millisecond}).Within(func() bool { n.Add(1); return false }) {
		t.Fatal("Within reported a condition that never held")
	}
	if n.Load() < 2 {
		t.Errorf("checked %d times, want it checked again before giving up", n.Load())
	}
}

// fakeTB records a Fatalf instead of stopping the test.
type fakeTB struct {
	testing.TB
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestUntilFailsTheTestNamingWhatItWaitedFor(t *testing.T) {
	f := &fakeTB{TB: t}
	Wait{Limit: 10 * time.Millisecond}.Until(f, "the answer", func() bool { return false })
	if !strings.Contains(f.failed, "the answer") {
		t.Fatalf("Until failed with %q for a condition that never held, want a failure naming the answer", f.failed)
	}
	f.failed = ""
	Wait{Limit: time.Second}.Until(f, "the answer", func() bool { return true })
	if f.failed != "" {
		t.Errorf("Until failed the test for a condition that held: %q", f.failed)
	}
}
