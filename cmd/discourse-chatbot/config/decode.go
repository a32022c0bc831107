package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// decoder walks a yaml.Node tree against the Config struct (reflect + yaml tags), so that every
// error can name the key's dotted path and line. It also records which keys the file sets, for
// the defaults and for the lines of validation errors.
type decoder struct {
	lookupEnv func(string) (string, bool)
	platforms []adapters.Descriptor // the registry: each one's section is a top-level key
	cfg       *Config
	lines     map[string]int      // path of every key in the file (even "key:" alone) → its line
	set       map[string]struct{} // paths of the keys the file sets to a value
	errs      []*Error            // every problem found so far, at most one per key
}

// keep records err if it is a problem of one key (an *Error) and reports whether decoding may go
// on with the next key; any other error stops it.
func (d *decoder) keep(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	d.report(e)
	return true
}

// report records a problem unless its key, or a key it is under, already has one: the first
// problem of a key is the one to fix.
func (d *decoder) report(e *Error) {
	for _, old := range d.errs {
		// A secret whose *_file failed is not missing on top of that.
		if e.Path != "" && (old.Path == e.Path || old.Path == e.Path+"_file" ||
			strings.HasPrefix(e.Path, old.Path+".") || strings.HasPrefix(e.Path, old.Path+"[")) {
			return
		}
	}
	d.errs = append(d.errs, e)
}

// problems returns the recorded problems in line order, nil when there are none.
func (d *decoder) problems() error {
	if len(d.errs) == 0 {
		return nil
	}
	es := Errors(slices.Clone(d.errs))
	slices.SortStableFunc(es, func(a, b *Error) int {
		switch {
		case a.Line == b.Line:
			return 0
		case a.Line == 0:
			return 1
		case b.Line == 0:
			return -1
		}
		return a.Line - b.Line
	})
	return es
}

var durationType = reflect.TypeFor[time.Duration]()

func reflectValue(c *Config) reflect.Value { return reflect.ValueOf(c).Elem() }

// present reports whether the file set the key at path.
func (d *decoder) present(path string) bool {
	_, ok := d.set[path]
	return ok
}

// has reports whether the file mentions the key at path, even with no value.
func (d *decoder) has(path string) bool {
	_, ok := d.lines[path]
	return ok
}

