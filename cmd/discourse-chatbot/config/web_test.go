package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/platforms"
)

func TestWebSection(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "dc")
	token := filepath.Join(dir, "token")
	for p, v := range map[string]string{secret: "s3cret\n", token: "tok\n"} {
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	load := func(t *testing.T, yaml string) (*Config, error) {
		t.Helper()
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(minimal+yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(p, platforms.All)
	}
	t.Run("discourse_connect with a secret file and a group", func(t *testing.T) {
		cfg, err := load(t, "http: { listen: 127.0.0.1:9090 }\nweb: { sign_in: discourse_connect, secret_file: "+secret+", group: chat-admins }\n")
		if err != nil {
			t.Fatal(err)
		}
		if w := cfg.Web; w == nil || w.SignIn != "discourse_connect" || w.Secret != "s3cret" || w.Group != "chat-admins" {
			t.Fatalf("web = %+v", cfg.Web)
		}
		out, err := cfg.Redacted()
		if err != nil || strings.Contains(string(out), "s3cret") || !strings.Contains(string(out), "secret: <redacted>") {
			t.Errorf("redacted config shows the secret or hides the key:\n%s", out)
		}
	})
	t.Run("a token file alone means token sign-in", func(t *testing.T) {
		cfg, err := load(t, "http: { listen: 127.0.0.1:9090 }\nweb: { token_file: "+token+" }\n")
		if err != nil {
			t.Fatal(err)
		}
		if w := cfg.Web; w.SignIn != "token" || w.Token != "tok" {
			t.Fatalf("web = %+v", w)
		}
	})
	t.Run("no web section, no console", func(t *testing.T) {
		cfg, err := load(t, "")
		if err != nil || cfg.Web != nil {
			t.Fatalf("web = %+v, %v", cfg.Web, err)
		}
	})
	bad := []struct{ name, yaml, want string }{
		{"needs http.listen", "web: { secret: x }\n", "config: web (line 4): the web console is served on http.listen"},
		{"discourse_connect needs a secret", "http: { listen: 127.0.0.1:9090 }\nweb: { sign_in: discourse_connect }\n", "config: web.secret (line 5): missing (set it, or use secret_file)"},
		{"token needs a token", "http: { listen: 127.0.0.1:9090 }\nweb: { sign_in: token }\n", "config: web.token (line 5): missing (set it, or use token_file)"},
		{"unknown sign-in", "http: { listen: 127.0.0.1:9090 }\nweb: { sign_in: oauth, secret: x }\n", `config: web.sign_in (line 5): "oauth" is not discourse_connect or token`},
		{"unknown key", "http: { listen: 127.0.0.1:9090 }\nweb: { secret: x, grop: a }\n", "config: web.grop (line 5): unknown key (did you mean group?)"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n got %v\nwant %s…", err, tc.want)
			}
		})
	}
}
