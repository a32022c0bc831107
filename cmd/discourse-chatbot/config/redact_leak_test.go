package config

import (
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/platforms"
	"strings"
	"testing"
)

// A PostgreSQL DSN whose password the check output must not show, in the forms pgx accepts:
// a password with characters url.Parse chokes on unescaped, and a password query parameter.
func TestRedactedHidesDSNPasswords(t *testing.T) {
	for _, tt := range []struct{ name, dsn, secret string }{
		{"password with #", "postgres://bot:hun#ter2@db:5432/x", "hun#ter2"},
		{"password with /", "postgres://bot:hun/ter2@db/x", "hun/ter2"},
		{"password in query", "postgres://bot@db/x?sslmode=disable&password=hunter2", "hunter2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(minimal+"state: {driver: postgres, dsn: \""+tt.dsn+"\"}\n"), env(), platforms.All)
			if err != nil {
				t.Fatal(err)
			}
			out, err := cfg.Redacted()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), tt.secret) {
				t.Errorf("check output shows the DSN's password %q:\n%s", tt.secret, out)
			}
			if !strings.Contains(string(out), "@db") {
				t.Errorf("check output lost the DSN's host:\n%s", out)
			}
		})
	}
}

// A bad URL is named in the error, but its password is not (the error goes to logs and terminals).
func TestURLErrorsHidePasswords(t *testing.T) {
	for _, u := range []string{"ftp://ops:hunter2@forum.example.org", "https://ops:hunter2@/x", "https://ops:hun#ter2@forum:x/"} {
		_, err := Parse([]byte("forum:\n  url: \""+u+"\"\n  api_key: k\n"), env(), platforms.All)
		if err == nil {
			t.Fatalf("%s: no error", u)
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "hun#ter2") {
			t.Errorf("%s: error shows the password: %v", u, err)
		}
	}
}
