package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/section"
)

// Redacted returns the effective config (defaults applied, secrets read from their files) as
// YAML, with every secret shown as "<redacted>", or "<unset>" when empty, and the password of
// any URL (a PostgreSQL DSN) masked. `check` prints it. Sections that are off are left out.
func (c *Config) Redacted() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	root := redactedNode(reflect.ValueOf(*c))
	// The platform sections stand after delivery, in the registry's order.
	at := len(root.Content)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "delivery" {
			at = i + 2
		}
	}
	var sections []*yaml.Node
	for _, p := range c.Platforms {
		sections = append(sections, scalarNode("!!str", p.Name()), redactedNode(reflect.ValueOf(p.Section)))
	}
	root.Content = append(root.Content[:at], append(sections, root.Content[at:]...)...)
	if err := enc.Encode(root); err != nil {
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
		return scalarNode("!!str", section.MaskURL(v.String()))
	case v.Kind() == reflect.Bool:
		return scalarNode("!!bool", strconv.FormatBool(v.Bool()))
	case v.CanInt():
		return scalarNode("!!int", strconv.FormatInt(v.Int(), 10))
	}
	return scalarNode("!!str", fmt.Sprint(v.Interface()))
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
