package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Load reads the config file at path, expands ${VAR} from the environment, reads *_file secrets
// (relative paths, like state.dsn, are relative to the working directory), applies the defaults
// and validates the result. Every error is a *Error naming the key and line.
func Load(path string, platforms []adapters.Descriptor) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{Msg: fmt.Sprintf("cannot read %s: %v", path, err), Err: err}
	}
	return Parse(data, os.LookupEnv, platforms)
}

// maxFileSize bounds the config and secret files read, so that /dev/zero fails instead of hanging.
const maxFileSize = 1 << 20

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, errors.New("larger than 1 MiB")
	}
	return data, nil
}

// Parse is Load for a config held in memory; lookupEnv resolves ${VAR} (os.LookupEnv in
// production). platforms is the registry: each platform's section is a top-level key.
func Parse(data []byte, lookupEnv func(string) (string, bool), platforms []adapters.Descriptor) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	root, err := parseYAML(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	d := &decoder{lookupEnv: lookupEnv, platforms: platforms, cfg: cfg, lines: map[string]int{}, set: map[string]struct{}{}}
	if root != nil {
		if err := d.decode(root, reflectValue(cfg), ""); err != nil && !d.keep(err) {
			return nil, err
		}
		for _, e := range d.errs {
			if e.Path == "" { // the file as a whole is wrong (not a mapping): nothing more to say
				return nil, d.problems()
			}
		}
	}
	if err := d.readSecretFiles(reflectValue(cfg), ""); err != nil && !d.keep(err) {
		return nil, err
	}
	for _, p := range cfg.Platforms {
		if err := d.readSecretFiles(reflect.ValueOf(p.Section), p.Name()); err != nil && !d.keep(err) {
			return nil, err
		}
	}
	sort.SliceStable(cfg.Platforms, func(i, j int) bool {
		return registryIndex(platforms, cfg.Platforms[i].Name()) < registryIndex(platforms, cfg.Platforms[j].Name())
	})
	applyDefaults(cfg, d.present, lookupEnv)
	if err := validate(cfg, d); err != nil {
		return nil, err
	}
	return cfg, nil
}

func registryIndex(platforms []adapters.Descriptor, name string) int {
	for i, p := range platforms {
		if p.Name() == name {
			return i
		}
	}
	return len(platforms)
}

// yamlLine pulls the line number out of yaml.v3's syntax errors ("yaml: line 3: …").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the file's single document's root node, nil for a file with no content.
func parseYAML(data []byte) (root *yaml.Node, err error) {
	// yaml.v3 has panicked on malformed input in the past; a config file must never crash us.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{Msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err, data)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, errorf("", extra.Line, "the file holds more than one YAML document (remove the ---)")
	case !errors.Is(err, io.EOF):
		return nil, yamlError(err, data)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func yamlError(err error, data []byte) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		msg := "invalid YAML: " + m[2]
		if lines := bytes.Split(data, []byte("\n")); line >= 1 && line <= len(lines) && bytes.ContainsRune(lines[line-1], '\t') {
			msg += " (a tab? YAML indents with spaces)"
		}
		return &Error{Line: line, Msg: msg, Err: err}
	}
	msg := err.Error()
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return &Error{Msg: "invalid YAML: " + msg, Err: err}
}
