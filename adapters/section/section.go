// Package section holds the checks platform config sections share (required secrets, URLs,
// ranges), so that every platform words the same mistake the same way.
package section

import (
	"net/url"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Secret reports a secret that is not set.
func Secret(p adapters.Problems, key, value string) {
	if value != "" {
		return
	}
	what := "missing"
	if p.Has(key) {
		what = "empty"
	}
	name := key[strings.LastIndexByte(key, '.')+1:]
	p.Add(key, "%s (set it, or use %s_file)", what, name)
}

// Required reports an empty value, with a hint of what it should be.
func Required(p adapters.Problems, key, value, hint string) {
	if strings.TrimSpace(value) == "" {
		p.Add(key, "required: %s", hint)
	}
}

// URL reports a value that is set but is not an absolute URL of one of the schemes.
func URL(p adapters.Problems, key, s string, schemes ...string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	shown := MaskURL(s) // errors reach logs: never show a password
	if err != nil {
		p.Add(key, "%q is not a URL", shown)
		return
	}
	want := strings.Join(schemes, "://… or ") + "://…"
	if u.Scheme == "" || u.Host == "" {
		p.Add(key, "%q needs a scheme and host (%s)", shown, want)
		return
	}
	for _, sc := range schemes {
		if strings.EqualFold(u.Scheme, sc) {
			return
		}
	}
	p.Add(key, "%q: scheme %s is not supported (%s)", shown, u.Scheme, want)
}

// IntRange reports n outside lo..hi.
func IntRange(p adapters.Problems, key string, n, lo, hi int) {
	if n < lo || n > hi {
		p.Add(key, "%d is out of range (%d to %d)", n, lo, hi)
	}
}

// NonNegative reports a negative duration.
func NonNegative(p adapters.Problems, key string, d time.Duration) {
	if d < 0 {
		p.Add(key, "%s: must not be negative", d)
	}
}

// Digits reports whether s is a non-empty string of ASCII digits (snowflakes, ids).
func Digits(s string) bool {
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

// MaskURL hides the password of a URL with userinfo ("postgres://bot:secret@db/x") and of a
// "password" query parameter (which pgx also reads). A URL that does not parse (a password with
// an unescaped "#" or "/") still has everything between "user:" and the last "@" masked.
func MaskURL(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return maskUnparsedUserinfo(s)
	}
	_, hasPassword := u.User.Password()
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
		hasPassword = true
	}
	if !hasPassword {
		return s // unchanged, byte for byte
	}
	return u.Redacted()
}

// maskUnparsedUserinfo masks the password of "scheme://user:password@host…" by hand.
func maskUnparsedUserinfo(s string) string {
	start := strings.Index(s, "://") + len("://")
	at := strings.LastIndex(s, "@")
	if at < start {
		return s
	}
	colon := strings.IndexByte(s[start:at], ':')
	if colon < 0 {
		return s
	}
	return s[:start+colon+1] + "xxxxx" + s[at:]
}
