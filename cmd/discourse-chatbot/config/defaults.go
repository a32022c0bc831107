package config

import (
	"path/filepath"
	"strings"
	"time"
)

// The defaults, in one place. A key the file leaves out (or sets to nothing, "key:") gets its
// default; a key the file sets keeps its value, even zero, and validation judges it.
const (
	DefaultPollInterval         = 5 * time.Second
	DefaultLive                 = true // the MessageBus long poll; polling stays the fallback
	DefaultMaxRequestsPerMinute = 30
	DefaultExcerptLength        = 400
	DefaultAPIUsername          = "system"
	DefaultDriver               = "sqlite"
	DefaultDSN                  = "discourse-chatbot.db"
	DefaultDeliveryMaxAge       = 24 * time.Hour
	DefaultTranscriptMode       = "link"
	DefaultFollowChangesFor     = 24 * time.Hour
	DefaultTranscriptMessages   = 500
)

// applyDefaults fills in every key the file did not set. present reports whether the file set the
// key at a dotted path. notify_delay, backfill and http.listen default to their zero values.
//
// state.dsn defaults to discourse-chatbot.db in $STATE_DIRECTORY when that is set (systemd's
// StateDirectory=; the first of a colon-separated list), else in the working directory.
func applyDefaults(c *Config, present func(path string) bool, lookupEnv func(string) (string, bool)) {
	setDur := func(path string, p *time.Duration, v time.Duration) {
		if !present(path) {
			*p = v
		}
	}
	setInt := func(path string, p *int, v int) {
		if !present(path) {
			*p = v
		}
	}
	setStr := func(path string, p *string, v string) {
		if !present(path) {
			*p = v
		}
	}
	setFlag := func(path string, p *bool, v bool) {
		if !present(path) {
			*p = v
		}
	}
	setBool := func(p **bool, v bool) {
		if *p == nil {
			*p = &v
		}
	}

	setDur("forum.poll_interval", &c.Forum.PollInterval, DefaultPollInterval)
	setFlag("forum.live", &c.Forum.Live, DefaultLive)
	setDur("forum.follow_changes_for", &c.Forum.FollowChangesFor, DefaultFollowChangesFor)
	setInt("forum.max_requests_per_minute", &c.Forum.MaxRequestsPerMinute, DefaultMaxRequestsPerMinute)
	setInt("forum.excerpt_length", &c.Forum.ExcerptLength, DefaultExcerptLength)
	setStr("forum.api_username", &c.Forum.APIUsername, DefaultAPIUsername)
	setStr("state.driver", &c.State.Driver, DefaultDriver)
	setStr("state.dsn", &c.State.DSN, defaultDSN(c.State.Driver, lookupEnv))
	setDur("delivery.max_age", &c.Delivery.MaxAge, DefaultDeliveryMaxAge)
	if w := c.Web; w != nil && !present("web.sign_in") {
		w.SignIn = "discourse_connect"
		if w.Token != "" && w.Secret == "" {
			w.SignIn = "token"
		}
	}
	for _, p := range c.Platforms {
		p.Defaults(p.Section, func(key string) bool { return present(p.Name() + "." + key) })
	}
	setStr("transcript.mode", &c.Transcript.Mode, DefaultTranscriptMode)
	setBool(&c.Transcript.Quote, true)
	setInt("transcript.max_messages", &c.Transcript.MaxMessages, DefaultTranscriptMessages)
}

// defaultDSN is the SQLite file's default place: $STATE_DIRECTORY under systemd, else the working
// directory. PostgreSQL has no default (validation asks for a URL).
func defaultDSN(driver string, lookupEnv func(string) (string, bool)) string {
	if driver != DefaultDriver {
		return DefaultDSN
	}
	if dirs, ok := lookupEnv("STATE_DIRECTORY"); ok && dirs != "" {
		dir, _, _ := strings.Cut(dirs, ":")
		return filepath.Join(dir, DefaultDSN)
	}
	return DefaultDSN
}
