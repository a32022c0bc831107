package adaptertest

import (
	"fmt"
	"strings"
	"testing"
)

// cleanupRecorder is a testing.TB that keeps the cleanups registered on it and the errors
// reported, so that a test can run the cleanups and read what they reported.
type cleanupRecorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *cleanupRecorder) Helper()          {}
func (r *cleanupRecorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *cleanupRecorder) Errorf(f string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, a...))
}

// end runs the cleanups as the testing package does at a test's end, last registered first.
func (r *cleanupRecorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

type strictFake struct {
	closed    bool
	unhandled []string
}

func (f *strictFake) Close() { f.closed = true }
func (f *strictFake) Unhandled() []string {
	if !f.closed {
		return nil // a fake's list is complete only once it has stopped serving
	}
	return f.unhandled
}

func TestStrict(t *testing.T) {
	tests := []struct {
		name      string
		unhandled []string
		wantError string
	}{
		{"understood everything", nil, ""},
		{"met an unknown request", []string{"POST /api/nothing"}, `the fake Example did not understand: ["POST /api/nothing"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &cleanupRecorder{}
			f := &strictFake{unhandled: tt.unhandled}
			if got := Strict(rec, "the fake Example", f); got != f {
				t.Fatal("Strict did not return the fake it was given")
			}
			if f.closed || len(rec.errors) > 0 {
				t.Fatal("Strict closed the fake or failed before the test ended")
			}
			rec.end()
			if !f.closed {
				t.Error("the fake is still open after the test ended")
			}
			if got := strings.Join(rec.errors, "\n"); got != tt.wantError {
				t.Errorf("reported %q, want %q", got, tt.wantError)
			}
		})
	}
}
