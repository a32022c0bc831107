package plumbing

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

func TestVerdict(t *testing.T) {
	now := time.Now()
	date := now.Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name      string
		status    int
		header    http.Header
		permanent bool
		wait      time.Duration // 0: no RetryAfter verdict
	}{
		{"unauthorised is permanent", 401, nil, true, 0},
		{"forbidden is permanent", 403, nil, true, 0},
		{"not found is permanent", 404, nil, true, 0},
		{"429 in seconds", 429, http.Header{"Retry-After": {"7"}}, false, 7 * time.Second},
		{"429 in fractional seconds", 429, http.Header{"Retry-After": {"0.5"}}, false, 500 * time.Millisecond},
		{"429 as an HTTP-date", 429, http.Header{"Retry-After": {date}}, false, 90 * time.Second},
		{"429 without a header waits the default", 429, nil, false, DefaultRetryAfter},
		{"429 with nonsense waits the default", 429, http.Header{"Retry-After": {"soon"}}, false, DefaultRetryAfter},
		{"server errors are retried", 502, nil, false, 0},
		{"a timeout is retried", 408, nil, false, 0},
		{"a transport error is retried", 0, nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verdict(tt.status, tt.header, errors.New("boom"))
			if got := adapters.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			wait, ok := adapters.RetryAfterOf(err)
			if ok != (tt.wait != 0) {
				t.Fatalf("retry-after verdict = %v, want %v (%v)", ok, tt.wait != 0, err)
			}
			if d := wait - tt.wait; d < -2*time.Second || d > 2*time.Second {
				t.Errorf("wait = %s, want about %s", wait, tt.wait)
			}
		})
	}
}

func TestRedactString(t *testing.T) {
	secret := "123:AA/bb+c"
	got := RedactString(`Post "https://api.example.org/bot123:AA%2Fbb+c/sendMessage": EOF and 123:AA/bb+c`, "", secret)
	if got != `Post "https://api.example.org/bot<redacted>/sendMessage": EOF and <redacted>` {
		t.Errorf("redacted = %q", got)
	}
}

func TestDispatcherKeepsOrderPerChatAndNeverBlocksAnotherChat(t *testing.T) {
	d := NewDispatcher(4)
	release := make(chan struct{})
	var mu sync.Mutex
	var order []int
	// Chat "slow": its first command blocks until released; its later ones must wait for it.
	d.Go(t.Context(), "slow", func(context.Context) { <-release })
	for i := 1; i <= 3; i++ {
		d.Go(t.Context(), "slow", func(context.Context) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		})
	}
	// Another chat is answered while "slow" is stuck.
	done := make(chan struct{})
	d.Go(t.Context(), "fast", func(context.Context) { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a slow chat held up another chat's command")
	}
	mu.Lock()
	if len(order) != 0 {
		t.Errorf("later commands of the slow chat ran before its first: %v", order)
	}
	mu.Unlock()
	close(release)
	d.Wait()
	if len(order) != 3 || order[0] != 1 || order[1] != 2 || order[2] != 3 {
		t.Errorf("order = %v, want [1 2 3]", order)
	}
}

func TestDispatcherBoundsConcurrency(t *testing.T) {
	d := NewDispatcher(2)
	var running, peak atomic.Int32
	for i := range 10 {
		d.Go(t.Context(), string(rune('a'+i)), func(context.Context) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
		})
	}
	d.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency = %d, want 2", p)
	}
}

func TestSupervisorReconnectsUntilFatal(t *testing.T) {
	s := &Supervisor{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
	var calls int
	var connectedInside bool
	revoked := errors.New("token revoked")
	err := s.Run(t.Context(), func(ctx context.Context, up func()) error {
		calls++
		switch calls {
		case 1:
			return errors.New("dial: connection refused") // never came up
		case 2, 3:
			up()
			connectedInside = s.Connected()
			return errors.New("socket closed")
		}
		return Fatal(revoked)
	})
	if !errors.Is(err, revoked) || calls != 4 {
		t.Fatalf("Run = %v after %d sessions, want the fatal error after 4", err, calls)
	}
	if !connectedInside || s.Connected() {
		t.Errorf("connected inside a live session = %v, after Run = %v", connectedInside, s.Connected())
	}
	if n := s.Reconnects(); n != 1 {
		t.Errorf("reconnects = %d, want 1 (two sessions came up)", n)
	}
}

func TestSupervisorStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	s := &Supervisor{MinBackoff: time.Hour}
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(context.Context, func()) error { return errors.New("down") })
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil once the context ends", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop during its backoff")
	}
}
