package main

import (
	"os"
	"strings"
	"testing"
)

// TestConfigLocation: without --config the config is looked for in $DISCOURSE_CHATBOT_CONFIG,
// ./discourse-chatbot.yaml and /etc/discourse-chatbot/config.yaml, and the bot says which it
// took; under systemd the state defaults to $STATE_DIRECTORY.
func TestConfigLocation(t *testing.T) {
	if _, err := os.Stat(configSystemFile); err == nil {
		t.Skipf("%s exists on this machine: the lookup would find it", configSystemFile)
	}
	key := "TEST_API_KEY=k"
	tests := []struct {
		name   string
		local  bool     // write ./discourse-chatbot.yaml
		env    []string // besides key; "CFG" in a value is the path of a config written elsewhere
		args   []string
		code   int
		stdout string // a substring
		stderr string // a substring
	}{
		{name: "--config wins and is not announced", local: true, args: []string{"check", "--offline", "--print-config", "--config", "CFG"},
			stdout: "api_username: other", stderr: ""},
		{name: "$DISCOURSE_CHATBOT_CONFIG", local: true, env: []string{"DISCOURSE_CHATBOT_CONFIG=CFG"}, args: []string{"check", "--offline", "--print-config"},
			stdout: "api_username: other", stderr: `"msg":"using config CFG (from $DISCOURSE_CHATBOT_CONFIG)"`},
		{name: "$DISCOURSE_CHATBOT_CONFIG naming a missing file", local: true, env: []string{"DISCOURSE_CHATBOT_CONFIG=/nonexistent/c.yaml"},
			args: []string{"check", "--offline"}, code: 1, stderr: "discourse-chatbot: config: cannot read /nonexistent/c.yaml: no such file or directory"},
		{name: "./discourse-chatbot.yaml", local: true, args: []string{"check", "--offline", "--print-config"},
			stdout: "api_username: local", stderr: `"msg":"using config discourse-chatbot.yaml (from the working directory)"`},
		{name: "rules list finds it too", local: true, args: []string{"rules", "list"}, stdout: "no rules", stderr: `"msg":"using config discourse-chatbot.yaml (from the working directory)"`},
		{name: "nothing anywhere", args: []string{"check", "--offline"}, code: 2,
			stderr: "discourse-chatbot: no config: pass --config FILE, set $DISCOURSE_CHATBOT_CONFIG, or create ./discourse-chatbot.yaml or /etc/discourse-chatbot/config.yaml"},
		{name: "state in $STATE_DIRECTORY under systemd", local: true, env: []string{"STATE_DIRECTORY=STATEDIR:/var/lib/other"},
			args: []string{"check", "--offline", "--print-config"}, stdout: "dsn: STATEDIR/discourse-chatbot.db", stderr: `"msg":"using config discourse-chatbot.yaml (from the working directory)"`},
		{name: "state in the working directory otherwise", local: true, args: []string{"check", "--offline", "--print-config"}, stdout: "dsn: discourse-chatbot.db", stderr: `"msg":"using config discourse-chatbot.yaml (from the working directory)"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			other := writeFile(t, t.TempDir(), "other.yaml", minimalConfig+"  api_username: other\n")
			if tt.local {
				writeFile(t, dir, configLocalFile, minimalConfig+"  api_username: local\n")
			}
			stateDir := t.TempDir()
			subst := func(s string) string {
				return strings.ReplaceAll(strings.ReplaceAll(s, "CFG", other), "STATEDIR", stateDir)
			}
			env := []string{key}
			for _, e := range tt.env {
				env = append(env, subst(e))
			}
			var args []string
			for _, a := range tt.args {
				args = append(args, subst(a))
			}
			r := run(t, dir, env, append(args, "--log-format", "json")...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, subst(tt.stdout)) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.stdout)
			}
			if want := subst(tt.stderr); !strings.Contains(r.stderr, want) || want == "" && strings.Contains(r.stderr, "using config") {
				t.Errorf("stderr %q, want %q", r.stderr, want)
			}
		})
	}
}
