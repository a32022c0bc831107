package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// tbRecorder is a testing.TB that keeps the cleanups registered on it and the errors
// reported, so that a test can run the cleanups and read what they reported.
type tbRecorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *tbRecorder) Helper()          {}
func (r *tbRecorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *tbRecorder) Errorf(f string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, a...))
}

// end runs the cleanups as the testing package does at a test's end, last registered first.
func (r *tbRecorder) end() {
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
			rec := &tbRecorder{}
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

func TestWantReport(t *testing.T) {
	report := []string{"auth: ok as @discourse", "channel #general: ok"}
	tests := []struct {
		name       string
		err        error
		wantErr    bool
		want       []string
		wantErrors int
	}{
		{"as expected", nil, false, []string{"ok as @discourse", "#general: ok"}, 0},
		{"a line missing", nil, false, []string{"ok as @discourse", "#random: ok"}, 1},
		{"an error not expected", errors.New("1 problem"), false, nil, 1},
		{"no error where one was expected", nil, true, []string{"#general"}, 1},
		{"both wrong", nil, true, []string{"#random"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &tbRecorder{}
			if all := WantReport(rec, report, tt.err, tt.wantErr, tt.want...); all != strings.Join(report, "\n") {
				t.Errorf("WantReport returned %q, want the report's lines joined", all)
			}
			if len(rec.errors) != tt.wantErrors {
				t.Errorf("reported %q, want %d errors", rec.errors, tt.wantErrors)
			}
		})
	}
}

// TestClock: the time moves only when the test moves it, and reading it while it moves is safe
// (-race).
func TestClock(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewClock(at)
	if got := c.Now(); !got.Equal(at) {
		t.Fatalf("Now = %v, want %v", got, at)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			_ = c.Now()
		}
	}()
	for range 10 {
		c.Advance(time.Minute)
	}
	<-done
	if got, want := c.Now(), at.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("Now after ten minutes = %v, want %v", got, want)
	}
}

func TestRecorderTexts(t *testing.T) {
	rec := &Recorder{}
	if got := rec.Texts(); len(got) != 0 {
		t.Fatalf("Texts before any command = %q, want none", got)
	}
	for _, text := range []string{"watch support", "status"} {
		rec.HandleCommand(t.Context(), adapters.Command{Text: text})
	}
	if got := rec.Texts(); strings.Join(got, "|") != "watch support|status" {
		t.Errorf("Texts = %q, want the commands' texts in order", got)
	}
}

// settler is a Settler whose Settle answers err.
type settler struct{ err error }

func (s settler) Settle(context.Context) error { return s.err }

func TestSettle(t *testing.T) {
	rec := &tbRecorder{}
	Settle(rec, settler{})
	if len(rec.errors) != 0 {
		t.Fatalf("a fake that settled: reported %q, want nothing", rec.errors)
	}
	Settle(rec, settler{errors.New("2 envelopes not acknowledged")})
	if want := "fake server did not settle: 2 envelopes not acknowledged"; len(rec.errors) != 1 || rec.errors[0] != want {
		t.Errorf("a fake that did not settle: reported %q, want %q", rec.errors, want)
	}
}

// TestWaitFirst: it returns the first item that satisfies ok, once one is there.
func TestWaitFirst(t *testing.T) {
	rec := &Recorder{} // a list that others add to while the test reads it
	go func() {
		for _, text := range []string{"help", "status", "status again"} {
			time.Sleep(time.Millisecond)
			rec.HandleCommand(context.Background(), adapters.Command{Text: text})
		}
	}()
	got := WaitFirst(t, "a status command", rec.Texts, func(s string) bool { return strings.HasPrefix(s, "status") })
	if got != "status" {
		t.Errorf("WaitFirst = %q, want the first item that satisfies ok", got)
	}
}
