package state_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// leadHelperEnv, when set, makes this test binary act as a bot process that leads on the SQLite
// file the variable names (see TestLeadTakeoverAfterKill).
const leadHelperEnv = "STATE_TEST_LEAD_DB"

// takeoverTimeout bounds how long the standby may take to lead once the leader is dead.
const takeoverTimeout = 10 * time.Second

// leadAsProcess opens the store, prints "waiting", takes the lead, prints "lead", and holds it
// until its standard input closes. It returns the exit code.
func leadAsProcess(path string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := state.Open(ctx, "sqlite", path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	defer s.Close()
	fmt.Println("waiting")
	release, err := s.Lead(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lead:", err)
		return 1
	}
	defer release()
	fmt.Println("lead")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// leadProcess is a helper process and the lines it prints.
type leadProcess struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	lines  chan string // closed when its output ends
	mu     sync.Mutex
	stderr bytes.Buffer
}

func startLeadProcess(t *testing.T, path string) *leadProcess {
	t.Helper()
	p := &leadProcess{
		cmd:   exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$"),
		lines: make(chan string, 10),
	}
	p.cmd.Env = append(os.Environ(), leadHelperEnv+"="+path)
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		for range p.lines {
		}
		p.cmd.Wait()
	})
	return p
}

// expect waits (up to timeout) for the process to print want.
func (p *leadProcess) expect(t *testing.T, who, want string, timeout time.Duration) {
	t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok || line != want {
			t.Fatalf("%s printed %q (output open: %v), want %q; stderr:\n%s", who, line, ok, want, p.errors())
		}
	case <-time.After(timeout):
		t.Fatalf("%s did not print %q within %v; stderr:\n%s", who, want, timeout, p.errors())
	}
}

func (p *leadProcess) errors() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

// TestLeadTakeoverAfterKill: two bot processes on one SQLite file. A leads, B waits as a
// standby; A is killed with SIGKILL and B takes over; B gives up the lead when it exits.
func TestLeadTakeoverAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	probe := openSQLite(t, path)
	if release, err := probe.Lead(t.Context()); errors.Is(err, state.ErrLeadUnsupported) {
		t.Skip(err)
	} else if err != nil {
		t.Fatalf("Lead: %v", err)
	} else {
		release()
	}

	a := startLeadProcess(t, path)
	a.expect(t, "A", "waiting", takeoverTimeout)
	a.expect(t, "A", "lead", takeoverTimeout)

	b := startLeadProcess(t, path)
	b.expect(t, "B", "waiting", takeoverTimeout)
	// While A lives, nobody else leads: this process cannot, and B has not.
	noLeadHere(t, probe)
	select {
	case line := <-b.lines:
		t.Fatalf("B printed %q while A leads; stderr:\n%s", line, b.errors())
	default:
	}

	if err := a.cmd.Process.Kill(); err != nil { // SIGKILL: A cannot clean up
		t.Fatal(err)
	}
	b.expect(t, "B", "lead", takeoverTimeout)
	noLeadHere(t, probe)

	// B exits normally once its input closes, and the lead is free again.
	b.stdin.Close()
	for range b.lines { // Wait must not close stdout before the reader has finished
	}
	if err := b.cmd.Wait(); err != nil {
		t.Fatalf("B: %v; stderr:\n%s", err, b.errors())
	}
	ctx, cancel := context.WithTimeout(t.Context(), takeoverTimeout)
	defer cancel()
	release, err := probe.Lead(ctx)
	if err != nil {
		t.Fatalf("Lead after B exited: %v", err)
	}
	release()
	for range a.lines {
	}
	if err := a.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("A exited with %v, want killed", err)
	}
}

// noLeadHere checks that s cannot take the lead (another process holds it).
func noLeadHere(t *testing.T, s state.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	release, err := s.Lead(ctx)
	if err == nil {
		release()
		t.Fatal("Lead succeeded while a helper process leads")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lead = %v, want the context's deadline error", err)
	}
}
