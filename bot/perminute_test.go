package bot

import (
	"slices"
	"testing"
	"time"
)

func TestPerMinute(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)
	p := newPerMinute(func() time.Time { return now })
	p.add()
	p.add()
	now = now.Add(time.Minute)
	p.add()
	now = now.Add(2 * time.Minute)
	p.add()
	if got, want := p.last(5), []int{0, 2, 1, 0, 1}; !slices.Equal(got, want) {
		t.Fatalf("last(5) = %v, want %v", got, want)
	}
	// An hour on, the counters of an hour ago are not taken for this minute's.
	now = now.Add(time.Hour)
	if got := p.last(60); slices.Max(got) != 0 {
		t.Fatalf("an hour later last(60) = %v, want all zero", got)
	}
	p.add()
	if got := p.last(2); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("last(2) = %v, want [0 1]", got)
	}
}