// lineOf returns the line of the key at path, or of its nearest ancestor the file sets, or 0.
func (d *decoder) lineOf(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "want a list, got …" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	n = resolve(n)
	t := v.Type()
	switch {
	case t == durationType:
		s, err := d.scalar(n, path)
		if err != nil {
			return err
		}
		dur, err := parseDuration(s)
		if err != nil {
			return errorf(path, n.Line, "%s", err)
		}
		v.SetInt(int64(dur))
		return nil
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		if isNull(n) { // "console:" alone: the section is on, with defaults
			return nil
		}
		return d.decode(n, v.Elem(), path)
	case t.Kind() == reflect.Struct:
		return d.decodeStruct(n, v, path)
	case t.Kind() == reflect.Slice:
		return d.decodeSlice(n, v, path)
	case t.Kind() == reflect.String:
		s, err := d.scalar(n, path)
		if err != nil {
			return err
		}
		v.SetString(s)
		return nil
	case t.Kind() == reflect.Bool:
		s, err := d.scalar(n, path)
		if err != nil {
			return err
		}
		b, ok := parseBool(s)
		if !ok {
			return errorf(path, n.Line, "%q is not true or false", s)
		}
		v.SetBool(b)
		return nil
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		s, err := d.scalar(n, path)
		if err != nil {
			return err
		}
		i, err := strconv.ParseInt(strings.TrimSpace(s), 0, 64)
		if err != nil {
			return errorf(path, n.Line, "%q is not a whole number", s)
		}
		v.SetInt(i)
		return nil
	}
	return errorf(path, n.Line, "cannot decode into %s (a bug in the config package)", t)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return errorf(path, n.Line, "want a mapping of keys, got %s", describe(n))
	}
	fields := yamlFields(v.Type())
	// Merge keys ("<<: *defaults") first, so that the mapping's own keys override them.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], resolve(n.Content[i+1])
		if k.ShortTag() != "!!merge" {
			continue
		}
		merged := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			merged = val.Content
		}
		for _, m := range merged {
			if err := d.decodeStruct(resolve(m), v, path); err != nil {
				return err
			}
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.report(errorf(path, k.Line, "a key must be a plain word, got %s", describe(k)))
			continue
		}
		p := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.report(errorf(p, k.Line, "duplicate key (first set on line %d)", first))
			continue
		}
		seen[k.Value] = k.Line
		if path == "" {
			if desc := d.platform(k.Value); desc != nil {
				d.lines[p] = k.Line
				d.set[p] = struct{}{}
				section := desc.NewSection()
				d.cfg.Platforms = append(d.cfg.Platforms, Platform{Descriptor: desc, Section: section})
				if isNull(resolve(val)) { // "console:" alone: the section is on, with defaults
					continue
				}
				if err := d.decode(val, reflect.ValueOf(section).Elem(), p); err != nil && !d.keep(err) {
					return err
				}
				continue
			}
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.report(errorf(p, k.Line, "unknown key%s", suggest(k.Value, d.keys(path, fields))))
			continue
		}
		f := v.Field(idx)
		d.lines[p] = k.Line
		if isNull(resolve(val)) && !isSection(f.Type()) {
			continue // "key:" with no value: as if absent, the default applies
		}
		d.set[p] = struct{}{}
		if err := d.decode(val, f, p); err != nil && !d.keep(err) {
			return err
		}
	}
	return nil
}

// platform returns the registry's descriptor of a top-level key, or nil.
func (d *decoder) platform(key string) adapters.Descriptor {
	for _, p := range d.platforms {
		if p.Name() == key {
			return p
		}
	}
	return nil
}

// keys are the keys that may stand at path, for suggestions: the top level also has the
// platform sections.
func (d *decoder) keys(path string, fields map[string]int) map[string]int {
	if path != "" {
		return fields
	}
	all := make(map[string]int, len(fields)+len(d.platforms))
	for k, v := range fields {
		all[k] = v
	}
	for _, p := range d.platforms {
		all[p.Name()] = -1
	}
	return all
}

// isSection reports whether t is an optional section (a pointer to a struct): present but empty
// still turns it on.
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.SequenceNode {
		return errorf(path, n.Line, "want a list, got %s", describe(n))
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = e.Line
		d.set[p] = struct{}{}
		if err := d.decode(e, s.Index(i), p); err != nil && !d.keep(err) {
			return err
		}
	}
	v.Set(s)
	return nil
}

// scalar returns a scalar node's text with ${VAR} expanded.
func (d *decoder) scalar(n *yaml.Node, path string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errorf(path, n.Line, "want a single value, got %s", describe(n))
	}
	if isNull(n) {
		return "", nil
	}
	s, err := expand(n.Value, d.lookupEnv)
	if err != nil {
		return "", errorf(path, n.Line, "%s", err)
	}
	return s, nil
}

// yamlFields maps a struct's yaml keys to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if key := yamlKey(t.Field(i)); key != "" {
			m[key] = i
		}
	}
	return m
}

func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if key == "-" {
		return ""
	}
	if key == "" {
		key = strings.ToLower(f.Name)
	}
	return key
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && s != "0" {
		return 0, fmt.Errorf("%q is not a duration (missing unit, e.g. %ss)", s, s)
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	return dur, nil
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// suggest returns " (did you mean x?)" for the known key closest to a misspelt one.
func suggest(key string, fields map[string]int) string {
	best, bestDist := "", 3 // at most two edits away
	for k := range fields {
		if dist := editDistance(key, k); dist < bestDist || dist == bestDist && best != "" && k < best {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
