package main

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
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

// binary is the discourse-chatbot binary TestMain builds once for all tests.
var binary string

const testVersion = "v9.8.7-test"

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "discourse-chatbot-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "discourse-chatbot")
	args := []string{"build", "-o", binary, "-ldflags", "-X main.version=" + testVersion}
	if raceEnabled {
		args = append(args, "-race")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build discourse-chatbot:", err)
		return 1
	}
	return m.Run()
}

// result is what a finished run of the binary left.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary in dir with args and env (on top of a minimal environment) and waits for it.
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// startJSONRun starts `discourse-chatbot run --config cfg --log-format json` in dir with HOME=dir
// and env, and returns it with its log (stderr) to read and a context that ends when the test's
// 60 s for it are up. The process is killed then, or when the test ends, whichever comes first.
func startJSONRun(t *testing.T, dir, cfg string, env ...string) (*exec.Cmd, io.ReadCloser, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	cmd := exec.CommandContext(ctx, binary, "run", "--config", cfg, "--log-format", "json")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()   // kills the process if it still runs
		cmd.Wait() //nolint:errcheck // the test may have waited already
	})
	return cmd, stderr, ctx
}

// newTestForum starts a fake forum that takes the API key key until the test ends.
func newTestForum(t *testing.T, key string) *discoursetest.Server {
	t.Helper()
	f := discoursetest.NewServer(key)
	t.Cleanup(f.Close)
	return f
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimalConfig = `forum:
  url: https://forum.example.org
  api_key: ${TEST_API_KEY}
`

func TestVersion(t *testing.T) {
	r := run(t, t.TempDir(), nil, "version")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"discourse-chatbot " + testVersion + "\n", "commit: ", "go: go1."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", minimalConfig+"slack:\n  bot_token: xoxb-very-secret\n  app_token: xapp-also-secret\n")
	greedy := writeFile(t, dir, "greedy.yaml", minimalConfig+"  poll_interval: 1s\n  live: false\n")
	typo := writeFile(t, dir, "typo.yaml", minimalConfig+"  poll_intervall: 5s\n")
	badYAML := writeFile(t, dir, "bad.yaml", "forum:\n  url: x\n   api_key: y\n")
	many := writeFile(t, dir, "many.yaml", minimalConfig+"  poll_intervall: 5s\n  excerpt_length: lots\ndelivery:\n  max_age: -1s\naccess:\n  allow: [U123]\n")
	noDir := writeFile(t, dir, "nodir.yaml", minimalConfig+"state:\n  dsn: "+filepath.Join(dir, "nope", "bot.db")+"\nconsole: {}\n")
	disabled := writeFile(t, dir, "disabled.yaml", minimalConfig+"console: {}\naccess:\n  private_channels: [\"discord:42\"]\nrules:\n  - {channel: \"telegram:-100\", filter: watch}\n")
	deaf := writeFile(t, dir, "deaf.yaml", minimalConfig+"  live: false\nconsole: {}\nrules:\n  - {channel: \"console:local\", filter: tag_added, tags: [security]}\n")
	groupPublic := writeFile(t, dir, "group.yaml", minimalConfig+"console: {}\naccess:\n  private_channels: [\"console:staff\"]\nrules:\n  - {channel: \"console:staff\", filter: watch, group: moderators}\n  - {channel: \"console:local\", filter: follow, mention: moderators}\n")
	unreadable := filepath.Join(dir, "dir.yaml")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	key := []string{"TEST_API_KEY=forum-secret-key"}

	tests := []struct {
		name     string
		env      []string
		args     []string
		code     int
		stdout   []string // substrings of stdout
		stderr   string   // the whole of stderr
		noSecret bool
	}{
		{name: "good config", env: key, args: []string{"check", "--offline", "--config", good}, code: 0,
			stderr: "config OK\n", noSecret: true},
		{name: "good config, printed", env: key, args: []string{"check", "--offline", "--print-config", "--config", good}, code: 0,
			stdout: []string{"api_key: <redacted>", "bot_token: <redacted>", "poll_interval: 5s"}, stderr: "config OK\n", noSecret: true},
		{name: "poll interval over the request budget, and no chat platform", env: key, args: []string{"check", "--offline", "-c", greedy}, code: 0,
			stderr: "warning: forum.poll_interval 1s alone makes 60 forum requests a minute, over forum.max_requests_per_minute 30: polls will be slower than asked\n" +
				"warning: no chat platform is enabled: the bot polls the forum and tells no one (add a section such as slack: or telegram:)\nconfig OK\n"},
		{name: "a tag_added rule in polling mode is never heard", env: key, args: []string{"check", "--offline", "-c", deaf}, code: 0,
			stderr: "warning: rules[0]: a tag_added rule is heard only in live mode with forum.follow_changes_for above 0s (forum.live is false, forum.follow_changes_for 24h0m0s)\nconfig OK\n"},
		{name: "every problem of the file at once", env: key, args: []string{"check", "-c", many}, code: 1,
			stderr: "discourse-chatbot: config: forum.poll_intervall (line 4): unknown key (did you mean poll_interval?)\n" +
				"discourse-chatbot: config: forum.excerpt_length (line 5): \"lots\" is not a whole number\n" +
				"discourse-chatbot: config: delivery.max_age (line 7): -1s: must be positive\n" +
				"discourse-chatbot: config: access.allow[0] (line 9): \"U123\" is not platform:user_id (e.g. slack:U0123, telegram:42)\n"},
		{name: "state in a directory that does not exist", env: key, args: []string{"check", "--offline", "-c", noDir}, code: 1,
			stderr: "FAIL state.dsn \"" + filepath.Join(dir, "nope", "bot.db") + "\": the directory \"" + filepath.Join(dir, "nope") + "\" does not exist (create it, or point state.dsn elsewhere)\n" +
				"discourse-chatbot: check failed: 1 problem\n"},
		{name: "rules and private channels for platforms not enabled", env: key, args: []string{"check", "--offline", "-c", disabled}, code: 1,
			stderr: "FAIL rules[0].channel \"telegram:-100\": platform telegram is not enabled (no telegram: section)\n" +
				"FAIL access.private_channels[0] \"discord:42\": platform discord is not enabled (no discord: section)\n" +
				"discourse-chatbot: check failed: 2 problems\n"},
		{name: "a group rule in a channel not on access.private_channels (run refuses it)", env: key, args: []string{"check", "--offline", "-c", groupPublic}, code: 1,
			stderr: "FAIL rules[1]: a mention rule can show private forum content, so its channel \"console:local\" must be on access.private_channels\n" +
				"discourse-chatbot: check failed: 1 problem\n"},
		{name: "unknown key", env: key, args: []string{"check", "-c", typo}, code: 1,
			stderr: "discourse-chatbot: config: forum.poll_intervall (line 4): unknown key (did you mean poll_interval?)\n"},
		{name: "unset variable", args: []string{"check", "-c", good}, code: 1,
			stderr: "discourse-chatbot: config: forum.api_key (line 3): environment variable TEST_API_KEY is not set\n"},
		{name: "invalid YAML", args: []string{"check", "-c", badYAML}, code: 1,
			stderr: "discourse-chatbot: config: line 3: invalid YAML: mapping values are not allowed in this context\n"},
		{name: "missing file", args: []string{"check", "-c", filepath.Join(dir, "nope.yaml")}, code: 1,
			stderr: "discourse-chatbot: config: cannot read " + filepath.Join(dir, "nope.yaml") + ": no such file or directory\n"},
		{name: "unreadable file", args: []string{"check", "-c", unreadable}, code: 1,
			stderr: "discourse-chatbot: config: cannot read " + unreadable + ": is a directory\n"},
		{name: "no --config and no config in the default places", args: []string{"check"}, code: 2,
			stderr: "discourse-chatbot: no config: pass --config FILE, set $DISCOURSE_CHATBOT_CONFIG, or create ./discourse-chatbot.yaml or /etc/discourse-chatbot/config.yaml (see 'discourse-chatbot check --help')\n"},
		{name: "unknown flag", args: []string{"check", "--confg", good}, code: 2,
			stderr: "discourse-chatbot: unknown flag: --confg (see 'discourse-chatbot check --help')\n"},
		{name: "unknown command", args: []string{"chek"}, code: 2,
			stderr: "discourse-chatbot: unknown command \"chek\" for \"discourse-chatbot\", did you mean check? (see 'discourse-chatbot --help')\n"},
		{name: "bad log format", env: key, args: []string{"--log-format", "xml", "check", "-c", good}, code: 2,
			stderr: "discourse-chatbot: --log-format \"xml\": want auto, text or json (see 'discourse-chatbot check --help')\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, dir, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			if (tt.code != 0 || tt.stderr != "") && r.stderr != tt.stderr {
				t.Errorf("stderr\n got %q\nwant %q", r.stderr, tt.stderr)
			}
			if slices.Contains(tt.args, "--print-config") {
				var doc map[string]any
				if err := yaml.Unmarshal([]byte(r.stdout), &doc); err != nil || doc["forum"] == nil {
					t.Errorf("--print-config is not the config as YAML (%v):\n%s", err, r.stdout)
				}
			} else if r.stdout != "" {
				t.Errorf("stdout without --print-config: %q", r.stdout)
			}
			if tt.noSecret {
				for _, secret := range []string{"forum-secret-key", "xoxb-very-secret", "xapp-also-secret"} {
					if strings.Contains(r.stdout+r.stderr, secret) {
						t.Errorf("output shows the secret %q", secret)
					}
				}
			}
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"run", "--help"}, {"check", "--help"}, {"rules", "--help"},
		{"rules", "list", "--help"}, {"rules", "remove", "--help"}, {"version", "--help"}, {"healthcheck", "--help"},
	} {
		r := run(t, t.TempDir(), nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%v: exit %d, no Examples in:\n%s", args, r.code, r.stdout)
		}
	}
}

func TestRunStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	forum := newTestForum(t, "k")
	cfg := writeFile(t, dir, "c.yaml", "forum:\n  url: "+forum.URL()+"\n  api_key: ${TEST_API_KEY}\n  poll_interval: 1s\n")
	cmd, stderr, ctx := startJSONRun(t, dir, cfg, "TEST_API_KEY=k")
	// Wait for the "starting" log line: by then the signal handler is installed.
	lines := bufio.NewScanner(stderr)
	started := false
	var log strings.Builder
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), `"msg":"starting"`) {
			started = true
			break
		}
	}
	if !started {
		_ = cmd.Wait()
		t.Fatalf("no starting line; stderr:\n%s", log.String())
	}
	// Drain the log meanwhile, so the bot never blocks on a full pipe.
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(stderr)
		rest <- string(b)
	}()
	// The bot is up once it asks the forum for something.
	for forum.Requests("") == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the bot never called the forum")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	log.WriteString(<-rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run after SIGTERM: %v; stderr:\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line; stderr:\n%s", log.String())
	}
}

func TestRunBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "c.yaml", "forum:\n  url: forum.example.org\n  api_key: k\n")
	r := run(t, dir, nil, "run", "--config", cfg)
	want := "discourse-chatbot: config: forum.url (line 2): \"forum.example.org\" needs a scheme and host (http://… or https://…)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr\n got %q\nwant %q", r.code, r.stderr, want)
	}
}
