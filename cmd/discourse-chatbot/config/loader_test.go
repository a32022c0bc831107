package config

import (
	"errors"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/telegram"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/platforms"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// env is a fake environment for ${VAR} expansion.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// minimal is the smallest valid config; the bad-config cases append to it or replace it.
const minimal = `forum:
  url: https://forum.example.org
  api_key: k
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error message
	}{
		{"unknown key names path and line",
			minimal + "  poll_intervall: 5s\n",
			`config: forum.poll_intervall (line 4): unknown key (did you mean poll_interval?)`},
		{"unknown section",
			minimal + "slak:\n  bot_token: x\n",
			`config: slak (line 4): unknown key (did you mean slack?)`},
		{"bad duration",
			minimal + "  poll_interval: abc\n",
			`config: forum.poll_interval (line 4): "abc" is not a duration`},
		{"duration without unit",
			minimal + "  poll_interval: 5\n",
			`config: forum.poll_interval (line 4): "5" is not a duration (missing unit, e.g. 5s)`},
		{"poll interval too short",
			minimal + "  poll_interval: 500ms\n",
			`config: forum.poll_interval (line 4): 500ms is too short (at least 1s)`},
		{"negative notify delay",
			minimal + "  notify_delay: -1s\n",
			`config: forum.notify_delay (line 4): -1s: must not be negative`},
		{"int that is not a number",
			minimal + "  excerpt_length: long\n",
			`config: forum.excerpt_length (line 4): "long" is not a whole number`},
		{"int out of range",
			minimal + "  max_requests_per_minute: 0\n",
			`config: forum.max_requests_per_minute (line 4): 0 is out of range (1 to 10000)`},
		{"forum url missing",
			"forum:\n  api_key: k\n",
			`config: forum.url (line 1): required: the forum's address, e.g. https://forum.example.org`},
		{"empty file: every missing key at once",
			"# nothing yet\n",
			"config: forum.url: required: the forum's address, e.g. https://forum.example.org\n" +
				"config: forum.api_key: missing (set it, or use api_key_file)"},
		{"forum url without scheme",
			"forum:\n  url: forum.example.org\n  api_key: k\n",
			`config: forum.url (line 2): "forum.example.org" needs a scheme and host (http://… or https://…)`},
		{"forum url with ftp scheme",
			"forum:\n  url: ftp://forum.example.org\n  api_key: k\n",
			`config: forum.url (line 2): "ftp://forum.example.org": scheme ftp is not supported (http://… or https://…)`},
		{"api key missing",
			"forum:\n  url: https://f.example\n",
			`config: forum.api_key (line 1): missing (set it, or use api_key_file)`},
		{"slack token empty",
			minimal + "state:\n  dsn: x.db\ndelivery:\n  max_age: 1h\nslack:\n  app_token: xapp\n  bot_token: \"\"\n",
			`config: slack.bot_token (line 10): empty (set it, or use bot_token_file)`},
		{"empty platform section is on and needs tokens",
			minimal + "telegram:\n",
			`config: telegram.token (line 4): missing (set it, or use token_file)`},
		{"unset env var names key and variable",
			minimal + "discord:\n  token: ${DISCORD_TOKEN}\n",
			`config: discord.token (line 5): environment variable DISCORD_TOKEN is not set`},
		{"bad variable syntax",
			minimal + "discord:\n  token: ${DISCORD TOKEN}\n",
			`config: discord.token (line 5): "DISCORD TOKEN" is not an environment variable name (write $${ for a literal ${)`},
		{"wrong type: list for a section",
			minimal + "state: [sqlite]\n",
			`config: state (line 4): want a mapping of keys, got a list`},
		{"wrong type: mapping for a string",
			minimal + "state:\n  dsn: {file: x}\n",
			`config: state.dsn (line 5): want a single value, got a mapping`},
		{"wrong type: string for a list",
			minimal + "discord:\n  token: t\n  guilds: 123\n",
			`config: discord.guilds (line 6): want a list, got "123"`},
		{"postgres needs a URL",
			minimal + "state:\n  driver: postgres\n",
			`config: state.dsn (line 4): with driver postgres, want a PostgreSQL URL (postgres://user@host/db)`},
		{"unknown driver",
			minimal + "state:\n  driver: mysql\n",
			`config: state.driver (line 5): unknown driver "mysql" (sqlite or postgres)`},
		{"mattermost url needs scheme",
			minimal + "mattermost:\n  url: chat.example.org\n  token: t\n",
			`config: mattermost.url (line 5): "chat.example.org" needs a scheme and host (http://… or https://…)`},
		{"discord gateway override needs ws scheme",
			minimal + "discord:\n  token: t\n  gateway_url: https://gw.example\n",
			`config: discord.gateway_url (line 6): "https://gw.example": scheme https is not supported (ws://… or wss://…)`},
		{"telegram endpoint needs scheme",
			minimal + "telegram:\n  token: t\n  api_endpoint: localhost:8081\n",
			`config: telegram.api_endpoint (line 6): "localhost:8081" needs a scheme and host (http://… or https://…)`},
		{"transcript mode",
			minimal + "transcript: {mode: forum}\n",
			`config: transcript.mode (line 4): "forum" is not link or topic`},
		{"access entry without platform",
			minimal + "access:\n  allow: [slack:U1, U2]\n",
			`config: access.allow[1] (line 5): "U2" is not platform:user_id (e.g. slack:U0123, telegram:42)`},
		{"rule channel",
			minimal + "rules:\n  - channel: irc:#x\n    filter: watch\n",
			`config: rules[0].channel (line 5): channel "irc:#x": unknown platform "irc" (slack, telegram, discord, mattermost, matrix, console)`},
		{"rule filter",
			minimal + "rules:\n  - {channel: slack:C1, filter: watch}\n  - channel: slack:C1\n    filter: loud\n",
			`config: rules[1].filter (line 7): "loud" is not watch, follow, mute, thread or tag_added`},
		{"rule with category and group",
			minimal + "rules:\n  - channel: slack:C1\n    filter: watch\n    category: news\n    group: staff\n",
			`config: rules[0].group (line 8): a rule takes one of category, group or mention, not category and group`},
		{"group rule cannot be thread",
			minimal + "rules:\n  - {channel: slack:C1, filter: thread, mention: staff}\n",
			`config: rules[0].filter (line 5): a mention rule cannot be a thread rule (watch, follow or mute)`},
		{"group rule cannot be tag_added (run would refuse it at start)",
			minimal + "rules:\n  - {channel: slack:C1, filter: tag_added, group: staff}\n",
			`config: rules[0].filter (line 5): a group rule cannot be a tag_added rule (watch, follow or mute)`},
		{"duplicate key",
			minimal + "  api_key: again\n",
			`config: forum.api_key (line 4): duplicate key (first set on line 3)`},
		{"secret and secret file both set",
			minimal + "  api_key_file: /dev/null\n",
			`config: forum.api_key_file (line 4): set either api_key or api_key_file, not both`},
		{"http listen",
			minimal + "http: {listen: 9090}\n",
			`config: http.listen (line 4): "9090" is not host:port (e.g. 127.0.0.1:9090)`},
		{"invalid yaml",
			"forum:\n  url: x\n   api_key: y\n",
			`config: line 3: invalid YAML: mapping values are not allowed in this context`},
		{"tab indentation",
			"forum:\n\turl: x\n",
			`config: line 2: invalid YAML: found character that cannot start any token (a tab? YAML indents with spaces)`},
		{"two documents",
			minimal + "---\nforum: {}\n",
			`config: line 4: the file holds more than one YAML document (remove the ---)`},
		{"top level is a list",
			"- forum\n",
			`config: line 1: want a mapping of keys, got a list`},
		{"discord guild id",
			minimal + "discord:\n  token: t\n  guilds: [\"12\", general]\n",
			`config: discord.guilds[1] (line 6): "general" is not a guild id (a number)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), env(), platforms.All)
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %q is not a *config.Error", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal+"telegram:\n  token: t\nconsole:\n"), env(), platforms.All)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"forum.poll_interval", cfg.Forum.PollInterval, 5 * time.Second},
		{"forum.max_requests_per_minute", cfg.Forum.MaxRequestsPerMinute, 30},
		{"forum.notify_delay", cfg.Forum.NotifyDelay, time.Duration(0)},
		{"forum.excerpt_length", cfg.Forum.ExcerptLength, 400},
		{"forum.backfill", cfg.Forum.Backfill, 0},
		{"forum.live", cfg.Forum.Live, true},
		{"forum.api_username", cfg.Forum.APIUsername, "system"},
		{"state.driver", cfg.State.Driver, "sqlite"},
		{"state.dsn", cfg.State.DSN, "discourse-chatbot.db"},
		{"delivery.max_age", cfg.Delivery.MaxAge, 24 * time.Hour},
		{"telegram.log.enabled", sectionOf[telegram.Section](cfg, "telegram").Log.On(), true},
		{"telegram.log.max_messages", sectionOf[telegram.Section](cfg, "telegram").Log.MaxMessages, 2000},
		{"telegram.log.max_age", sectionOf[telegram.Section](cfg, "telegram").Log.MaxAge, 168 * time.Hour},
		{"transcript.mode", cfg.Transcript.Mode, "link"},
		{"transcript.quote", cfg.Transcript.QuoteOn(), true},
		{"transcript.max_messages", cfg.Transcript.MaxMessages, 500},
		{"http.listen", cfg.HTTP.Listen, ""},
		{"console on", cfg.Platform("console") != nil, true},
		{"slack off", cfg.Platform("slack") == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestExplicitValuesBeatDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal+`  poll_interval: 1m
  excerpt_length: 0
  notify_delay: 20s
telegram:
  token: t
  log: {enabled: false, max_messages: 0, max_age: 0s}
transcript: {mode: topic, quote: no}
`), env(), platforms.All)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Forum.PollInterval != time.Minute || cfg.Forum.ExcerptLength != 0 || cfg.Forum.NotifyDelay != 20*time.Second {
		t.Errorf("forum = %+v", cfg.Forum)
	}
	if sectionOf[telegram.Section](cfg, "telegram").Log.On() || sectionOf[telegram.Section](cfg, "telegram").Log.MaxMessages != 0 || sectionOf[telegram.Section](cfg, "telegram").Log.MaxAge != 0 {
		t.Errorf("telegram.log = %+v", sectionOf[telegram.Section](cfg, "telegram").Log)
	}
	if cfg.Transcript.Mode != "topic" || cfg.Transcript.QuoteOn() {
		t.Errorf("transcript = %+v", cfg.Transcript)
	}
}

func TestExpansion(t *testing.T) {
	tests := []struct {
		name, value string
		env         []string
		want        string
	}{
		{"whole value", "${TOKEN}", []string{"TOKEN", "xoxb-1"}, "xoxb-1"},
		{"inside a value", "pre-${A}-${B}", []string{"A", "1", "B", "2"}, "pre-1-2"},
		{"set but empty", "x${E}y", []string{"E", ""}, "xy"},
		{"escaped", "$${NOT_A_VAR}", nil, "${NOT_A_VAR}"},
		{"lone dollar kept", "pa$$word$", nil, "pa$$word$"},
		{"no recursion", "${A}", []string{"A", "${B}"}, "${B}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := minimal + "state:\n  dsn: '" + tt.value + "'\n"
			cfg, err := Parse([]byte(doc), env(tt.env...), platforms.All)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.State.DSN != tt.want {
				t.Errorf("dsn = %q, want %q", cfg.State.DSN, tt.want)
			}
		})
	}
}

func TestExpansionSkipsComments(t *testing.T) {
	doc := "# token: ${NOT_SET}\n" + minimal + "  api_username: bot # or ${ALSO_NOT_SET}\n"
	cfg, err := Parse([]byte(doc), env(), platforms.All)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Forum.APIUsername != "bot" {
		t.Errorf("api_username = %q", cfg.Forum.APIUsername)
	}
}

func TestNumbersAsStrings(t *testing.T) {
	cfg, err := Parse([]byte(minimal+"discord:\n  token: 12345\n  guilds: [123456789012345678]\n"), env(), platforms.All)
	if err != nil {
		t.Fatal(err)
	}
	if sectionOf[discord.Section](cfg, "discord").Token != "12345" || len(sectionOf[discord.Section](cfg, "discord").Guilds) != 1 || sectionOf[discord.Section](cfg, "discord").Guilds[0] != "123456789012345678" {
		t.Errorf("discord = %+v", cfg.Platform("discord"))
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	doc := minimal + `rules:
  - &base {channel: "slack:C1", filter: watch, tags: [a]}
  - <<: *base
    filter: mute
`
	cfg, err := Parse([]byte(doc), env(), platforms.All)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) != 2 || cfg.Rules[1].Channel != "slack:C1" || cfg.Rules[1].Filter != "mute" || cfg.Rules[1].Tags[0] != "a" {
		t.Errorf("rules = %+v", cfg.Rules)
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("api", "forum-key\n")
	write("bot", "xoxb-file\r\n")
	write("empty", "\n")
	cfgFile := write("c.yaml", `forum:
  url: https://f.example
  api_key_file: api
slack:
  bot_token_file: `+filepath.Join(dir, "bot")+`
  app_token: ${APP}
`)
	t.Run("relative to the working directory, trailing newline trimmed", func(t *testing.T) {
		t.Setenv("APP", "xapp-env")
		t.Chdir(dir)
		cfg, err := Load(cfgFile, platforms.All)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Forum.APIKey != "forum-key" || sectionOf[slack.Section](cfg, "slack").BotToken != "xoxb-file" || sectionOf[slack.Section](cfg, "slack").AppToken != "xapp-env" {
			t.Errorf("secrets = %q %q %q", cfg.Forum.APIKey, sectionOf[slack.Section](cfg, "slack").BotToken, sectionOf[slack.Section](cfg, "slack").AppToken)
		}
	})
	bad := []struct {
		name, file, want string
	}{
		{"missing file", "nope", "config: forum.api_key_file (line 3): cannot read " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"empty file", "empty", "config: forum.api_key_file (line 3): " + filepath.Join(dir, "empty") + " is empty"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p := write("bad.yaml", "forum:\n  url: https://f.example\n  api_key_file: "+filepath.Join(dir, tt.file)+"\n")
			_, err := Load(p, platforms.All)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := Load(p, platforms.All)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v is not ErrNotExist", err)
	}
	if want := "config: cannot read " + p + ": no such file or directory"; err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
}

func TestLoadRefusesHugeFiles(t *testing.T) {
	_, err := Load("/dev/zero", platforms.All)
	if want := "config: cannot read /dev/zero: larger than 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
}

func TestRedacted(t *testing.T) {
	cfg, err := Parse([]byte(minimal+`slack:
  bot_token: xoxb-secret-1
  app_token: xapp-secret-2
telegram: {token: "123:tg-secret-3", log: {enabled: false}}
console: {}
rules:
  - {channel: "slack:C1", filter: watch, category: news, tags: [release]}
`), env(), platforms.All)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, secret := range []string{"xoxb-secret-1", "xapp-secret-2", "tg-secret-3", "api_key: k"} {
		if strings.Contains(s, secret) {
			t.Errorf("redacted config shows %q:\n%s", secret, s)
		}
	}
	for _, want := range []string{
		"api_key: <redacted>", "bot_token: <redacted>", "poll_interval: 5s", "max_age: 24h\n",
		"console: {}", "dsn: discourse-chatbot.db", "enabled: false", "tags: [release]",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("redacted config lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "discord:") || strings.Contains(s, "mattermost:") {
		t.Errorf("sections that are off are shown:\n%s", s)
	}
	// What check prints must load again to the same config (secrets aside).
	if _, err := Parse(out, env(), platforms.All); err != nil {
		t.Errorf("redacted output does not parse: %v\n%s", err, s)
	}
}

func TestMaskURLPassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://bot:hunter2@db:5432/x", "postgres://bot:xxxxx@db:5432/x"},
		{"postgres://bot@db/x", "postgres://bot@db/x"},
		{"discourse-chatbot.db", "discourse-chatbot.db"},
	}
	for _, tt := range tests {
		if got := section.MaskURL(tt.in); got != tt.want {
			t.Errorf("section.MaskURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// sectionOf returns the named platform's section, nil when it is off.
func sectionOf[T any](cfg *Config, name string) *T {
	s, _ := cfg.Platform(name).(*T)
	return s
}

// TestEveryProblemAtOnce: the loader reports all the file's problems, in line order, one per key.
func TestEveryProblemAtOnce(t *testing.T) {
	_, err := Parse([]byte(`forum:
  url: ftp://forum
  api_key: k
  poll_interval: fast
  poll_intervall: 5s
state:
  driver: mysql
transcript:
  mode: email
  mode: link
`), nil, nil)
	var problems Errors
	if !errors.As(err, &problems) {
		t.Fatalf("err %v (%T), want Errors", err, err)
	}
	want := []string{
		`config: forum.url (line 2): "ftp://forum": scheme ftp is not supported (http://… or https://…)`,
		`config: forum.poll_interval (line 4): "fast" is not a duration`,
		`config: forum.poll_intervall (line 5): unknown key (did you mean poll_interval?)`,
		`config: state.driver (line 7): unknown driver "mysql" (sqlite or postgres)`,
		// one problem per key: the duplicate, not also the value it would have had
		`config: transcript.mode (line 10): duplicate key (first set on line 9)`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n got %q\nwant %q", got, want)
	}
	var one *Error
	if !errors.As(err, &one) || one.Line != 2 {
		t.Errorf("errors.As(*Error) = %v, want the first problem", one)
	}
}
