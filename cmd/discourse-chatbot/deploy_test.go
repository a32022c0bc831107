package main

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

// exampleConfig is the commented example shipped in deploy/.
var exampleConfig = filepath.Join("..", "..", "deploy", "discourse-chatbot.example.yaml")

// exampleEnv is what the example config reads from the environment.
var exampleEnv = []string{"DISCOURSE_API_KEY=example-key", "SLACK_BOT_TOKEN=xoxb-example", "SLACK_APP_TOKEN=xapp-example"}

func TestExampleConfigPassesOfflineCheck(t *testing.T) {
	path, err := filepath.Abs(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, t.TempDir(), exampleEnv, "check", "--offline", "--config", path)
	if r.code != 0 || !strings.HasSuffix(r.stderr, "config OK\n") {
		t.Fatalf("check --offline of the example config: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, secret := range []string{"example-key", "xoxb-example", "xapp-example"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("check shows the secret %q", secret)
		}
	}
}

// startServing runs the bot with http.listen on a free port and returns the address it serves
// /healthz, /readyz and /metrics on. extra is appended to the config.
func startServing(t *testing.T, extra string) (addr string, forum *discoursetest.Server) {
	t.Helper()
	dir := t.TempDir()
	forum = discoursetest.NewServer("k")
	t.Cleanup(forum.Close)
	cfg := writeFile(t, dir, "c.yaml", "forum:\n  url: "+forum.URL()+"\n  api_key: k\n  poll_interval: 1s\n"+
		"http:\n  listen: 127.0.0.1:0\n"+extra)
	_, stderr, _ := startJSONRun(t, dir, cfg)
	serving := regexp.MustCompile(`"msg":"serving health and metrics".*"addr":"([^"]+)"`)
	lines := bufio.NewScanner(stderr)
	var log strings.Builder
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if m := serving.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatalf("the bot never served http; stderr:\n%s", log.String())
	}
	go func() { // drain the log, so the bot never blocks on a full pipe
		for lines.Scan() {
		}
	}()
	return addr, forum
}

func TestHealthcheck(t *testing.T) {
	addr, _ := startServing(t, "")
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not ready: forum unreachable", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name   string
		url    string
		code   int
		stdout string
		stderr string
	}{
		{"a running bot is healthy", "http://" + addr + "/healthz", 0, "http://" + addr + "/healthz: ok\n", ""},
		{"a 503 fails with the bot's reason", failing.URL + "/readyz", 1, "",
			"discourse-chatbot: healthcheck: " + failing.URL + "/readyz answered 503 Service Unavailable: not ready: forum unreachable\n"},
		{"nothing listening fails", closed.URL + "/healthz", 1, "", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, t.TempDir(), nil, "healthcheck", "--url", tt.url)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
			}
			if r.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.stderr)
			}
		})
	}
}
