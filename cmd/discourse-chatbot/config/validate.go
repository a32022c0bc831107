package config

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

// validator checks a decoded, defaulted config; it records every bad value with the decoder's
// problems (the first per key), so that one run of check shows them all.
type validator struct {
	d *decoder // where each key is in the file, and the problems found
}

// fail records a problem of the key at path, unless that key already has one.
func (v *validator) fail(path, format string, args ...any) {
	v.d.report(errorf(path, v.d.lineOf(path), format, args...))
}

func validate(c *Config, d *decoder) error {
	v := &validator{d: d}
	v.forum(&c.Forum)
	v.state(&c.State)
	v.positive("delivery.max_age", c.Delivery.MaxAge)
	for _, p := range c.Platforms {
		p.Validate(p.Section, problems{v, p.Name()})
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			v.fail("http.listen", "%q is not host:port (e.g. 127.0.0.1:9090)", c.HTTP.Listen)
		}
	}
	if c.Web != nil {
		v.web(c.Web, c)
	}
	v.transcript(&c.Transcript)
	v.access(&c.Access, c)
	for i := range c.Rules {
		v.rule(fmt.Sprintf("rules[%d]", i), &c.Rules[i])
	}
	return v.d.problems()
}

func (v *validator) forum(f *Forum) {
	if f.URL == "" {
		v.fail("forum.url", "required: the forum's address, e.g. https://forum.example.org")
	}
	section.URL(problems{v: v}, "forum.url", f.URL, "http", "https")
	section.Secret(problems{v: v}, "forum.api_key", f.APIKey)
	if strings.TrimSpace(f.APIUsername) == "" {
		v.fail("forum.api_username", "empty (the forum user the bot acts as, e.g. system)")
	}
	if f.PollInterval < time.Second {
		v.fail("forum.poll_interval", "%s is too short (at least 1s)", f.PollInterval)
	}
	section.IntRange(problems{v: v}, "forum.max_requests_per_minute", f.MaxRequestsPerMinute, 1, 10_000)
	section.NonNegative(problems{v: v}, "forum.notify_delay", f.NotifyDelay)
	section.NonNegative(problems{v: v}, "forum.follow_changes_for", f.FollowChangesFor)
	section.IntRange(problems{v: v}, "forum.excerpt_length", f.ExcerptLength, 0, 4000)
	section.IntRange(problems{v: v}, "forum.backfill", f.Backfill, 0, 500)
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

func (v *validator) web(w *Web, c *Config) {
	if c.HTTP.Listen == "" {
		v.fail("web", "the web console is served on http.listen: set it too (e.g. 127.0.0.1:9090)")
	}
	p := problems{v: v}
	switch w.SignIn {
	case "discourse_connect":
		section.Secret(p, "web.secret", w.Secret)
		if w.Token != "" {
			v.fail("web.token", "only for sign_in: token")
		}
	case "token":
		section.Secret(p, "web.token", w.Token)
		if w.Secret != "" || w.Group != "" {
			v.fail("web.sign_in", "token sign-in takes no secret or group (they are for discourse_connect)")
		}
	default:
		v.fail("web.sign_in", "%q is not discourse_connect or token", w.SignIn)
	}
}

func (v *validator) transcript(t *Transcript) {
	switch t.Mode {
	case "link", "topic":
	default:
		v.fail("transcript.mode", "%q is not link or topic", t.Mode)
	}
	section.IntRange(problems{v: v}, "transcript.max_messages", t.MaxMessages, 1, adapters.MaxHistoryLimit)
}

func (v *validator) access(a *Access, c *Config) {
	for i, s := range a.Allow {
		platform, id, ok := strings.Cut(s, ":")
		if !ok || id == "" || !v.known(strings.ToLower(platform)) {
			v.fail(fmt.Sprintf("access.allow[%d]", i), "%q is not platform:user_id (e.g. slack:U0123, telegram:42)", s)
		}
	}
	for i, s := range a.PrivateChannels {
		if err := v.channelRef(s); err != nil {
			v.fail(fmt.Sprintf("access.private_channels[%d]", i), "%s", err)
		}
	}
}

// channelRef checks a channel ref's form and that its platform is one the registry has.
func (v *validator) channelRef(s string) error {
	ch, err := adapters.ParseChannelRef(s)
	if err != nil {
		return err
	}
	if !v.known(ch.Platform) {
		var names []string
		for _, p := range v.d.platforms {
			names = append(names, p.Name())
		}
		return fmt.Errorf("channel %q: unknown platform %q (%s)", s, ch.Platform, strings.Join(names, ", "))
	}
	return nil
}

// known reports whether the registry has the platform.
func (v *validator) known(platform string) bool { return v.d.platform(platform) != nil }

// problems is a platform section's view of the validator: keys relative to the section.
type problems struct {
	v    *validator
	name string
}

func (p problems) Add(key, format string, args ...any) { p.v.fail(join(p.name, key), format, args...) }

func (p problems) Has(key string) bool { return p.v.d.has(join(p.name, key)) }

func (v *validator) rule(path string, r *SeedRule) {
	if r.Channel == "" {
		v.fail(path+".channel", "required (e.g. slack:C0123)")
	} else if err := v.channelRef(r.Channel); err != nil {
		v.fail(path+".channel", "%s", err)
	}
	filter := strings.ToLower(r.Filter)
	switch filter {
	case "watch", "follow", "mute", "thread", "tag_added":
	case "":
		v.fail(path+".filter", "required (watch, follow, mute, thread or tag_added)")
	default:
		v.fail(path+".filter", "%q is not watch, follow, mute, thread or tag_added", r.Filter)
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
		if filter == "thread" || filter == "tag_added" {
			v.fail(path+".filter", "a %s rule cannot be a %s rule (watch, follow or mute)", key, filter)
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

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.fail(path, "%s: must be positive", d)
	}
}
