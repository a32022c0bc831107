package main

import (
	"bufio"
	"io"
	"strings"
	"syscall"
	"testing"
)

// A forum behind HTTP basic auth is configured as https://user:password@host; the "starting" log
// line names the forum and must not carry that password into the logs.
func TestRunStartingLineHidesForumPassword(t *testing.T) {
	dir := t.TempDir()
	forum := newTestForum(t, "k")
	url := strings.Replace(forum.URL(), "://", "://ops:hunter2@", 1)
	cfg := writeFile(t, dir, "c.yaml", "forum:\n  url: "+url+"\n  api_key: k\n  poll_interval: 1s\n")
	cmd, stderr, _ := startJSONRun(t, dir, cfg)
	lines := bufio.NewScanner(stderr)
	var starting string
	var log strings.Builder
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), `"msg":"starting"`) {
			starting = lines.Text()
			break
		}
	}
	go io.Copy(io.Discard, stderr) //nolint:errcheck // drain until the process ends
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if starting == "" {
		t.Fatalf("no starting line; stderr:\n%s", log.String())
	}
	if strings.Contains(starting, "hunter2") {
		t.Errorf("the starting line shows the forum URL's password: %s", starting)
	}
	if !strings.Contains(starting, "127.0.0.1") {
		t.Errorf("the starting line lost the forum's host: %s", starting)
	}
}
