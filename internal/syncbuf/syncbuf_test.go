package syncbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestBufferKeepsEveryConcurrentWrite: writes from many goroutines all arrive, whole, and -race
// finds no data race between them and String.
func TestBufferKeepsEveryConcurrentWrite(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			fmt.Fprintf(&b, "line %02d\n", i)
			_ = b.String()
		})
	}
	wg.Wait()
	got := b.String()
	for i := range 20 {
		if want := fmt.Sprintf("line %02d\n", i); !strings.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 20 {
		t.Errorf("%d lines, want 20", n)
	}
}
