package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// validator checks a decoded, defaulted config and stops at the first bad value.
type validator struct {
	d   *decoder // where each key is in the file
	err *Error
}

// fail records the first error only, so checks can run in a row without an if after each.
func (v *validator) fail(path, format string, args ...any) {
	if v.err == nil {
		v.err = errorf(path, v.d.lineOf(path), format, args...)
	}
}

func validate(c *Config, d *decoder) error {
	v := &validator{d: d}
	v.forum(&c.Forum)
	v.state(&c.State)
	v.positive("delivery.max_age", c.Delivery.MaxAge)
	if s := c.Slack; s != nil {
		v.secret("slack.bot_token", s.BotToken)
		v.secret("slack.app_token", s.AppToken)
		v.optionalURL("slack.api_url", s.APIURL, "http", "https")
	}
	if t := c.Telegram; t != nil {
		v.secret("telegram.token", t.Token)
		v.optionalURL("telegram.api_endpoint", t.APIEndpoint, "http", "https")
		v.intRange("telegram.log.max_messages", t.Log.MaxMessages, 0, 1_000_000)
		v.nonNegative("telegram.log.max_age", t.Log.MaxAge)
	}
	if d := c.Discord; d != nil {
		v.secret("discord.token", d.Token)
		for i, g := range d.Guilds {
			if !isDigits(g) {
				v.fail(fmt.Sprintf("discord.guilds[%d]", i), "%q is not a guild id (a number)", g)
			}
		}
		v.optionalURL("discord.api_url", d.APIURL, "http", "https")
		v.optionalURL("discord.gateway_url", d.GatewayURL, "ws", "wss")
	}
	if m := c.Mattermost; m != nil {
		if m.URL == "" {
			v.fail("mattermost.url", "required: the Mattermost server, e.g. https://chat.example.org")
		}
		v.optionalURL("mattermost.url", m.URL, "http", "https")
		v.secret("mattermost.token", m.Token)
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			v.fail("http.listen", "%q is not host:port (e.g. 127.0.0.1:9090)", c.HTTP.Listen)
		}
	}
	v.transcript(&c.Transcript)
	v.access(&c.Access)
	for i := range c.Rules {
		v.rule(fmt.Sprintf("rules[%d]", i), &c.Rules[i])
	}
	if v.err != nil {
		return v.err
	}
	return nil
}

func (v *validator) forum(f *Forum) {
	if f.URL == "" {
		v.fail("forum.url", "required: the forum's address, e.g. https://forum.example.org")
	}
	v.optionalURL("forum.url", f.URL, "http", "https")
	if f.APIKey == "" {
		v.fail("forum.api_key", "%s (set it, or use api_key_file)", emptyOrMissing(v, "forum.api_key"))
	}
	if strings.TrimSpace(f.APIUsername) == "" {
		v.fail("forum.api_username", "empty (the forum user the bot acts as, e.g. system)")
	}
	if f.PollInterval < time.Second {
		v.fail("forum.poll_interval", "%s is too short (at least 1s)", f.PollInterval)
	}
	v.intRange("forum.max_requests_per_minute", f.MaxRequestsPerMinute, 1, 10_000)
	v.nonNegative("forum.notify_delay", f.NotifyDelay)
	v.intRange("forum.excerpt_length", f.ExcerptLength, 0, 4000)
	v.intRange("forum.backfill", f.Backfill, 0, 500)
}

func (v *validator) state(s *State) {
	switch s.Driver {
	case "sqlite":
	case "postgres":
		if !strings.HasPrefix(s.DSN, "postgres://") && !strings.HasPrefix(s.DSN, "postgresql://") {
			v.fail("state.dsn", "with driver postgres, want a PostgreSQL URL (postgres://user@host/db)")
		}
	default:
		v.fail("state.driver", "unknown driver %q (sqlite or postgres)", s.Driver)
	}
	if strings.TrimSpace(s.DSN) == "" {
		v.fail("state.dsn", "empty (the database file, e.g. discourse-chatbot.db)")
	}
}

func (v *validator) transcript(t *Transcript) {
	switch t.Mode {
	case "link", "topic":
	default:
		v.fail("transcript.mode", "%q is not link or topic", t.Mode)
	}
	v.intRange("transcript.max_messages", t.MaxMessages, 1, 10_000)
}

