package main

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoAsANewUserWouldTryIt pipes commands into `demo`, as the README shows, and checks what
// the terminal shows: the banner, the replies, and notifications of the sample posts.
func TestDemoAsANewUserWouldTryIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--every", "200ms", "--duration", "4s")
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader("watch general\n/discourse follow support\nstatus\nwatch nowhere\n")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"discourse-chatbot demo",
		"forum:  http://127.0.0.1:",
		"Rule created: watch general",
		"Rule created: follow support",
		"1. watch general", // status
		"There is no category nowhere here. Categories this channel may use: announcements, general, support, support/installs.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The sample posts in General and Support are announced, title and link on one line (in the
	// first round of samples or a later one: a loaded machine may answer the commands late).
	for _, re := range []string{
		`(?m)^#\d+ \[General\] Version 3\.2 is out( \(\d+\))? — .* http://127\.0\.0\.1:\d+/t/version-3-2-is-out(-\d+)?/\d+/1$`,
		`(?m)^#\d+ \[Support\] Search finds nothing since the upgrade( \(\d+\))? — .* http://127\.0\.0\.1:\d+/t/search-finds-nothing-since-the-upgrade(-\d+)?/\d+/1$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no notification matching %s:\n%s", re, out)
		}
	}
	if strings.Contains(out, "Staff") || strings.Contains(out, "Moderator rota") {
		t.Errorf("the read-restricted Staff category reached the console:\n%s", out)
	}
}

// TestDemoEndsWithItsInput: piped commands without --duration are answered, then the demo ends,
// with no log lines in the way (the demo logs at warn).
func TestDemoEndsWithItsInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--every", "1h")
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader("watch support\nstatus\n")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo did not end cleanly at the end of its input: %v (ctx: %v)\nstderr:\n%s", err, ctx.Err(), stderr.String())
	}
	for _, want := range []string{"Rule created: watch support", "1. watch support", "Forum API: "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the demo ended before answering: stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if stderr.String() != "" {
		t.Errorf("log lines at the default level: %q", stderr.String())
	}
}
