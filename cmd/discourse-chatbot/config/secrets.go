package config

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
)

// readSecretFiles fills every `secret:"true"` field whose sibling "<key>_file" is set with that
// file's content, minus the trailing newline. Setting both is an error.
func (d *decoder) readSecretFiles(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return d.readSecretFiles(v.Elem(), path)
	case reflect.Slice:
		for i := range v.Len() {
			if err := d.readSecretFiles(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Struct:
	default:
		return nil
	}
	t := v.Type()
	fields := yamlFields(t)
	for i := range t.NumField() {
		f := t.Field(i)
		key := yamlKey(f)
		if key == "" {
			continue
		}
		if f.Tag.Get("secret") != "true" {
			if err := d.readSecretFiles(v.Field(i), join(path, key)); err != nil {
				return err
			}
			continue
		}
		fi, ok := fields[key+"_file"]
		if !ok {
			continue
		}
		file := v.Field(fi).String()
		if file == "" {
			continue
		}
		filePath := join(path, key+"_file")
		if v.Field(i).String() != "" || d.present(join(path, key)) {
			return errorf(filePath, d.lineOf(filePath), "set either %s or %s_file, not both", key, key)
		}
		secret, err := d.readSecret(file)
		if err != nil {
			return &Error{Path: filePath, Line: d.lineOf(filePath), Msg: err.Error(), Err: err}
		}
		v.Field(i).SetString(secret)
	}
	return nil
}

func (d *decoder) readSecret(file string) (string, error) {
	data, err := readFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("cannot read %s: %w", file, err)
	}
	secret := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(secret) == "" {
		return "", fmt.Errorf("%s is empty", file)
	}
	return secret, nil
}