func (v *validator) access(a *Access) {
	for i, s := range a.Allow {
		platform, id, ok := strings.Cut(s, ":")
		if !ok || id == "" || !knownPlatform(platform) {
			v.fail(fmt.Sprintf("access.allow[%d]", i), "%q is not platform:user_id (e.g. slack:U0123, telegram:42)", s)
		}
	}
	for i, s := range a.PrivateChannels {
		if _, err := adapters.ParseChannelRef(s); err != nil {
			v.fail(fmt.Sprintf("access.private_channels[%d]", i), "%s", err)
		}
	}
}

func (v *validator) rule(path string, r *SeedRule) {
	if r.Channel == "" {
		v.fail(path+".channel", "required (e.g. slack:C0123)")
	} else if _, err := adapters.ParseChannelRef(r.Channel); err != nil {
		v.fail(path+".channel", "%s", err)
	}
	filter := strings.ToLower(r.Filter)
	switch filter {
	case "watch", "follow", "mute", "thread":
	case "":
		v.fail(path+".filter", "required (watch, follow, mute or thread)")
	default:
		v.fail(path+".filter", "%q is not watch, follow, mute or thread", r.Filter)
	}
	var set []string
	for _, k := range []struct{ key, val string }{{"category", r.Category}, {"group", r.Group}, {"mention", r.Mention}} {
		if k.val != "" {
			set = append(set, k.key)
		}
	}
	if len(set) > 1 {
		v.fail(path+"."+set[1], "a rule takes one of category, group or mention, not %s", strings.Join(set, " and "))
	}
	if r.Group != "" || r.Mention != "" {
		key := "group"
		if r.Mention != "" {
			key = "mention"
		}
		if len(r.Tags) > 0 {
			v.fail(path+".tags", "a %s rule takes no tags", key)
		}
		if filter == "thread" {
			v.fail(path+".filter", "a %s rule cannot be a thread rule (watch, follow or mute)", key)
		}
	}
	if c := r.Category; c != "" && (strings.Count(c, "/") > 1 || strings.HasPrefix(c, "/") || strings.HasSuffix(c, "/") || strings.ContainsAny(c, " \t")) {
		v.fail(path+".category", "%q is not a category slug (e.g. announcements, or parent/child)", c)
	}
	for i, t := range r.Tags {
		if t == "" || strings.ContainsAny(t, " \t\n") {
			v.fail(fmt.Sprintf("%s.tags[%d]", path, i), "%q is not a tag name", t)
		}
	}
}

func (v *validator) secret(path, val string) {
	if val == "" {
		key := path[strings.LastIndexByte(path, '.')+1:]
		v.fail(path, "%s (set it, or use %s_file)", emptyOrMissing(v, path), key)
	}
}

// emptyOrMissing says whether the file has the key (then it is empty) or not.
func emptyOrMissing(v *validator, path string) string {
	if v.d.has(path) {
		return "empty"
	}
	return "missing"
}

func (v *validator) optionalURL(path, s string, schemes ...string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	shown := maskURLPassword(s) // errors reach logs: never show a password
	if err != nil {
		v.fail(path, "%q is not a URL", shown)
		return
	}
	want := strings.Join(schemes, "://… or ") + "://…"
	if u.Scheme == "" || u.Host == "" {
		v.fail(path, "%q needs a scheme and host (%s)", shown, want)
		return
	}
	for _, sc := range schemes {
		if strings.EqualFold(u.Scheme, sc) {
			return
		}
	}
	v.fail(path, "%q: scheme %s is not supported (%s)", shown, u.Scheme, want)
}

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.fail(path, "%s: must be positive", d)
	}
}

func (v *validator) nonNegative(path string, d time.Duration) {
	if d < 0 {
		v.fail(path, "%s: must not be negative", d)
	}
}

func (v *validator) intRange(path string, n, lo, hi int) {
	if n < lo || n > hi {
		v.fail(path, "%d is out of range (%d to %d)", n, lo, hi)
	}
}

func knownPlatform(p string) bool {
	switch p {
	case "slack", "telegram", "discord", "mattermost", "console":
		return true
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
