package config

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Redacted returns the effective config (defaults applied, secrets read from their files) as
// YAML, with every secret shown as "<redacted>", or "<unset>" when empty, and the password of
// any URL (a PostgreSQL DSN) masked. `check` prints it. Sections that are off are left out.
func (c *Config) Redacted() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(redactedNode(reflect.ValueOf(*c))); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

func scalarNode(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func redactedNode(v reflect.Value) *yaml.Node {
	switch {
	case v.Type() == durationType:
		return scalarNode("!!str", formatDuration(time.Duration(v.Int())))
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return scalarNode("!!null", "null")
		}
		return redactedNode(v.Elem())
	case v.Kind() == reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		if v.NumField() == 0 {
			n.Style = yaml.FlowStyle
		}
		t := v.Type()
		for i := range t.NumField() {
			key := yamlKey(t.Field(i))
			f := v.Field(i)
			if key == "" || isSection(f.Type()) && f.IsNil() {
				continue
			}
			val := redactedNode(f)
			if t.Field(i).Tag.Get("secret") == "true" {
				val = scalarNode("!!str", "<redacted>")
				if f.String() == "" {
					val.Value = "<unset>"
				}
			}
			n.Content = append(n.Content, scalarNode("!!str", key), val)
		}
		return n
	case v.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if v.Len() == 0 || v.Type().Elem().Kind() == reflect.String {
			n.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			n.Content = append(n.Content, redactedNode(v.Index(i)))
		}
		return n
	case v.Kind() == reflect.String:
		return scalarNode("!!str", maskURLPassword(v.String()))
	case v.Kind() == reflect.Bool:
		return scalarNode("!!bool", strconv.FormatBool(v.Bool()))
	case v.CanInt():
		return scalarNode("!!int", strconv.FormatInt(v.Int(), 10))
	}
	return scalarNode("!!str", fmt.Sprint(v.Interface()))
}

// maskURLPassword hides the password of a URL with userinfo ("postgres://bot:secret@db/x") and
// of a "password" query parameter (which pgx also reads). A URL that does not parse (a password
// with an unescaped "#" or "/") still has everything between "user:" and the last "@" masked.
func maskURLPassword(s string) string {
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

// formatDuration writes 24h rather than 24h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
