package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
	"github.com/discourse-chatbot/discourse-chatbot/internal/syncbuf"
)

// BenchmarkIdleRSS measures the resident memory of the real binary's `run` with the console chat,
// SQLite and the default 5 s poll, idle against the fake forum (issue 5, "Done when" →
// Benchmarks). The process runs once whatever b.N is; the timed loop only reads its RSS again.
//
//	go test -run XXX -bench IdleRSS -benchtime 1x ./cmd/discourse-chatbot/
func BenchmarkIdleRSS(b *testing.B) {
	const idle = 3 * time.Second
	if raceEnabled {
		b.Skip("the binary under test is built with -race, whose shadow memory makes its RSS meaningless")
	}
	forum := discoursetest.NewServer("rss-key")
	b.Cleanup(forum.Close)
	support := forum.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	forum.CreateTopic("Welcome", "<p>hello</p>", "alice", support)

	dir := b.TempDir()
	cfg := filepath.Join(dir, "bot.yaml")
	yaml := fmt.Sprintf(`forum: {url: %s, api_key: rss-key}
state: {dsn: bot.db}
console: {}
rules:
  - {channel: "console:local", filter: watch, category: support}
`, forum.URL())
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}

	cmd := exec.Command(binary, "run", "--config", cfg, "--log-format", "text")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir}
	stdin, err := cmd.StdinPipe() // kept open: the console chat stays up
	if err != nil {
		b.Fatal(err)
	}
	defer stdin.Close()
	cmd.Stdout = io.Discard
	var stderr syncbuf.Buffer // written from exec's copying goroutine, kept for failure messages
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{}) // closed once the process is reaped; then waitErr is set
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill() //nolint:errcheck // a failed benchmark left it running
			<-exited
		}
	})

	deadline := time.Now().Add(60 * time.Second)
	for forum.Requests("/posts.json") == 0 {
		select {
		case <-exited:
			b.Fatalf("run exited before its first poll: %v; stderr:\n%s", waitErr, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			b.Fatalf("run never polled the forum; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The measured idle stretch, not a synchronisation: the bot runs on its own meanwhile.
	time.Sleep(idle)

	// b.Loop: the function runs once per -count, however many reads the loop times.
	var rss, hwm float64
	for b.Loop() {
		rss, hwm = rssOf(b, cmd.Process.Pid)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			b.Fatalf("run after SIGTERM: %v; stderr:\n%s", waitErr, stderr.String())
		}
	case <-time.After(30 * time.Second):
		b.Fatalf("run did not stop on SIGTERM; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		b.Errorf("no stopped line; stderr:\n%s", stderr.String())
	}
	b.ReportMetric(rss, "idle-RSS-MB")
	b.ReportMetric(hwm, "peak-RSS-MB")
	b.ReportMetric(float64(forum.Requests("/posts.json")), "polls")
}

// rssOf reads a process's resident set size (VmRSS) and its peak (VmHWM), in MiB.
func rssOf(b *testing.B, pid int) (rss, hwm float64) {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(value) // "12345 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			b.Fatalf("/proc/%d/status: unexpected %s line %q", pid, key, sc.Text())
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			b.Fatalf("/proc/%d/status: %s: %v", pid, key, err)
		}
		if key == "VmRSS" {
			rss = kb / 1024
		} else {
			hwm = kb / 1024
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	if rss == 0 {
		b.Fatalf("/proc/%d/status has no VmRSS", pid)
	}
	return rss, hwm
}
