package main

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/internal/poll"
)

// consoleOutput collects the notifications a running binary prints, by topic title.
type consoleOutput struct {
	mu     sync.Mutex
	counts map[string]int
	total  int
}

var notificationLine = regexp.MustCompile(`^#\d+ \[Support\] (Crash test \d+) `)

func (o *consoleOutput) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := notificationLine.FindStringSubmatch(sc.Text()); m != nil {
			o.mu.Lock()
			o.counts[m[1]]++
			o.total++
			o.mu.Unlock()
		}
	}
}

func (o *consoleOutput) seen() (distinct, total int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.counts), o.total
}

// startRun starts `run` with the console chat; its notifications go to out.
func startRun(t *testing.T, dir, cfg string, out *consoleOutput) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, "run", "--config", cfg, "--log-format", "text")
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe() // kept open: the console stays up
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go out.read(stdout)
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // may have exited already
		cmd.Wait()         //nolint:errcheck
	})
	return cmd
}

// waitUntil polls cond until it holds, failing the test after 60 s (the binary is slow to start
// on a loaded machine).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Wait{Limit: 60 * time.Second}.Until(t, what, cond)
}

// TestKillDuringDeliveryLosesNothing kills the real binary with SIGKILL while it delivers a burst,
// restarts it on the same database, and checks that every post was announced, with at most one
// duplicate (a send whose acknowledgement the kill lost).
func TestKillDuringDeliveryLosesNothing(t *testing.T) {
	const posts = 150
	forum := newTestForum(t, "crash-key")
	support := forum.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	forum.CreateTopic("Before the bot", "<p>x</p>", "alice", support)

	dir := t.TempDir()
	cfg := writeFile(t, dir, "bot.yaml", fmt.Sprintf(`
forum: {url: %s, api_key: crash-key, poll_interval: 1s, max_requests_per_minute: 6000}
state: {dsn: bot.db}
console: {}
rules:
  - {channel: "console:local", filter: watch, category: support}
`, forum.URL()))

	out := &consoleOutput{counts: map[string]int{}}
	first := startRun(t, dir, cfg, out)
	waitUntil(t, "the first poll", func() bool { return forum.Requests("/posts.json") > 0 })
	forum.CreateTopic("Crash test 0", "<p>warm-up</p>", "alice", support)
	waitUntil(t, "the warm-up notification", func() bool { d, _ := out.seen(); return d == 1 })

	for i := 1; i < posts; i++ {
		forum.CreateTopic(fmt.Sprintf("Crash test %d", i), "<p>burst</p>", "alice", support)
	}
	waitUntil(t, "the burst to start", func() bool { d, _ := out.seen(); return d > 5 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait() //nolint:errcheck // killed
	before, _ := out.seen()
	t.Logf("killed after %d of %d notifications", before, posts)

	startRun(t, dir, cfg, out)
	waitUntil(t, "every notification after the restart", func() bool { d, _ := out.seen(); return d == posts })
	// Leave time for any duplicate to show before counting.
	forum.CreateTopic("Crash test 999", "<p>end marker</p>", "alice", support)
	waitUntil(t, "the end marker", func() bool { d, _ := out.seen(); return d == posts+1 })
	_, total := out.seen()
	if dup := total - (posts + 1); dup < 0 || dup > 1 {
		t.Errorf("%d duplicates, want at most 1 (counts %v)", dup, out.counts)
	}
}

// logWriter shows a process's logs in the test's output.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
